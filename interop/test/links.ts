/**
 * Socket patterns as "links": two connected sockets of a pattern, one from the binding implementation
 * and one from the connecting one, with the envelope handling of the pattern folded into two flows.
 *
 * `forward` carries application messages from the pattern's first socket to its second (DEALER to
 * ROUTER, REQ to REP, PUB to SUB); `back` carries replies or the reverse stream. A flow's `send` adds
 * the envelope the pattern needs (a routing id, an empty delimiter) and its `receive` checks and
 * strips it, so one test body runs against every pattern.
 *
 * Opening a link also waits until the pattern can deliver:
 * - PUB/SUB family: the subscription must reach the publisher first, or messages are dropped. An XPUB
 *   sender waits until it receives the subscription (`\x01`). A PUB sender cannot see subscriptions,
 *   so it publishes a probe message every 10 ms until the first probe arrives; the receiving flow then
 *   skips any probes still in flight (they all precede the first real message, as PUB/SUB keeps order
 *   per connection). Publishers get `sendHighWaterMark = 0` (no limit): a PUB drops what exceeds its
 *   high-water mark, and `await send()` on a PUB never waits, so a fast sender would otherwise lose
 *   messages by design.
 * - ROUTER senders need the peer's routing id: the DEALER (or REQ) speaks first, and a connecting
 *   ROUTER retries its greeting until the binder's routing id is routable.
 * - Receivers that subscribe keep a receive pending from the start. A binding libzmq socket only
 *   attaches a new connection (and sends its subscriptions over it) when the application calls into
 *   the socket; a pending receive is how real applications do that.
 * - PAIR and DEALER-DEALER exchange a greeting each way, one operation at a time, before the test
 *   runs both directions concurrently. zeromq.js 6.8.0 can lose the wake-up of a pending `send()`
 *   when a `receive()` on the same socket processes the command that made the socket writable
 *   (`Socket::Receive` checks ZMQ_EVENTS, which consumes the edge-triggered ZMQ_FD signal, and does
 *   not re-check the writer). With no later traffic the send never completes: a binding PAIR whose
 *   first send waits for its peer hung in about 1 of 60 runs until the greeting was added.
 */

import { expect } from "vitest"
import type * as zmq from "zeromq"
import { bindAny, type Closable, quiet, sleep, type Transport, within, type Zmq } from "./fixtures.js"
import { describeFrames, expectFrames, type Frames, frames } from "./messages.js"

/** Everything a link needs: who binds, who connects, over what, and how sockets get closed. */
export interface LinkEnv {
  readonly binder: Zmq
  readonly connecter: Zmq
  readonly transport: Transport
  /** Registers a socket to be closed after the test. */
  readonly open: <S extends Closable>(socket: S) => S
  /**
   * Where the connecting socket connects, given the endpoint the other one bound: a proxy in front
   * of it (the chaos tests). Absent: the bound endpoint itself.
   */
  readonly via?: (endpoint: string) => Promise<string>
}

/** One direction of application messages. */
export interface Flow {
  send(message: Frames): Promise<void>
  receive(): Promise<Frames>
}

export interface Link {
  readonly forward: Flow
  /** Replies (REQ/REP family) or the reverse stream (PAIR, DEALER, ROUTER); absent for PUB/SUB and PUSH/PULL. */
  readonly back?: Flow
  /** A REQ is involved: each request must get its reply before the next request goes out. */
  readonly lockstep: boolean
}

export interface PatternCase {
  /** "DEALER-ROUTER" */
  readonly name: string
  /** Which socket type binds: "ROUTER binds". */
  readonly binds: string
  open(env: LinkEnv): Promise<Link>
}

type Socket = zmq.Socket
type Readable = zmq.Socket & zmq.Readable
type Writable = zmq.Socket & zmq.Writable
type Side = "a" | "b"

/** How long a link may take to become ready before the test fails. */
const READY_TIMEOUT = 5_000

/** The probe a PUB sends until its subscriber hears it. No test message is this single frame. */
export const PROBE: Frames = frames("\u0000zl-interop-probe")

