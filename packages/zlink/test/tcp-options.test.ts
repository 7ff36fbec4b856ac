/**
 * The tcp and tuning options: the ones that take effect are observed on the real connection (the
 * kernel's keepalive timer in /proc/net/tcp, and the values handed to Node's TCP handle), the ones
 * Node cannot apply warn once per process, and the context's `maxSockets` refuses a socket past it
 * with `EMFILE`, side by side with libzmq through the `zeromq` package.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"
import { NO_EFFECT_CODE, resetNoEffectWarnings } from "../src/warnings.js"

/** Both implementations, under zeromq's types. */
const impls = [
  ["libzmq", zmq],
  ["zlink", zl as unknown as typeof zmq],
] as const

const closers: (() => void)[] = []

afterEach(() => {
  vi.restoreAllMocks()
  for (const close of closers.splice(0).reverse()) close()
})

function track<T extends { close(): void }>(socket: T): T {
  closers.push(() => socket.close())
  return socket
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves once `check` holds, polling every 10 ms; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** The native TCP handle every `net.Socket` and `net.Server` wraps: where setsockopt is issued. */
interface TcpHandle {
  setKeepAlive(on: boolean, seconds: number): number
}

async function tcpHandlePrototype(): Promise<TcpHandle> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const proto = Object.getPrototypeOf((server as unknown as { _handle: object })._handle)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return proto
}

/**
 * The kernel's view of the IPv4 connections with `port` at either end: for each, its local port and
 * the timer it has armed (`tr` 2 with keepalive on an idle connection, 0 with none) with the clock
 * ticks (USER_HZ, 100 a second) left on it.
 */
function kernelConnections(port: number): { local: number; timer: number; ticks: number }[] {
  const rows: { local: number; timer: number; ticks: number }[] = []
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 6 || fields[3] !== "01") continue // established only
    const local = Number.parseInt(fields[1]!.split(":")[1]!, 16)
    const remote = Number.parseInt(fields[2]!.split(":")[1]!, 16)
    if (local !== port && remote !== port) continue
    const [timer, ticks] = fields[5]!.split(":")
    rows.push({ local, timer: Number.parseInt(timer!, 16), ticks: Number.parseInt(ticks!, 16) })
  }
  return rows
}

/**
 * The kernel's connections with `port` at either end once both are idle: the retransmission timer
 * (`tr` 1) of the last exchange is replaced by the keepalive timer when the peer's ACK arrives.
 */
async function idleConnections(port: number) {
  await until(
    () => kernelConnections(port).every((row) => row.timer !== 1),
    2000,
    "the connection to go idle",
  )
  return kernelConnections(port)
}

/** A ROUTER bound on 127.0.0.1 and a DEALER connected to it, both with `options`, handshake done. */
async function connectedPair(options: Partial<zl.Dealer>) {
  const router = track(new zl.Router({ linger: 0, ...options } as Partial<zl.Router>))
  await router.bind("tcp://127.0.0.1:*")
  const endpoint = router.lastEndpoint!
  const dealer = track(new zl.Dealer({ linger: 0, ...options }))
  dealer.connect(endpoint)
  await dealer.send("hello")
  const [, body] = await router.receive()
  expect(body!.toString()).toBe("hello")
  return { router, dealer, port: Number(endpoint.split(":").pop()) }
}

