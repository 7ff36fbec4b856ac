import { createServer, Socket } from "node:net"
import {
  type Connection,
  createTransportContext,
  isTransport,
  type Listener,
  parseEndpoint,
  TransportRegistry,
} from "@zl/transport"
import { afterEach, describe, expect, it, vi } from "vitest"
import { type TcpOptions, TcpTransport, tcp } from "../src/index.js"
import { hasIpv6Loopback, Recorder, sleep } from "./helpers.js"

const ipv6 = await hasIpv6Loopback()

let listeners: Listener[] = []
let connections: Connection[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  for (const connection of connections) connection.destroy()
  await Promise.all(listeners.map((listener) => listener.close()))
  listeners = []
  connections = []
})

function transport(options?: TcpOptions): TcpTransport {
  return tcp(options)(createTransportContext())
}

/** The methods of a TCP handle these tests watch. */
interface TcpHandle {
  setNoDelay(on: boolean): number
  setKeepAlive(on: boolean, seconds: number): number
  shutdown(request: object): number
  getpeername(out: object): number
}

/**
 * The prototype of Node's TCP handles (the native side of every `net.Socket` and `net.Server`), whose
 * `setNoDelay` and `setKeepAlive` are what issue the setsockopt calls: an accepted connection gets its
 * options from its server, on the handle, before any `Socket` method could be spied on.
 */
async function tcpHandlePrototype(): Promise<TcpHandle> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const proto = Object.getPrototypeOf((server as unknown as { _handle: object })._handle)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return proto
}

/** Listens on `address` and connects to the resolved endpoint; neither side is started. */
async function pair(address = "127.0.0.1:*", t = transport(), socketOptions?: Record<string, unknown>) {
  let resolveAccepted!: (connection: Connection) => void
  const accepted = new Promise<Connection>((resolve) => {
    resolveAccepted = resolve
  })
  const listener = await t.listen(
    address,
    (connection) => {
      connections.push(connection)
      resolveAccepted(connection)
    },
    socketOptions ? { options: socketOptions } : {},
  )
  listeners.push(listener)
  const { address: resolved } = parseEndpoint(listener.endpoint)
  const dialAddress = resolved.startsWith("0.0.0.0:")
    ? resolved.replace("0.0.0.0", "127.0.0.1")
    : resolved.startsWith("[::]:")
      ? resolved.replace("[::]", "127.0.0.1")
      : resolved
  const client = await t.dial(dialAddress, socketOptions ? { options: socketOptions } : {})
  connections.push(client)
  const server = await accepted
  return { listener, client, server }
}