const EMPTY = Buffer.alloc(0)

/**
 * Creates the two sockets of a pattern, `a` and `b`, from the binding and connecting
 * implementations, binds the one named by `binds` and connects the other to it.
 */
async function connected<A extends Socket, B extends Socket>(
  env: LinkEnv,
  binds: Side,
  makeA: (zmq: Zmq) => A,
  makeB: (zmq: Zmq) => B,
): Promise<{ a: A; b: B }> {
  const a = env.open(makeA(binds === "a" ? env.binder : env.connecter))
  const b = env.open(makeB(binds === "a" ? env.connecter : env.binder))
  const server: Socket = binds === "a" ? a : b
  const client: Socket = binds === "a" ? b : a
  const endpoint = await bindAny(server, env.transport)
  client.connect(env.via === undefined ? endpoint : await env.via(endpoint))
  return { a, b }
}

/** A receive function whose first receive is already pending. */
export function prefetched(socket: Readable): () => Promise<Frames> {
  let pending: Promise<Frames> | undefined = quiet(socket.receive())
  return () => {
    const next = pending ?? socket.receive()
    pending = undefined
    return next
  }
}

function isProbe(message: Frames, probe: Frames): boolean {
  return message.length === probe.length && message.every((frame, i) => frame.equals(probe[i]!))
}

/**
 * Publishes `probe` every 10 ms until `receive` (whose first receive is pending) yields it. Returns a
 * receive function that skips the probes still in flight.
 */
export async function probeUntilHeard(
  sender: Writable,
  receive: () => Promise<Frames>,
  probe: Frames = PROBE,
): Promise<() => Promise<Frames>> {
  const first = receive()
  let heard = false
  first.then(
    () => {
      heard = true
    },
    () => {},
  )
  const deadline = Date.now() + READY_TIMEOUT
  while (!heard) {
    if (Date.now() > deadline) {
      throw new Error(`no probe arrived within ${READY_TIMEOUT} ms: the subscription never propagated`)
    }
    await sender.send(probe)
    await Promise.race([first.then(noop, noop), sleep(10)])
  }
  expectFrames(await first, probe, "first message after subscribing")
  return async () => {
    for (;;) {
      const message = await receive()
      if (!isProbe(message, probe)) return message
    }
  }
}

function noop(): void {}

/**
 * Sends `message` from a ROUTER to `peer` as soon as that peer is routable: retries on EHOSTUNREACH
 * (peer not yet connected, with `mandatory`) until `READY_TIMEOUT`.
 */
export async function sendWhenRoutable(router: zmq.Router, peer: string, message: Frames): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT
  const saved = router.sendTimeout
  router.sendTimeout = 0
  try {
    for (;;) {
      try {
        await router.send([Buffer.from(peer), ...message])
        return
      } catch (error) {
        const code = (error as { code?: string }).code
        if ((code !== "EHOSTUNREACH" && code !== "EAGAIN") || Date.now() > deadline) throw error
        await sleep(5)
      }
    }
  } finally {
    router.sendTimeout = saved
  }
}

/** Receives on a ROUTER and checks that the message came from `peer`; returns what follows the id. */
async function receiveFrom(router: zmq.Router, peer: Buffer): Promise<Frames> {
  const [id, ...rest] = await router.receive()
  if (id === undefined || !id.equals(peer)) {
    throw new Error(
      `ROUTER expected a message from ${describeFrames([peer])}, got ${describeFrames([id ?? EMPTY])}`,
    )
  }
  return rest
}

/** Strips the empty delimiter a REQ/REP envelope ends with, failing if it is missing. */
function afterDelimiter(message: Frames, who: string): Frames {
  const [delimiter, ...rest] = message
  if (delimiter === undefined || delimiter.length !== 0) {
    throw new Error(`${who} expected an empty delimiter frame, got ${describeFrames(message)}`)
  }
  return rest
}

function label(names: [string, string], binds: Side): string {
  return `${binds === "a" ? names[0] : names[1]} binds`
}

