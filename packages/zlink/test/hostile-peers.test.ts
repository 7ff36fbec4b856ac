/**
 * Attacks a remote peer can make with raw bytes over tcp, one test each: the process stays up, a
 * good libzmq peer connected at the same time keeps being served, and the memory the attack costs
 * stays within the bound docs/limits.md states. Heap figures come from `process.memoryUsage()`
 * after a forced collection (this package's tests run with `--expose-gc`).
 */
import { connect, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"

const MB = 1 << 20
const closers: (() => void)[] = []

afterEach(() => {
  for (const close of closers.splice(0).reverse()) close()
})

function track<T extends { close(): void }>(socket: T): T {
  closers.push(() => socket.close())
  return socket
}

// ---- wire bytes, built by hand ------------------------------------------------------------------

const GREETING = Buffer.from(
  `ff00000000000000017f0301${Buffer.from("NULL").toString("hex").padEnd(40, "0")}${"00".repeat(32)}`,
  "hex",
)

function frame(flags: number, body: Buffer): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([flags, body.length]), body])
  const header = Buffer.alloc(9)
  header[0] = flags | 0x02
  header.writeBigUInt64BE(BigInt(body.length), 1)
  return Buffer.concat([header, body])
}

function command(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  return frame(0x04, Buffer.concat([Buffer.from([name.length]), Buffer.from(name), data]))
}

function properties(props: [string, Buffer | string][]): Buffer {
  return Buffer.concat(
    props.map(([name, value]) => {
      const bytes = Buffer.from(value)
      const length = Buffer.alloc(4)
      length.writeUInt32BE(bytes.length)
      return Buffer.concat([Buffer.from([name.length]), Buffer.from(name), length, bytes])
    }),
  )
}

function ready(props: [string, Buffer | string][]): Buffer {
  return command("READY", properties(props))
}

// ---- the process under attack ---------------------------------------------------------------------

