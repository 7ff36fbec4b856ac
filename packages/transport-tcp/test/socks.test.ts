/**
 * `socksProxy`: dials through a SOCKS5 proxy written for the test, byte for byte as libzmq 4.3.5's
 * socks_connecter, and every way a proxy can fail ends in a rejected dial with the socket gone.
 */
import { type AddressInfo, createServer, type Server, type Socket } from "node:net"
import { type Connection, createTransportContext } from "@zl/transport"
import { afterEach, describe, expect, it } from "vitest"
import { tcp } from "../src/index.js"
import { socksConnectRequest } from "../src/socks.js"
import { hasIpv6Loopback, Recorder } from "./helpers.js"
import { type SocksBehaviour, SocksServer } from "./socks-server.js"

const ipv6 = await hasIpv6Loopback()

const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A plain tcp server that greets each client with `hello` and echoes what it receives. */
async function upstream(host = "127.0.0.1"): Promise<{ server: Server; port: number; peers: Socket[] }> {
  const peers: Socket[] = []
  const server = createServer((socket) => {
    peers.push(socket)
    socket.on("error", () => {})
    socket.write("hello")
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  cleanups.push(async () => {
    for (const peer of peers) peer.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { server, port: (server.address() as AddressInfo).port, peers }
}

async function proxy(behaviour: SocksBehaviour = "relay"): Promise<SocksServer> {
  const server = await SocksServer.start(behaviour)
  cleanups.push(() => server.close())
  return server
}

function dial(address: string, options: Record<string, unknown>, signal?: AbortSignal): Promise<Connection> {
  return tcp()(createTransportContext())
    .dial(address, { options, ...(signal ? { signal } : {}) })
    .then((connection) => {
      cleanups.push(() => connection.destroy())
      return connection
    })
}

/** Sends `ping` on a connection and waits for `hello` and the echo. */
async function roundTrip(connection: Connection): Promise<void> {
  const recorder = new Recorder(connection).start()
  connection.writeSome([Buffer.from("ping")])
  await recorder.until(() => recorder.received >= 9, "hello and the echo")
  expect(Buffer.concat(recorder.chunks).toString()).toBe("helloping")
}

describe("the CONNECT request", () => {
  it("carries numeric hosts as addresses and anything else as the name, as libzmq encodes it", () => {
    expect(Buffer.from(socksConnectRequest("127.0.0.1", 0x1234)).toString("hex")).toBe("050100017f0000011234")
    // getaddrinfo's numeric forms are addresses too.
    expect(Buffer.from(socksConnectRequest("127.1", 80)).toString("hex")).toBe("050100017f0000010050")
    expect(Buffer.from(socksConnectRequest("::1", 80)).toString("hex")).toBe(
      `05010004${"00".repeat(15)}010050`,
    )
    expect(Buffer.from(socksConnectRequest("fe80::1%lo", 80)).toString("hex")).toBe(
      `05010004fe80${"00".repeat(13)}010050`,
    )
    expect(Buffer.from(socksConnectRequest("example.org", 5555)).toString("hex")).toBe(
      `050100030b${Buffer.from("example.org").toString("hex")}15b3`,
    )
    expect(() => socksConnectRequest("a".repeat(256), 1)).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})

describe("a dial through a SOCKS5 proxy", () => {
  it("greets with one method, asks for the target by address, then carries the connection", async () => {
    const target = await upstream()
    const socks = await proxy()
    const connection = await dial(`127.0.0.1:${target.port}`, { socksProxy: socks.address })
    await roundTrip(connection)
    expect(socks.greetings.map((g) => g.toString("hex"))).toEqual(["050100"])
    expect(socks.requests.map((r) => r.toString("hex"))).toEqual([
      `050100017f000001${target.port.toString(16).padStart(4, "0")}`,
    ])
    // The connection is the one to the proxy.
    expect(connection.peerAddress).toBe("127.0.0.1")
  })

  it("forwards a host name unresolved (address type 3)", async () => {
    const target = await upstream()
    const socks = await proxy()
    await roundTrip(await dial(`localhost:${target.port}`, { socksProxy: socks.address }))
    expect(socks.requests[0]!.toString("hex")).toBe(
      `0501000309${Buffer.from("localhost").toString("hex")}${target.port.toString(16).padStart(4, "0")}`,
    )
  })

  it.runIf(ipv6)("asks for an IPv6 target by its 16 octets (address type 4)", async () => {
    const target = await upstream("::1")
    const socks = await proxy()
    await roundTrip(await dial(`[::1]:${target.port}`, { socksProxy: socks.address }))
    expect(socks.requests[0]!.subarray(0, 20).toString("hex")).toBe(`05010004${"00".repeat(15)}01`)
  })

  it("reads a reply with a named bound address that arrives in pieces", async () => {
    const target = await upstream()
    const socks = await proxy("relay-named")
    await roundTrip(await dial(`127.0.0.1:${target.port}`, { socksProxy: socks.address }))
  })

  it("hands octets that came with the reply to the connection", async () => {
    const target = await upstream()
    const socks = await proxy("relay-coalesced")
    await roundTrip(await dial(`127.0.0.1:${target.port}`, { socksProxy: socks.address }))
  })

  it("answers a proxy that asks for username/password with empty credentials, as libzmq", async () => {
    const target = await upstream()
    const socks = await proxy("ask-credentials")
    await roundTrip(await dial(`127.0.0.1:${target.port}`, { socksProxy: socks.address }))
    expect(socks.credentials.map((c) => c.toString("hex"))).toEqual(["010000"])
  })

  it.each([
    ["refuse", "ECONNREFUSED"],
    ["close-after-greeting", "ECONNRESET"],
    ["close-mid-reply", "ECONNRESET"],
    ["no-method", "EPROTO"],
  ] as const)("fails when the proxy does %s, with %s, and leaves no socket", async (behaviour, code) => {
    const target = await upstream()
    const socks = await proxy(behaviour)
    await expect(dial(`127.0.0.1:${target.port}`, { socksProxy: socks.address })).rejects.toMatchObject({
      code,
    })
    expect(target.peers).toHaveLength(0)
    // The proxy sees our end of the connection go.
    const deadline = Date.now() + 2000
    while ((socks as unknown as { sockets: Set<Socket> }).sockets.size > 0) {
      if (Date.now() > deadline) throw new Error("the proxy connection stayed open")
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

  it("gives a silent proxy handshakeInterval, then fails with ETIMEDOUT", async () => {
    const socks = await proxy("silent")
    const started = Date.now()
    await expect(
      dial("127.0.0.1:9", { socksProxy: socks.address, handshakeInterval: 150 }),
    ).rejects.toMatchObject({
      code: "ETIMEDOUT",
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it("stops at once when the dial is aborted during the exchange", async () => {
    const socks = await proxy("silent")
    const abort = new AbortController()
    const reason = new Error("stop")
    setTimeout(() => abort.abort(reason), 50)
    await expect(dial("127.0.0.1:9", { socksProxy: socks.address }, abort.signal)).rejects.toBe(reason)
  })

  it("fails with the proxy's own connect error when nothing listens there", async () => {
    const socks = await proxy()
    const port = socks.port
    await socks.close()
    cleanups.pop()
    await expect(dial("127.0.0.1:9", { socksProxy: `127.0.0.1:${port}` })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    })
  })

  it("dials directly with socksProxy null or empty, and refuses a malformed proxy address", async () => {
    const target = await upstream()
    await roundTrip(await dial(`127.0.0.1:${target.port}`, { socksProxy: null }))
    await roundTrip(await dial(`127.0.0.1:${target.port}`, { socksProxy: "" }))
    await expect(dial(`127.0.0.1:${target.port}`, { socksProxy: "no-port" })).rejects.toMatchObject({
      code: "EINVAL",
    })
    await expect(dial(`127.0.0.1:${target.port}`, { socksProxy: 1080 })).rejects.toMatchObject({
      code: "EINVAL",
    })
  })
})