/** Sends a greeting from `a` to `b` and one back, one operation at a time (see the note above). */
export async function greet(a: Readable & Writable, b: Readable & Writable): Promise<void> {
  await a.send("hello")
  expectFrames(await within(READY_TIMEOUT, b.receive(), "greeting"), frames("hello"), "greeting")
  await b.send("hello")
  expectFrames(await within(READY_TIMEOUT, a.receive(), "greeting back"), frames("hello"), "greeting back")
}

function both(sender: Writable, receiver: Readable): Flow {
  return { send: (m) => sender.send(m), receive: () => receiver.receive() }
}

/** PAIR <-> PAIR. */
export function pairCase(binds: Side): PatternCase {
  return {
    name: "PAIR-PAIR",
    binds: binds === "a" ? "first PAIR binds" : "second PAIR binds",
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z) => new z.Pair(),
        (z) => new z.Pair(),
      )
      await greet(a, b)
      return { forward: both(a, b), back: both(b, a), lockstep: false }
    },
  }
}

/** DEALER <-> DEALER. */
export function dealerDealerCase(binds: Side): PatternCase {
  return {
    name: "DEALER-DEALER",
    binds: binds === "a" ? "first DEALER binds" : "second DEALER binds",
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z) => new z.Dealer(),
        (z) => new z.Dealer(),
      )
      await greet(a, b)
      return { forward: both(a, b), back: both(b, a), lockstep: false }
    },
  }
}

/** PUSH -> PULL. */
export function pushPullCase(binds: Side): PatternCase {
  return {
    name: "PUSH-PULL",
    binds: label(["PUSH", "PULL"], binds),
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z) => new z.Push(),
        (z) => new z.Pull(),
      )
      return { forward: both(a, b), lockstep: false }
    },
  }
}

/** PUB or XPUB -> SUB or XSUB, subscribed to everything. */
export function pubSubCase(sender: "PUB" | "XPUB", receiver: "SUB" | "XSUB", binds: Side): PatternCase {
  return {
    name: `${sender}-${receiver}`,
    binds: label([sender, receiver], binds),
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z): Writable =>
          sender === "PUB"
            ? new z.Publisher({ sendHighWaterMark: 0 })
            : new z.XPublisher({ sendHighWaterMark: 0 }),
        (z): Readable => {
          if (receiver === "XSUB") return new z.XSubscriber()
          const sub = new z.Subscriber()
          sub.subscribe()
          return sub
        },
      )
      const receive = prefetched(b)
      // An XSUB subscribes with a message: \x01 followed by the topic (here, all topics).
      if (receiver === "XSUB") await (b as zmq.XSubscriber).send(Buffer.from([1]))
      if (sender === "XPUB") {
        const subscription = await within(READY_TIMEOUT, (a as zmq.XPublisher).receive(), "XPUB subscription")
        expectFrames(subscription, [Buffer.from([1])], "subscription seen by XPUB")
        return { forward: { send: (m) => a.send(m), receive }, lockstep: false }
      }
      const afterProbes = await probeUntilHeard(a, receive)
      return { forward: { send: (m) => a.send(m), receive: afterProbes }, lockstep: false }
    },
  }
}

/** DEALER <-> ROUTER: the ROUTER sees [dealer id, ...frames] and replies with the id in front. */
export function dealerRouterCase(binds: Side): PatternCase {
  return {
    name: "DEALER-ROUTER",
    binds: label(["DEALER", "ROUTER"], binds),
    async open(env) {
      const { a: dealer, b: router } = await connected(
        env,
        binds,
        (z) => new z.Dealer(),
        (z) => new z.Router({ mandatory: true }),
      )
      await dealer.send("hello")
      const [id, ...hello] = await within(READY_TIMEOUT, router.receive(), "ROUTER to hear the DEALER")
      expect(id, "routing id").toBeDefined()
      expectFrames(hello, frames("hello"), "DEALER greeting")
      const peer = id!
      return {
        forward: { send: (m) => dealer.send(m), receive: () => receiveFrom(router, peer) },
        back: { send: (m) => router.send([peer, ...m]), receive: () => dealer.receive() },
        lockstep: false,
      }
    },
  }
}