/** JS heap plus array buffers, after collecting garbage. */
function memory(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run these tests with --expose-gc (see vitest.config.ts)")
  gc()
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

async function waitFor(condition: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function within<T>(promise: Promise<T>, ms = 5000, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** The monitor events of a socket, as they come. */
function events(socket: zl.Socket): zl.Event[] {
  const seen: zl.Event[] = []
  for (const type of [
    "accept",
    "handshake",
    "disconnect",
    "handshake:error:protocol",
    "handshake:error:other",
    "close",
  ] as const) {
    socket.events.on(type, (event) => seen.push(event))
  }
  return seen
}

function errorOf(seen: zl.Event[], type: zl.EventType): string | undefined {
  const event = seen.find((e) => e.type === type && "error" in e && e.error !== undefined)
  return event !== undefined && "error" in event ? (event.error as { code?: string }).code : undefined
}

/** A raw TCP peer: everything it receives is counted, errors are kept rather than thrown. */
interface Raw {
  readonly socket: NetSocket
  received: number
  ended: boolean
}

function rawPeer(endpoint: string): Promise<Raw> {
  const { hostname, port } = new URL(endpoint.replace("tcp://", "http://"))
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const raw: Raw = { socket, received: 0, ended: false }
    socket.on("data", (chunk) => {
      raw.received += chunk.length
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      raw.ended = true
    })
    socket.once("connect", () => resolve(raw))
    socket.once("error", reject)
    closers.push(() => socket.destroy())
  })
}

/**
 * Writes what `build` makes and waits until the kernel has taken it: the attack's own buffers are
 * garbage once this resolves, so that they do not count as the cost of the attack.
 */
async function pushBuilt(raw: Raw, build: () => Buffer[]): Promise<void> {
  await push(raw, ...build())
}

/** Waits until the raw peer has received nothing new for 100 ms: what was sent to it has arrived. */
async function quiet(raw: Raw): Promise<void> {
  for (let last = -1; last !== raw.received; ) {
    last = raw.received
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Waits until the raw peer's socket is gone, so that nothing of it counts in a measurement. */
async function gone(raw: Raw): Promise<void> {
  raw.socket.destroy()
  await waitFor(() => raw.ended, 2000, "the raw peer's socket closed")
  await new Promise((resolve) => setImmediate(resolve))
}

/** Writes and waits until the kernel has taken it, or the peer went away. */
function push(raw: Raw, ...chunks: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    if (raw.socket.destroyed) return resolve()
    raw.socket.write(Buffer.concat(chunks), () => resolve())
  })
}

// ---- the good peer served meanwhile -----------------------------------------------------------------

/** A libzmq DEALER talking to a zlink ROUTER: `check()` makes one round trip. */
async function goodDealer(router: zl.Router, endpoint: string): Promise<() => Promise<void>> {
  const dealer = track(new zmq.Dealer({ routingId: "good", linger: 0 }))
  dealer.connect(endpoint)
  let n = 0
  const serve = (async () => {
    for await (const [id, body] of router) await router.send([id!, body!])
  })().catch(() => {})
  closers.push(() => void serve)
  return async () => {
    const tag = `ping ${++n}`
    await dealer.send(tag)
    const [reply] = await within(dealer.receive(), 5000, "the good peer's round trip")
    expect(reply!.toString()).toBe(tag)
  }
}

/** A libzmq PUSH feeding a zlink PULL: `check()` delivers one message. */
async function goodPusher(pull: zl.Pull, endpoint: string): Promise<() => Promise<void>> {
  const pusher = track(new zmq.Push({ linger: 0 }))
  pusher.connect(endpoint)
  let n = 0
  return async () => {
    const tag = `work ${++n}`
    await pusher.send(tag)
    const [message] = await within(pull.receive(), 5000, "the good peer's message")
    expect(message!.toString()).toBe(tag)
  }
}

/** A libzmq SUB of a zlink PUB or XPUB, subscribed to "good": `check()` gets one message through. */
async function goodSubscriber(
  pub: zl.Publisher | zl.XPublisher,
  endpoint: string,
): Promise<() => Promise<void>> {
  const sub = track(new zmq.Subscriber({ linger: 0 }))
  sub.subscribe("good")
  sub.connect(endpoint)
  let n = 0
  return async () => {
    const tag = `good ${++n}`
    const got = sub.receive()
    // Publishing is fire-and-forget: repeat until the subscription has arrived and the message is through.
    const repeat = setInterval(() => void pub.send(tag).catch(() => {}), 10)
    try {
      const [message] = await within(got, 5000, "the good subscriber's message")
      expect(message!.toString()).toBe(tag)
    } finally {
      clearInterval(repeat)
    }
    // Copies sent while the first was in flight are drained by the next check's receive.
    sub.receiveTimeout = 50
    for (;;) {
      try {
        await sub.receive()
      } catch {
        break
      }
    }
    sub.receiveTimeout = -1
  }
}

// ---- the attacks --------------------------------------------------------------------------------------

describe("subscriptions with long topics", () => {
  for (const Kind of [zl.Publisher, zl.XPublisher]) {
    const name = Kind === zl.Publisher ? "PUB" : "XPUB"
    for (const size of [4096, MB]) {
      it(`a ${name} survives a SUB that subscribes ${size} octets and leaves, and close() works`, async () => {
        const pub = new Kind({ linger: 0 })
        closers.push(() => pub.close())
        await pub.bind("tcp://127.0.0.1:*")
        const endpoint = pub.lastEndpoint!
        const check = await goodSubscriber(pub, endpoint)
        await check()
        const raw = await rawPeer(endpoint)
        const before = memory()
        await pushBuilt(raw, () => [
          GREETING,
          ready([["Socket-Type", "SUB"]]),
          command("SUBSCRIBE", Buffer.alloc(size, 0x61)),
        ])
        // The subscription is in place once a message under it reaches the raw peer.
        const matching = Buffer.concat([Buffer.alloc(size, 0x61), Buffer.from("!")])
        await waitFor(
          () => {
            void pub.send(matching).catch(() => {})
            return raw.received > size
          },
          5000,
          "a message under the long topic at the raw peer",
        )
        await quiet(raw)
        if (pub instanceof zl.XPublisher) {
          // The good subscriber's "good" came first.
          expect((await within(pub.receive()))[0]!.toString()).toBe("\x01good")
          const [subscription] = await within(pub.receive())
          expect(subscription!.length).toBe(size + 1)
          expect(subscription![0]).toBe(1)
        }
        const held = memory() - before
        raw.socket.destroy()
        if (pub instanceof zl.XPublisher) {
          const [cancel] = await within(pub.receive(), 5000, "the departed subscriber's cancel")
          expect(cancel!.length).toBe(size + 1)
          expect(cancel![0]).toBe(0)
        }
        await check()
        // docs/limits.md: a subscription costs its topic's octets once, plus a small constant.
        expect(held).toBeLessThan(3 * size + 512 * 1024)
        expect(() => pub.close()).not.toThrow()
        expect(pub.closed).toBe(true)
      })
    }
  }

  it("a zlink SUB with a 1 MB topic completes its handshake with libzmq and receives under it", async () => {
    const pub = track(new zmq.Publisher({ linger: 0 }))
    await pub.bind("tcp://127.0.0.1:*")
    const sub = track(new zl.Subscriber({ linger: 0 }))
    const topic = Buffer.alloc(MB, 0x62)
    sub.subscribe(topic)
    sub.connect(pub.lastEndpoint!)
    const got = sub.receive()
    const message = Buffer.concat([topic, Buffer.from(" payload")])
    const repeat = setInterval(() => void pub.send(message).catch(() => {}), 20)
    try {
      const [frame] = await within(got, 10_000, "the message under the long topic")
      expect(frame!.length).toBe(MB + 8)
      expect(frame!.subarray(MB).toString()).toBe(" payload")
    } finally {
      clearInterval(repeat)
    }
  })

  it("a libzmq SUB with a 1 MB topic receives from a zlink PUB", async () => {
    const pub = track(new zl.Publisher({ linger: 0 }))
    await pub.bind("tcp://127.0.0.1:*")
    const sub = track(new zmq.Subscriber({ linger: 0 }))
    const topic = Buffer.alloc(MB, 0x63)
    sub.subscribe(topic)
    sub.connect(pub.lastEndpoint!)
    const got = sub.receive()
    const repeat = setInterval(
      () => void pub.send(Buffer.concat([topic, Buffer.from("!")])).catch(() => {}),
      20,
    )
    try {
      const [frame] = await within(got, 10_000, "the message under the long topic")
      expect(frame!.length).toBe(MB + 1)
    } finally {
      clearInterval(repeat)
    }
  })

  it("in an XPUB/XSUB proxy, a hostile 1 MB subscription keeps the upstream libzmq link alive", async () => {
    const upstream = track(new zmq.Publisher({ linger: 0 }))
    await upstream.bind("tcp://127.0.0.1:*")
    const frontEnd = track(new zl.XPublisher({ linger: 0 }))
    const backEnd = track(new zl.XSubscriber({ linger: 0 }))
    await frontEnd.bind("tcp://127.0.0.1:*")
    backEnd.connect(upstream.lastEndpoint!)
    const backEvents = events(backEnd)
    const proxy = new zl.Proxy(frontEnd, backEnd)
    const running = proxy.run().catch(() => {})
    closers.push(() => {
      proxy.terminate()
      void running
    })
    const good = track(new zmq.Subscriber({ linger: 0 }))
    good.subscribe("news")
    good.connect(frontEnd.lastEndpoint!)
    const through = async (tag: string): Promise<void> => {
      const got = good.receive()
      const repeat = setInterval(() => void upstream.send(`news ${tag}`).catch(() => {}), 10)
      try {
        const [message] = await within(got, 5000, `news ${tag} through the proxy`)
        expect(message!.toString().startsWith("news")).toBe(true)
      } finally {
        clearInterval(repeat)
      }
    }
    await through("before")
    const raw = await rawPeer(frontEnd.lastEndpoint!)
    const topic = Buffer.alloc(MB, 0x64)
    await push(raw, GREETING, ready([["Socket-Type", "SUB"]]), command("SUBSCRIBE", topic))
    // The hostile topic travels upstream; libzmq's PUB then sends matching messages back down.
    await waitFor(
      () => {
        void upstream.send(Buffer.concat([topic, Buffer.from("?")])).catch(() => {})
        return raw.received > MB
      },
      10_000,
      "the long topic's message at the hostile peer",
    )
    raw.socket.destroy()
    await through("after")
    expect(backEvents.filter((e) => e.type === "disconnect")).toEqual([])
  })
})

describe("handshake metadata", () => {
  async function router() {
    const socket = track(new zl.Router({ linger: 0 }))
    const seen = events(socket)
    await socket.bind("tcp://127.0.0.1:*")
    const check = await goodDealer(socket, socket.lastEndpoint!)
    await check()
    return { socket, seen, check, endpoint: socket.lastEndpoint! }
  }

  it("a READY declaring 135 MB is refused on its header and costs nothing", async () => {
    const { seen, check, endpoint } = await router()
    const before = memory()
    const raw = await rawPeer(endpoint)
    const header = Buffer.alloc(9)
    header[0] = 0x06
    header.writeBigUInt64BE(135n * BigInt(MB), 1)
    await push(raw, GREETING, header, Buffer.alloc(MB, 0x52))
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_FRAME_TOO_LARGE")
    // As libzmq: a fault outside the mechanism's checks is reported by the disconnect alone.
    expect(seen.filter((e) => e.type.startsWith("handshake:error"))).toEqual([])
    await waitFor(() => raw.ended)
    expect(memory() - before).toBeLessThan(512 * 1024)
    await check()
  })

  it("a READY with a 60 KB Socket-Type is refused without decoding it", async () => {
    const { seen, check, endpoint } = await router()
    const before = memory()
    const raw = await rawPeer(endpoint)
    await push(raw, GREETING, ready([["Socket-Type", "D".repeat(60_000)]]))
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE")
    // As libzmq: a fault outside the mechanism's checks is reported by the disconnect alone.
    expect(seen.filter((e) => e.type.startsWith("handshake:error"))).toEqual([])
    expect(memory() - before).toBeLessThan(512 * 1024)
    await check()
  })

  it("a READY of a million properties (9 MB) is refused on its header", async () => {
    const { seen, check, endpoint } = await router()
    const before = memory()
    const raw = await rawPeer(endpoint)
    await pushBuilt(raw, () => {
      const one = properties([["X-A", ""]])
      const head = Buffer.concat([Buffer.from("\x05READY"), properties([["Socket-Type", "DEALER"]])])
      return [GREETING, frame(0x04, Buffer.concat([head, ...Array.from({ length: 1_000_000 }, () => one)]))]
    })
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_FRAME_TOO_LARGE")
    // As libzmq: a fault outside the mechanism's checks is reported by the disconnect alone.
    expect(seen.filter((e) => e.type.startsWith("handshake:error"))).toEqual([])
    await gone(raw)
    expect(memory() - before).toBeLessThan(512 * 1024)
    await check()
  })

  it("a small READY with 65 properties is refused with ZMTP_ERR_METADATA_LIMIT", async () => {
    const { seen, check, endpoint } = await router()
    const raw = await rawPeer(endpoint)
    const props: [string, string][] = [["Socket-Type", "DEALER"]]
    for (let i = 0; i < 64; i++) props.push([`X-${i}`, ""])
    await push(raw, GREETING, ready(props))
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_METADATA_LIMIT")
    // As libzmq: a fault outside the mechanism's checks is reported by the disconnect alone.
    expect(seen.filter((e) => e.type.startsWith("handshake:error"))).toEqual([])
    await check()
  })

  it("an Identity of 256 octets is refused; one of 255 is the peer's routing id", async () => {
    const { socket, seen, check, endpoint } = await router()
    const bad = await rawPeer(endpoint)
    await push(
      bad,
      GREETING,
      ready([
        ["Socket-Type", "DEALER"],
        ["Identity", "i".repeat(256)],
      ]),
    )
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_BAD_ROUTING_ID")
    // As libzmq: a fault outside the mechanism's checks is reported by the disconnect alone.
    expect(seen.filter((e) => e.type.startsWith("handshake:error"))).toEqual([])
    await check()
    socket.events.on("handshake", () => {})
    const good = await rawPeer(endpoint)
    await push(
      good,
      GREETING,
      ready([
        ["Socket-Type", "DEALER"],
        ["Identity", "i".repeat(255)],
      ]),
      frame(0, Buffer.from("hi")),
    )
    await waitFor(() => seen.filter((e) => e.type === "handshake").length >= 2)
    await check()
  })
})

describe("multipart input", () => {
  it("endless MORE frames stop at maxMessageSize: 4 MB on the wire cost nothing", async () => {
    const pull = track(new zl.Pull({ linger: 0, maxMessageSize: 1024 }))
    const seen = events(pull)
    await pull.bind("tcp://127.0.0.1:*")
    const check = await goodPusher(pull, pull.lastEndpoint!)
    await check()
    const before = memory()
    const raw = await rawPeer(pull.lastEndpoint!)
    await pushBuilt(raw, () => {
      const more = Buffer.alloc(4 * MB)
      for (let i = 0; i < more.length; i += 2) more[i] = 0x01
      return [GREETING, ready([["Socket-Type", "PUSH"]]), more]
    })
    await waitFor(() => errorOf(seen, "disconnect") !== undefined)
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_MESSAGE_TOO_LARGE")
    await gone(raw)
    expect(memory() - before).toBeLessThan(512 * 1024)
    await check()
  })
})

describe("heartbeats", () => {
  /** A raw peer past its handshake with `pull`, that never reads again. */
  async function deaf(endpoint: string): Promise<Raw> {
    const raw = await rawPeer(endpoint)
    await push(raw, GREETING, ready([["Socket-Type", "PUSH"]]))
    raw.socket.pause()
    return raw
  }

  const ping = command("PING", Buffer.from([0, 0]))
  const pings = (count: number): Buffer => Buffer.concat(Array.from({ length: count }, () => ping))

  it("1.6 M PINGs from a peer that never reads leave one PONG queued, not one per PING", async () => {
    const pull = track(new zl.Pull({ linger: 0 }))
    await pull.bind("tcp://127.0.0.1:*")
    const check = await goodPusher(pull, pull.lastEndpoint!)
    await check()
    const raw = await deaf(pull.lastEndpoint!)
    const before = memory()
    for (let i = 0; i < 16; i++) await pushBuilt(raw, () => [pings(100_000)])
    await check()
    // docs/limits.md: one pending PONG (the kernel's buffers hold what was written before).
    expect(memory() - before).toBeLessThan(MB)
    expect(raw.ended).toBe(false)
  })

  it("with heartbeats, a peer that sends PINGs but never reads is dropped by the timeout", async () => {
    const pusher = track(new zl.Push({ linger: 0, heartbeatInterval: 50, heartbeatTimeout: 200 }))
    const seen = events(pusher)
    await pusher.bind("tcp://127.0.0.1:*")
    const raw = await rawPeer(pusher.lastEndpoint!)
    await push(raw, GREETING, ready([["Socket-Type", "PULL"]]))
    raw.socket.pause()
    // More than the kernels' buffers hold, so that our PINGs can no longer leave.
    const big = Buffer.alloc(MB)
    for (let i = 0; i < 32; i++) await pusher.send(big)
    const flood = setInterval(() => void pushBuilt(raw, () => [pings(1000)]), 10)
    try {
      await waitFor(() => errorOf(seen, "disconnect") !== undefined, 10_000, "the heartbeat timeout")
    } finally {
      clearInterval(flood)
    }
    expect(errorOf(seen, "disconnect")).toBe("ZMTP_ERR_HEARTBEAT_TIMEOUT")
  })
})

describe("close and unbind never wait on a peer forever", () => {
  /** A raw peer past its handshake that reads but never sends its FIN. */
  async function neverEnds(endpoint: string, type: string): Promise<Raw> {
    const raw = await rawPeer(endpoint)
    raw.socket.allowHalfOpen = true
    await push(raw, GREETING, ready([["Socket-Type", type]]))
    return raw
  }

  /**
   * Milliseconds until our side of the connection is gone, seen from the raw peer: it writes a
   * little every 20 ms, which a connection that is still open (even half-closed, reading and
   * discarding) takes, and a released one answers with a reset.
   */
  async function untilReleased(raw: Raw, ms: number): Promise<number> {
    const start = Date.now()
    const poke = setInterval(() => {
      if (!raw.socket.destroyed) raw.socket.write(Buffer.from([0]))
    }, 20)
    try {
      await waitFor(() => raw.ended, ms, "the connection released")
    } finally {
      clearInterval(poke)
    }
    return Date.now() - start
  }

  it("close() with the default linger releases a connection whose peer never ends", async () => {
    const pusher = new zl.Push()
    closers.push(() => pusher.close())
    await pusher.bind("tcp://127.0.0.1:*")
    const raw = await neverEnds(pusher.lastEndpoint!, "PULL")
    await pusher.send("last words")
    await waitFor(() => raw.received > 64)
    expect(pusher.linger).toBe(-1)
    pusher.close()
    // Our end goes at once; the peer gets closeGrace (2 s) to end too, then the connection goes.
    await waitFor(() => raw.socket.readableEnded, 1000, "our end at the peer")
    const took = await untilReleased(raw, 4000)
    expect(took).toBeGreaterThan(1500)
  })

  it("unbind() with linger -1 releases a connection whose peer never ends", async () => {
    const pull = track(new zl.Pull({ linger: -1 }))
    await pull.bind("tcp://127.0.0.1:*")
    const endpoint = pull.lastEndpoint!
    const raw = await neverEnds(endpoint, "PUSH")
    await waitFor(() => raw.received >= 64)
    await pull.unbind(endpoint)
    await waitFor(() => raw.socket.readableEnded, 1000, "our end at the peer")
    await untilReleased(raw, 4000)
  })

  it("unbind() with a linger releases a connection whose peer does not read, when the linger expires", async () => {
    const pusher = track(new zl.Push({ linger: 100 }))
    await pusher.bind("tcp://127.0.0.1:*")
    const endpoint = pusher.lastEndpoint!
    const raw = await neverEnds(endpoint, "PULL")
    raw.socket.pause()
    // More than the kernels' buffers hold, so that the flush cannot finish.
    const big = Buffer.alloc(MB)
    for (let i = 0; i < 32; i++) await pusher.send(big)
    await pusher.unbind(endpoint)
    const took = await untilReleased(raw, 2000)
    expect(took).toBeLessThan(1000)
  })

  it("a peer that connects and never sends its greeting is released after close()", async () => {
    const pull = new zl.Pull({ linger: -1 })
    closers.push(() => pull.close())
    await pull.bind("tcp://127.0.0.1:*")
    const raw = await rawPeer(pull.lastEndpoint!)
    raw.socket.allowHalfOpen = true
    await waitFor(() => raw.received >= 10)
    pull.close()
    await untilReleased(raw, 4000)
  })
})

describe("ERROR commands, as libzmq 4.3.5 treats them", () => {
  const GREETING_ONLY = GREETING
  const error400 = command("ERROR", Buffer.from("\x03400"))

  /**
   * A raw server answering each connection with `reply` once the client's greeting and first
   * command (its READY) have arrived; counts connections. Waiting for the client's READY matters:
   * libzmq refuses a message that arrives before it has sent its own READY, which a reply sent on
   * the client's first octets can do when the machine is busy.
   */
  async function server(reply: Buffer[]): Promise<{ endpoint: string; connections: () => number }> {
    const { createServer } = await import("node:net")
    let connections = 0
    const srv = createServer((socket) => {
      connections++
      socket.on("error", () => {})
      socket.write(GREETING_ONLY)
      let input = Buffer.alloc(0)
      let replied = false
      socket.on("data", (chunk: Buffer) => {
        if (replied) return
        input = Buffer.concat([input, chunk])
        // The client's first command after its 64-octet greeting, a short frame: flags, size, body.
        if (input.length < 66 || input.length < 66 + input[65]!) return
        replied = true
        for (const part of reply) socket.write(part)
      })
    })
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve))
    closers.push(() => srv.close())
    const address = srv.address() as { port: number }
    return { endpoint: `tcp://127.0.0.1:${address.port}`, connections: () => connections }
  }

  it("an ERROR during the handshake is not redialled, by libzmq or by zlink", async () => {
    for (const Dealer of [zmq.Dealer, zl.Dealer]) {
      const { endpoint, connections } = await server([error400])
      const dealer = track(new Dealer({ reconnectInterval: 20, linger: 0 }))
      dealer.connect(endpoint)
      await waitFor(() => connections() > 0)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(connections()).toBe(1)
    }
  })

  it("an ERROR after the handshake is ignored, by libzmq and by zlink: the connection stays", async () => {
    const routerReady = ready([["Socket-Type", "ROUTER"]])
    for (const Dealer of [zmq.Dealer, zl.Dealer]) {
      const { endpoint, connections } = await server([routerReady, error400, frame(0, Buffer.from("after"))])
      const dealer = track(new Dealer({ reconnectInterval: 20, linger: 0 }))
      dealer.connect(endpoint)
      const [message] = await within(dealer.receive(), 5000, "the message after ERROR")
      expect(message!.toString()).toBe("after")
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(connections()).toBe(1)
    }
  })
})