describe("tcp transport", () => {
  it("is a transport for tcp:// with stream framing", () => {
    const t = transport()
    expect(isTransport(t)).toBe(true)
    expect(t.schemes).toEqual(["tcp"])
    expect(t.framing).toBe("stream")
    expect(t.specVersion).toBe(1)
    expect(Object.prototype.toString.call(t)).toBe("[object TcpTransport]")
    expect(new TransportRegistry(createTransportContext(), [tcp()]).get("tcp")).toBeInstanceOf(TcpTransport)
  })

  describe("endpoint resolution", () => {
    it("replaces an ephemeral port with the real one", async () => {
      for (const address of ["127.0.0.1:*", "127.0.0.1:0"]) {
        const { listener, client } = await pair(address)
        const match = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(listener.endpoint)
        expect(match).not.toBeNull()
        expect(Number(match![1])).toBeGreaterThan(0)
        expect(client.peerAddress).toBe("127.0.0.1")
      }
    })

    it("binds every IPv4 interface for *", async () => {
      const { listener, server } = await pair("*:*")
      expect(listener.endpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/)
      expect(server.peerAddress).toBe("127.0.0.1")
    })

    it("binds a concrete port given as *:port", async () => {
      const probe = await transport().listen("127.0.0.1:*", () => {})
      const port = Number(probe.endpoint.split(":").pop())
      await probe.close()
      const listener = await transport().listen(`*:${port}`, () => {})
      listeners.push(listener)
      expect(listener.endpoint).toBe(`tcp://0.0.0.0:${port}`)
    })

    it("resolves a host name to the address bound", async () => {
      const listener = await transport().listen("localhost:*", () => {})
      listeners.push(listener)
      expect(listener.endpoint).toMatch(/^tcp:\/\/(127\.0\.0\.1|\[::1\]):\d+$/)
    })

    it.skipIf(!ipv6)("listens and connects on the IPv6 loopback", async () => {
      const { listener, client, server } = await pair("[::1]:*")
      expect(listener.endpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/)
      expect(client.peerAddress).toBe("::1")
      const a = new Recorder(client).start()
      const b = new Recorder(server).start()
      expect(client.writeSome([Buffer.from("over v6")]).written).toBe(7)
      await b.until(() => b.received >= 7, "7 octets")
      expect(Buffer.from(b.bytes()).toString()).toBe("over v6")
      expect(a.closes).toEqual([])
    })

    it.skipIf(!ipv6)("binds :: for * with the ipv6 option, reachable over IPv4 too", async () => {
      const { listener } = await pair("*:*", transport({ ipv6: true }))
      expect(listener.endpoint).toMatch(/^tcp:\/\/\[::\]:\d+$/)
      const socketOption = await transport().listen("*:*", () => {}, { options: { ipv6: true } })
      listeners.push(socketOption)
      expect(socketOption.endpoint).toMatch(/^tcp:\/\/\[::\]:\d+$/)
    })

    it.each([
      ["listen", "127.0.0.1"],
      ["listen", "127.0.0.1:70000"],
      ["listen", "[::1:*"],
      ["dial", "*:5555"],
      ["dial", "127.0.0.1:*"],
      ["dial", "127.0.0.1:0"],
      ["dial", "bad host:1"],
    ] as const)("%s %j rejects with EINVAL", async (operation, address) => {
      const t = transport()
      const attempt = operation === "listen" ? t.listen(address, () => {}) : t.dial(address)
      await expect(attempt).rejects.toMatchObject({ code: "EINVAL" })
    })
  })

  describe("errors", () => {
    it("rejects a second bind of the same port with EADDRINUSE", async () => {
      const first = await transport().listen("127.0.0.1:*", () => {})
      listeners.push(first)
      await expect(transport().listen(parseEndpoint(first.endpoint).address, () => {})).rejects.toMatchObject(
        {
          code: "EADDRINUSE",
          name: "TransportError",
        },
      )
    })

    it("rejects a dial to a closed port with ECONNREFUSED", async () => {
      const listener = await transport().listen("127.0.0.1:*", () => {})
      await listener.close()
      const error = await transport()
        .dial(parseEndpoint(listener.endpoint).address)
        .catch((err: unknown) => err)
      expect(error).toMatchObject({ code: "ECONNREFUSED" })
      expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" })
    })

    it("reports a reset by the peer with its errno code", async () => {
      const { client, server } = await pair()
      const a = new Recorder(client).start()
      // 4 MiB the peer never reads stays in its kernel buffer, so its close sends a reset.
      client.writeSome([Buffer.alloc(4 * 1024 * 1024)])
      await sleep(50)
      server.destroy()
      await a.until(() => a.closes.length > 0, "onClose")
      expect(a.closes[0]).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) })
    })
  })

  describe("socket options", () => {
    it("sets TCP_NODELAY on dialled and accepted connections", async () => {
      const setNoDelay = vi.spyOn(await tcpHandlePrototype(), "setNoDelay")
      const { client, server } = await pair()
      expect(setNoDelay.mock.calls).toEqual([[true], [true]])
      const handles = new Set(setNoDelay.mock.contexts)
      expect(handles.size).toBe(2)
      expect(server.peerAddress).toBe("127.0.0.1")
      expect(client.peerAddress).toBe("127.0.0.1")
    })

    it("reads an accepted connection's peer address when it is asked for, once", async () => {
      // getpeername() on the handle: what Node's remoteAddress calls, once per socket.
      const getpeername = vi.spyOn(await tcpHandlePrototype(), "getpeername")
      const { client, server } = await pair()
      // The dialled side read it as it connected; the accepted side has not.
      expect(getpeername).toHaveBeenCalledTimes(1)
      expect(server.peerAddress).toBe("127.0.0.1")
      expect(server.peerAddress).toBe("127.0.0.1")
      expect(getpeername).toHaveBeenCalledTimes(2)
      expect(client.peerAddress).toBe("127.0.0.1")
    })

    it("turns keepalive on with an idle time from the socket options", async () => {
      const setKeepAlive = vi.spyOn(await tcpHandlePrototype(), "setKeepAlive")
      await pair("127.0.0.1:*", transport(), { tcpKeepalive: 1, tcpKeepaliveIdle: 30 })
      // Seconds, at the handle.
      expect(setKeepAlive.mock.calls).toEqual([
        [true, 30],
        [true, 30],
      ])
      expect(new Set(setKeepAlive.mock.contexts).size).toBe(2)
    })

    it("turns keepalive on or off from the factory options, and leaves the system default at -1", async () => {
      const setKeepAlive = vi.spyOn(await tcpHandlePrototype(), "setKeepAlive")
      await pair("127.0.0.1:*", transport({ tcpKeepalive: 1 }))
      expect(setKeepAlive.mock.calls).toEqual([
        [true, 0],
        [true, 0],
      ])
      setKeepAlive.mockClear()
      // Off is Node's default on its handles, so turning it off is a call on the Socket only.
      const setSocketKeepAlive = vi.spyOn(Socket.prototype, "setKeepAlive")
      await pair("127.0.0.1:*", transport({ tcpKeepalive: 0 }))
      expect(setSocketKeepAlive.mock.calls).toEqual([[false], [false]])
      expect(new Set(setSocketKeepAlive.mock.contexts).size).toBe(2)
      setSocketKeepAlive.mockClear()
      await pair("127.0.0.1:*", transport({ tcpKeepalive: 1 }), { tcpKeepalive: -1 })
      expect(setKeepAlive).not.toHaveBeenCalled()
      expect(setSocketKeepAlive).not.toHaveBeenCalled()
    })

    it("refuses a bind and a dial with an interface named (no SO_BINDTODEVICE on Node) with ENOTSUP", async () => {
      const options = { interface: "lo" }
      await expect(transport().listen("127.0.0.1:*", () => {}, { options })).rejects.toMatchObject({
        code: "ENOTSUP",
      })
      await expect(transport().dial("127.0.0.1:1", { options })).rejects.toMatchObject({ code: "ENOTSUP" })
      const { client } = await pair("127.0.0.1:*", transport(), { interface: null })
      expect(client.peerAddress).toBe("127.0.0.1")
    })

    it.each([
      { tcpKeepalive: 2 },
      { tcpKeepalive: "1" },
      { tcpKeepaliveIdle: 1.5 },
      { ipv6: 1 },
      { backlog: -1 },
      { interface: 1 },
      { socksProxy: 1080 },
      { handshakeInterval: -1 },
      { tcpAcceptFilter: "127.0.0.1" },
    ])("rejects the option %o with EINVAL", async (options) => {
      await expect(transport().listen("127.0.0.1:*", () => {}, { options })).rejects.toMatchObject({
        code: "EINVAL",
      })
      await expect(transport().dial("127.0.0.1:1", { options })).rejects.toMatchObject({ code: "EINVAL" })
      expect(() => tcp(options as TcpOptions)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    })
  })

  describe("writeSome on node:net", () => {
    it("takes the whole offer at once, and onDrain follows a saturated write once the peer reads", async () => {
      const { client, server } = await pair()
      const a = new Recorder(client).start()
      const b = new Recorder(server)
      server.pause()
      b.start()
      const big = Buffer.alloc(64 * 1024 * 1024, 7)
      expect(client.writeSome([big])).toEqual({ written: big.length, canWriteMore: false })
      // While the remainder is queued, nothing more is taken.
      expect(client.writeSome([Buffer.alloc(1)])).toEqual({ written: 0, canWriteMore: false })
      await sleep(50)
      expect(a.drains).toBe(0)
      server.resume()
      await a.until(() => a.drains === 1, "onDrain")
      await b.until(() => b.received >= big.length, "64 MiB")
      expect(b.received).toBe(big.length)
      await sleep(20)
      expect(a.drains).toBe(1)
    })

    it("fires onDrain after a small write that libuv could not finish (no 'drain' event then)", async () => {
      const { client, server } = await pair()
      const a = new Recorder(client).start()
      const b = new Recorder(server)
      server.pause()
      b.start()
      // 8 KiB writes stay below the stream's 16 KiB high-water mark, so write() returns true and
      // the stream never emits 'drain'; the write callback must carry the signal.
      const chunk = Buffer.alloc(8 * 1024, 1)
      let sent = 0
      for (;;) {
        const result = client.writeSome([chunk])
        sent += result.written
        if (!result.canWriteMore) break
        expect(sent).toBeLessThan(256 * 1024 * 1024)
      }
      server.resume()
      await a.until(() => a.drains === 1, "onDrain")
      await b.until(() => b.received >= sent, `${sent} octets`)
    })

    it("gathers several chunks into one write, in order", async () => {
      const { client, server } = await pair()
      new Recorder(client).start()
      const b = new Recorder(server).start()
      const parts = ["zero", "", "one", "two"].map((text) => Buffer.from(text))
      expect(client.writeSome(parts)).toEqual({ written: 10, canWriteMore: true })
      expect(client.writeSome([])).toEqual({ written: 0, canWriteMore: true })
      await b.until(() => b.received >= 10, "10 octets")
      expect(Buffer.from(b.bytes()).toString()).toBe("zeroonetwo")
    })

    it("keeps data that arrives before start() and a reset before start() does not crash", async () => {
      const { client, server } = await pair()
      client.writeSome([Buffer.from("early")])
      await sleep(30)
      client.destroy()
      await sleep(30)
      const b = new Recorder(server).start()
      await b.until(() => b.closes.length > 0, "onClose")
      expect(Buffer.from(b.bytes()).toString()).toBe("early")
    })
  })

  describe("the peer's end", () => {
    /** A listener, and a raw node:net client connected to it; the accepted connection is started. */
    async function rawPeer(): Promise<{
      peer: Socket
      server: Connection
      b: InstanceType<typeof Recorder>
    }> {
      const t = transport()
      let accepted!: (connection: Connection) => void
      const got = new Promise<Connection>((resolve) => {
        accepted = resolve
      })
      const listener = await t.listen("127.0.0.1:*", (connection) => {
        connections.push(connection)
        accepted(connection)
      })
      listeners.push(listener)
      const peer = new Socket()
      peer.connect(Number(parseEndpoint(listener.endpoint).address.split(":")[1]), "127.0.0.1")
      peer.on("error", () => {})
      const server = await got
      return { peer, server, b: new Recorder(server).start() }
    }

    it("closes the connection without a shutdown(2) when nothing waits to be written", async () => {
      const shutdown = vi.spyOn(await tcpHandlePrototype(), "shutdown")
      const { peer, b } = await rawPeer()
      const peerClosed = new Promise<void>((resolve) => peer.once("close", () => resolve()))
      peer.resume()
      peer.end("last words")
      await b.until(() => b.closes.length > 0, "onClose")
      expect(b.closes).toEqual([undefined])
      expect(Buffer.from(b.bytes()).toString()).toBe("last words")
      await peerClosed
      // The only shutdown is the peer's own end(); ours was a close(2).
      expect(shutdown).toHaveBeenCalledTimes(1)
    })

    it("flushes what is still queued before closing, to a peer that has ended but reads on", async () => {
      const { peer, server, b } = await rawPeer()
      let got = 0
      peer.on("data", (chunk: Buffer) => {
        got += chunk.length
      })
      const peerEnded = new Promise<void>((resolve) => peer.once("end", () => resolve()))
      peer.pause()
      const big = Buffer.alloc(8 * 1024 * 1024, 3)
      expect(server.writeSome([big])).toEqual({ written: big.length, canWriteMore: false })
      peer.end()
      await sleep(30)
      expect(b.closes).toEqual([])
      peer.resume()
      await peerEnded
      expect(got).toBe(big.length)
      await b.until(() => b.closes.length > 0, "onClose")
      expect(b.closes).toEqual([undefined])
    })

    it("waits while the connection is paused: the end comes after the data held", async () => {
      const { peer, server, b } = await rawPeer()
      server.pause()
      peer.resume()
      peer.end(Buffer.alloc(256 * 1024, 9))
      await sleep(50)
      expect(b.closes).toEqual([])
      server.resume()
      await b.until(() => b.closes.length > 0, "onClose")
      expect(b.received).toBe(256 * 1024)
      expect(b.closes).toEqual([undefined])
    })
  })

  it("closes the listener without waiting for accepted connections", async () => {
    const { listener, client, server } = await pair()
    await listener.close()
    const a = new Recorder(client).start()
    const b = new Recorder(server).start()
    client.writeSome([Buffer.from("still here")])
    await b.until(() => b.received >= 10, "10 octets")
    expect(a.closes).toEqual([])
  })

  it("gives a throwing onConnection's connection a destroy, and the listener keeps running", async () => {
    const t = transport()
    let calls = 0
    const listener = await t.listen("127.0.0.1:*", () => {
      calls++
      throw new Error("handler bug")
    })
    listeners.push(listener)
    const address = parseEndpoint(listener.endpoint).address
    for (let i = 0; i < 2; i++) {
      const client = await t.dial(address)
      connections.push(client)
      const a = new Recorder(client).start()
      await a.until(() => a.closes.length > 0, "onClose")
    }
    expect(calls).toBe(2)
  })

  it("does not leave a server behind when the bind fails", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as { port: number }).port
    await expect(transport().listen(`127.0.0.1:${port}`, () => {})).rejects.toMatchObject({
      code: "EADDRINUSE",
    })
    await new Promise((resolve) => blocker.close(resolve))
  })
})