/** ROUTER <-> ROUTER with explicit routing ids; the connecting ROUTER greets the binder first. */
export function routerRouterCase(binds: Side): PatternCase {
  return {
    name: "ROUTER-ROUTER",
    binds: binds === "a" ? "router-a binds" : "router-b binds",
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z) => new z.Router({ routingId: "router-a", mandatory: true }),
        (z) => new z.Router({ routingId: "router-b", mandatory: true }),
      )
      const [server, client, serverId, clientId] =
        binds === "a" ? [a, b, "router-a", "router-b"] : [b, a, "router-b", "router-a"]
      await sendWhenRoutable(client, serverId, frames("hello"))
      const hello = await within(READY_TIMEOUT, receiveFrom(server, Buffer.from(clientId)), "ROUTER greeting")
      expectFrames(hello, frames("hello"), "ROUTER greeting")
      const idA = Buffer.from("router-a")
      const idB = Buffer.from("router-b")
      return {
        forward: { send: (m) => a.send([idB, ...m]), receive: () => receiveFrom(b, idA) },
        back: { send: (m) => b.send([idA, ...m]), receive: () => receiveFrom(a, idB) },
        lockstep: false,
      }
    },
  }
}

/** REQ <-> REP: the envelope is invisible to both applications. */
export function reqRepCase(binds: Side): PatternCase {
  return {
    name: "REQ-REP",
    binds: label(["REQ", "REP"], binds),
    async open(env) {
      const { a, b } = await connected(
        env,
        binds,
        (z) => new z.Request(),
        (z) => new z.Reply(),
      )
      return { forward: both(a, b), back: both(b, a), lockstep: true }
    },
  }
}

/** REQ <-> ROUTER: the ROUTER sees [req id, "", ...frames] and must reply with the same envelope. */
export function reqRouterCase(binds: Side): PatternCase {
  return {
    name: "REQ-ROUTER",
    binds: label(["REQ", "ROUTER"], binds),
    async open(env) {
      const { a: req, b: router } = await connected(
        env,
        binds,
        (z) => new z.Request(),
        (z) => new z.Router({ mandatory: true }),
      )
      let peer: Buffer | undefined
      return {
        forward: {
          send: (m) => req.send(m),
          async receive() {
            const [id, ...rest] = await router.receive()
            peer = id
            return afterDelimiter(rest, "ROUTER")
          },
        },
        back: {
          send: (m) => {
            if (peer === undefined) throw new Error("ROUTER reply before any request")
            return router.send([peer, EMPTY, ...m])
          },
          receive: () => req.receive(),
        },
        lockstep: true,
      }
    },
  }
}

/** DEALER <-> REP: the DEALER adds and strips the empty delimiter itself, and may pipeline requests. */
export function dealerRepCase(binds: Side): PatternCase {
  return {
    name: "DEALER-REP",
    binds: label(["DEALER", "REP"], binds),
    async open(env) {
      const { a: dealer, b: rep } = await connected(
        env,
        binds,
        (z) => new z.Dealer(),
        (z) => new z.Reply(),
      )
      return {
        forward: { send: (m) => dealer.send([EMPTY, ...m]), receive: () => rep.receive() },
        back: {
          send: (m) => rep.send(m),
          receive: async () => afterDelimiter(await dealer.receive(), "DEALER"),
        },
        lockstep: false,
      }
    },
  }
}

/**
 * Every socket pairing, with each side binding where that makes a difference. The usual arrangement
 * of each pairing (the server binds) comes first; patterns.test.ts runs its 10,000-message case on
 * that one only, since which side binds changes the handshake roles, not the data path.
 */
export const patternCases: readonly PatternCase[] = [
  pairCase("a"),
  pubSubCase("PUB", "SUB", "a"),
  pubSubCase("PUB", "SUB", "b"),
  pubSubCase("XPUB", "XSUB", "a"),
  pubSubCase("XPUB", "XSUB", "b"),
  pubSubCase("XPUB", "SUB", "a"),
  pubSubCase("XPUB", "SUB", "b"),
  pubSubCase("PUB", "XSUB", "a"),
  pubSubCase("PUB", "XSUB", "b"),
  dealerDealerCase("a"),
  dealerRouterCase("b"),
  dealerRouterCase("a"),
  routerRouterCase("a"),
  reqRepCase("b"),
  reqRepCase("a"),
  reqRouterCase("b"),
  reqRouterCase("a"),
  dealerRepCase("b"),
  dealerRepCase("a"),
  pushPullCase("b"),
  pushPullCase("a"),
]