describe("tcpKeepalive and tcpKeepaliveIdle", () => {
  it("hand keepalive and the idle time in seconds to both ends of a connection", async () => {
    const setKeepAlive = vi.spyOn(await tcpHandlePrototype(), "setKeepAlive")
    const dealer = new zl.Dealer({ tcpKeepalive: 1, tcpKeepaliveIdle: 7 })
    expect([dealer.tcpKeepalive, dealer.tcpKeepaliveIdle]).toEqual([1, 7])
    dealer.close()
    await connectedPair({ tcpKeepalive: 1, tcpKeepaliveIdle: 7 })
    // Node's handle takes seconds: the accepted end from its server, the dialled end from the socket.
    expect(setKeepAlive.mock.calls).toEqual([
      [true, 7],
      [true, 7],
    ])
    expect(new Set(setKeepAlive.mock.contexts).size).toBe(2)
  })

  it.runIf(process.platform === "linux")(
    "arm the kernel's keepalive timer at the idle time on both ends",
    async () => {
      const { port } = await connectedPair({ tcpKeepalive: 1, tcpKeepaliveIdle: 30 })
      const rows = await idleConnections(port)
      expect(rows).toHaveLength(2)
      for (const row of rows) {
        expect(row.timer).toBe(2)
        // 30 s in ticks, less the few hundred ms the exchange took.
        expect(row.ticks).toBeLessThanOrEqual(3000)
        expect(row.ticks).toBeGreaterThan(2800)
      }
    },
  )

  it.runIf(process.platform === "linux")(
    "keep the OS default idle time with tcpKeepaliveIdle -1, and no timer with tcpKeepalive 0 or -1",
    async () => {
      const setKeepAlive = vi.spyOn(await tcpHandlePrototype(), "setKeepAlive")
      const on = await connectedPair({ tcpKeepalive: 1 })
      // 0 s asks Node to leave the system's idle time (net.ipv4.tcp_keepalive_time) as it is.
      expect(setKeepAlive.mock.calls).toEqual([
        [true, 0],
        [true, 0],
      ])
      const defaultTicks = Number(readFileSync("/proc/sys/net/ipv4/tcp_keepalive_time", "utf8")) * 100
      const rows = await idleConnections(on.port)
      expect(rows).toHaveLength(2)
      for (const row of rows) {
        expect(row.timer).toBe(2)
        expect(row.ticks).toBeLessThanOrEqual(defaultTicks)
        expect(row.ticks).toBeGreaterThan(defaultTicks - 300)
      }
      setKeepAlive.mockClear()
      for (const tcpKeepalive of [0, -1]) {
        const { port } = await connectedPair({ tcpKeepalive, tcpKeepaliveIdle: 30 })
        const rows = await idleConnections(port)
        expect(rows.map((row) => row.timer)).toEqual([0, 0])
      }
      expect(setKeepAlive).not.toHaveBeenCalled()
    },
  )

  it("apply from the next connect on, as libzmq reads them when it connects", async () => {
    const setKeepAlive = vi.spyOn(await tcpHandlePrototype(), "setKeepAlive")
    const router = track(new zl.Router({ linger: 0 }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new zl.Dealer({ linger: 0 }))
    dealer.connect(router.lastEndpoint!)
    await dealer.send("one")
    await router.receive()
    expect(setKeepAlive).not.toHaveBeenCalled()
    const warning = vi.spyOn(process, "emitWarning").mockImplementation(() => {})
    dealer.tcpKeepalive = 1
    dealer.tcpKeepaliveIdle = 12
    expect(warning).toHaveBeenCalledWith("Socket option will not take effect until next connect/bind.")
    const second = track(new zl.Router({ linger: 0 }))
    await second.bind("tcp://127.0.0.1:*")
    dealer.connect(second.lastEndpoint!)
    await until(() => setKeepAlive.mock.calls.length > 0, 2000, "the second connect")
    expect(setKeepAlive.mock.calls).toEqual([[true, 12]])
  })

  it("refuse what libzmq refuses, with EINVAL", () => {
    for (const [, impl] of impls) {
      const dealer = track(new impl.Dealer())
      expect(() => {
        dealer.tcpKeepaliveIdle = -2
      }).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(() => {
        dealer.tcpKeepalive = 2
      }).toThrow(expect.objectContaining({ code: "EINVAL" }))
      dealer.tcpKeepaliveIdle = 0
      expect(dealer.tcpKeepaliveIdle).toBe(0)
    }
  })
})

describe("options Node cannot apply", () => {
  beforeEach(() => resetNoEffectWarnings())

  const cases = [
    ["affinity", 3, "zlink runs every socket on Node's event loop"],
    ["typeOfService", 0x10, "IP_TOS"],
    ["tcpKeepaliveCount", 5, "TCP_KEEPCNT"],
    ["tcpKeepaliveInterval", 5, "TCP_KEEPINTVL"],
    ["tcpMaxRetransmitTimeout", 5000, "TCP_USER_TIMEOUT"],
    ["sendBufferSize", 65536, "SO_SNDBUF"],
    ["receiveBufferSize", 65536, "SO_RCVBUF"],
  ] as const

  it.each(cases)("%s reads back as set and warns once per process, naming why", (name, value, why) => {
    const warning = vi.spyOn(process, "emitWarning").mockImplementation(() => {})
    const first = track(new zl.Dealer()) as unknown as Record<string, number>
    first[name] = value
    expect(first[name]).toBe(value)
    const second = track(new zl.Dealer({ [name]: value + 1 })) as unknown as Record<string, number>
    expect(second[name]).toBe(value + 1)
    first[name] = value + 2
    expect(warning).toHaveBeenCalledTimes(1)
    const [message, options] = warning.mock.calls[0]! as [string, { code: string; type: string }]
    expect(message).toBe(`The ${name} option has no effect in zlink: ${message.split(": ")[1]}`)
    expect(message).toContain(why)
    expect(options).toEqual({ type: "Warning", code: NO_EFFECT_CODE })
  })

  it("do not warn for their defaults, nor for a value refused with EINVAL", () => {
    const warning = vi.spyOn(process, "emitWarning").mockImplementation(() => {})
    const dealer = track(new zl.Dealer())
    dealer.sendBufferSize = -1
    dealer.tcpKeepaliveCount = -1
    dealer.typeOfService = 0
    dealer.affinity = 0
    expect(() => {
      ;(dealer as { sendBufferSize: number }).sendBufferSize = -2
    }).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(warning).not.toHaveBeenCalled()
    expect(dealer.sendBufferSize).toBe(-1)
  })

  it("the context's ioThreads: read back as libzmq does, warned once when not 1", () => {
    const warning = vi.spyOn(process, "emitWarning").mockImplementation(() => {})
    for (const [, impl] of impls) {
      expect(new impl.Context().ioThreads).toBe(1)
      expect(new impl.Context({ ioThreads: 0 }).ioThreads).toBe(0)
      expect(new impl.Context({ ioThreads: 4 }).ioThreads).toBe(4)
      expect(() => new impl.Context({ ioThreads: -1 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    }
    const ours = warning.mock.calls.filter((call) => (call[1] as { code?: string })?.code === NO_EFFECT_CODE)
    expect(ours).toHaveLength(1)
    expect(ours[0]![0]).toBe(
      "The ioThreads option has no effect in zlink: zlink runs every socket on Node's event loop and has no I/O threads.",
    )
  })
})

describe("the context's maxSockets and maxMessageSize", () => {
  for (const [name, impl] of impls) {
    it(`${name}: a socket past maxSockets fails with EMFILE, and a closed one frees its slot`, () => {
      const context = new impl.Context({ maxSockets: 2 })
      expect([context.maxSockets, context.maxSocketsLimit]).toEqual([2, 65535])
      const a = track(new impl.Dealer({ context }))
      track(new impl.Router({ context }))
      let error: unknown
      try {
        track(new impl.Dealer({ context }))
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ code: "EMFILE", errno: 24, message: "Too many open file descriptors" })
      a.close()
      // libzmq frees the slot from its reaper thread: give it the time it needs.
      const deadline = Date.now() + 2000
      for (;;) {
        try {
          track(new impl.Pull({ context }))
          break
        } catch (err) {
          if (Date.now() > deadline) throw err
        }
      }
    })

    it(`${name}: the limit in force at the first socket stays, as libzmq sizes its table then`, () => {
      const context = new impl.Context()
      context.maxSockets = 1
      track(new impl.Dealer({ context }))
      context.maxSockets = 3
      expect(context.maxSockets).toBe(3)
      expect(() => track(new impl.Dealer({ context }))).toThrow(expect.objectContaining({ code: "EMFILE" }))
      const later = new impl.Context({ maxSockets: 1 })
      track(new impl.Dealer({ context: later }))
      later.maxSockets = 2
      expect(() => track(new impl.Dealer({ context: later }))).toThrow(
        expect.objectContaining({ code: "EMFILE" }),
      )
    })

    it(`${name}: maxSockets and maxMessageSize take what zmq_ctx_set takes`, () => {
      expect(() => new impl.Context({ maxSockets: 0 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(new impl.Context({ maxSockets: 1.5 }).maxSockets).toBe(1)
      const context = new impl.Context()
      expect([context.maxSockets, context.maxMessageSize]).toEqual([1023, 2 ** 31 - 1])
      context.maxMessageSize = 0
      expect(context.maxMessageSize).toBe(0)
      context.maxMessageSize = 100
      expect(context.maxMessageSize).toBe(100)
      expect(() => {
        context.maxMessageSize = -1
      }).toThrow(expect.objectContaining({ code: "EINVAL" }))
      // An int: 2^31 wraps to a negative number.
      expect(() => {
        context.maxMessageSize = 2 ** 31
      }).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(context.maxMessageSize).toBe(100)
    })
  }

  it("zlink: the context's maxMessageSize bounds nothing, as in libzmq 4.3.5", async () => {
    const context = new zl.Context({ maxMessageSize: 10 })
    const pull = track(new zl.Pull({ context, linger: 0 }))
    expect(pull.maxMessageSize).toBe(-1)
    await pull.bind("tcp://127.0.0.1:*")
    const push = track(new zmq.Push({ linger: 0 }))
    push.connect(pull.lastEndpoint!)
    await push.send(Buffer.alloc(1000, 7))
    const [body] = await pull.receive()
    expect(body!.length).toBe(1000)
  })
})

describe("interface (ZMQ_BINDTODEVICE)", () => {
  for (const [name, impl] of impls) {
    it(`${name}: takes a name of up to 16 octets, reads it back, and null clears it`, () => {
      const dealer = track(new impl.Dealer())
      expect(dealer.interface).toBeNull()
      dealer.interface = "x".repeat(16)
      expect(dealer.interface).toBe("x".repeat(16))
      for (const bad of ["x".repeat(17), ""]) {
        expect(() => {
          dealer.interface = bad
        }).toThrow(expect.objectContaining({ code: "EINVAL" }))
      }
      dealer.interface = "lo"
      expect(dealer.interface).toBe("lo")
      dealer.interface = null
      expect(dealer.interface).toBeNull()
    })

    it(`${name}: a tcp bind with an interface set fails with ENOTSUP; ipc and inproc ignore it`, async () => {
      const router = track(new impl.Router({ linger: 0, interface: "lo" }))
      await expect(router.bind("tcp://127.0.0.1:*")).rejects.toMatchObject({
        code: "ENOTSUP",
        errno: 95,
        message: "Operation not supported",
      })
      await router.bind(`inproc://interface-${name}`)
      const dir = mkdtempSync(join(tmpdir(), "zlink-interface-"))
      closers.push(() => rmSync(dir, { recursive: true, force: true }))
      await router.bind(`ipc://${dir}/socket`)
    })

    it(`${name}: a tcp connect with an interface set retries and never connects`, async () => {
      const router = track(new impl.Router({ linger: 0 }))
      await router.bind("tcp://127.0.0.1:*")
      const dealer = track(new impl.Dealer({ linger: 0, interface: "lo", reconnectInterval: 20 }))
      const types: string[] = []
      for (const type of ["connect:retry", "connect", "handshake"] as const) {
        dealer.events.on(type, () => types.push(type))
      }
      dealer.connect(router.lastEndpoint!)
      await until(() => types.length >= 3, 2000, "three retries")
      expect(types.slice(0, 3)).toEqual(["connect:retry", "connect:retry", "connect:retry"])
    })
  }
})