/**
 * The benchmark's patterns (DESIGN.md section 7), each as a one-way stream whose receiver binds, the
 * way libzmq's throughput tools run.
 */
export const benchPatterns: Readonly<Record<string, PatternCase>> = {
  PAIR: pairCase("b"),
  PUBSUB: pubSubCase("PUB", "SUB", "b"),
  DEALER_DEALER: dealerDealerCase("b"),
  DEALER_ROUTER: dealerRouterCase("b"),
  ROUTER_ROUTER: routerRouterCase("b"),
  PUSH_PULL: pushPullCase("b"),
}

/** Sends `message` forward and checks it arrives; then, if the link has a way back, returns it. */
export async function roundTrip(link: Link, message: Frames, what: string): Promise<void> {
  await link.forward.send(message)
  expectFrames(await within(10_000, link.forward.receive(), `${what} forward`), message, `${what} forward`)
  if (link.back === undefined) return
  await link.back.send(message)
  expectFrames(await within(10_000, link.back.receive(), `${what} back`), message, `${what} back`)
}

/**
 * Streams `count` messages forward (and, on links with a way back, echoes each one back) with sender,
 * relay and receiver running concurrently, each awaiting every send as an application would.
 * `make(seq)` builds message `seq`; `check(message, seq)` throws unless it is exactly that message.
 * Fails if the stream does not finish within `timeout` ms, naming how far it got.
 *
 * With a way back, the sender stays at most `IN_FLIGHT` messages ahead of what came back: a REP
 * (libzmq's and zlink's) drops a reply its peer's pipe has no room for, so a returner that fell more
 * than the high-water marks behind would see replies lost by design, not by a fault.
 */
/** How far a stream's sender may run ahead of its returner: half the default high-water mark. */
const IN_FLIGHT = 500

export async function stream(
  link: Link,
  count: number,
  make: (seq: number) => Frames,
  check: (message: Frames, seq: number) => void,
  { timeout = 20_000, echo = true }: { timeout?: number; echo?: boolean } = {},
): Promise<void> {
  const back = echo ? link.back : undefined
  let forwarded = 0
  let returned = 0
  /** A sender waiting for the returner to catch up. */
  const waiting: (() => void)[] = []
  const progress = () =>
    `${forwarded}/${count} messages arrived${back === undefined ? "" : `, ${returned}/${count} came back`}`

  const run = async () => {
    if (link.lockstep) {
      for (let seq = 0; seq < count; seq += 1) {
        await link.forward.send(make(seq))
        const request = await link.forward.receive()
        check(request, seq)
        forwarded += 1
        if (back === undefined) continue
        await back.send(request)
        check(await back.receive(), seq)
        returned += 1
      }
      return
    }
    const sender = async () => {
      for (let seq = 0; seq < count; seq += 1) {
        while (back !== undefined && seq - returned >= IN_FLIGHT) {
          await new Promise<void>((resolve) => waiting.push(resolve))
        }
        await link.forward.send(make(seq))
      }
    }
    const relay = async () => {
      for (let seq = 0; seq < count; seq += 1) {
        const message = await link.forward.receive()
        check(message, seq)
        forwarded += 1
        if (back !== undefined) await back.send(message)
      }
    }
    const returner = async () => {
      if (back === undefined) return
      for (let seq = 0; seq < count; seq += 1) {
        check(await back.receive(), seq)
        returned += 1
        for (const resume of waiting.splice(0)) resume()
      }
    }
    await Promise.all([sender(), relay(), returner()])
  }
  await within(timeout, run(), progress)
  expect(forwarded).toBe(count)
  if (back !== undefined) expect(returned).toBe(count)
}
