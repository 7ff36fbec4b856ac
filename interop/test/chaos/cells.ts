/**
 * The chaos matrix: every socket pair of the interop suite, run through the chaos proxy, under two
 * classes of faults.
 *
 * Non-destructive (splits down to one octet, delays, read stalls): the byte stream is intact, so
 * every pattern must deliver every message exactly once and in order, as without the proxy.
 *
 * Destructive (four cuts per cell, each followed by a downtime of refused connections: mid-stream by
 * reset, inside the greeting or READY handshake of the next connection, mid-stream by destroy and by
 * half-close; chunks are torn as above, so cuts land inside frames): what each pattern still
 * promises, and what the cells assert, is
 *
 * - every pattern: no message is corrupted, duplicated or reordered, sockets reconnect and the flow
 *   runs to completion;
 * - streams (PAIR, PUB/SUB, XPUB/XSUB, DEALER/DEALER, ROUTER/ROUTER, PUSH/PULL): messages are lost
 *   only with a cut connection. The missing sequence numbers form at most one run per cut, and each
 *   run is matched, in order, to its own recovery event that came after its last message began
 *   sending: the sender's `disconnect` event (messages in flight on the dead connection, or queued in
 *   a bound socket's pipe to it), for an XPUB the re-subscription that followed (what it sent while
 *   nobody was subscribed is dropped by design). A PUB cannot see subscriptions, so its runs are only
 *   counted against the cuts. Nothing sent after the last recovery may be lost;
 * - PUSH/PULL with a send high-water mark: while the PUSH has no connection, at most that many sends
 *   complete; the sender waits at the mark and resumes after the reconnect;
 * - REQ/REP and REQ/ROUTER: a client that gives up on a reply after a receive timeout and retries
 *   with a fresh REQ ("lazy pirate") gets every request answered, and the server sees each request
 *   id at most as many times as it was sent;
 * - DEALER/ROUTER (three DEALERs) and DEALER/REP: a DEALER keeping a window of requests and resending
 *   those unanswered after a timeout gets every request answered; every reply reaches the DEALER that
 *   asked; requests sent once are answered in the order sent; neither side sees an id more often than
 *   it was sent.
 */
import { expect } from "vitest"
import type * as zmq from "zeromq"
import { bindAny, type Closable, codeOf, type Impl, quiet, sleep, within } from "../fixtures.js"
import {
  dealerDealerCase,
  dealerRepCase,
  dealerRouterCase,
  type Flow,
  type Link,
  type LinkEnv,
  type PatternCase,
  pairCase,
  pubSubCase,
  pushPullCase,
  reqRepCase,
  reqRouterCase,
  routerRouterCase,
} from "../links.js"
import { checkVaried, type Frames, varied } from "../messages.js"
import { type Counts, Ledger, seqOf } from "./ledger.js"
import {
  type ChaosOptions,
  ChaosProxy,
  type Cut,
  type CutKind,
  type Direction,
  type Faults,
} from "./proxy.js"
import type { Random } from "./random.js"

/** `ZL_CHAOS_LONG=1`: ten times the messages, four seeds per cell and three rounds of cuts. */
export const LONG = process.env.ZL_CHAOS_LONG === "1"
/** The seeds every cell runs with. */
export const SEEDS: readonly number[] = LONG ? [1, 2, 3, 4] : [1]
const SCALE = LONG ? 10 : 1

/** Messages per stream cell, and request/reply round trips. */
const STREAM_COUNT = 200 * SCALE
const REQUEST_COUNT = 100 * SCALE

/**
 * Non-destructive faults: every chunk torn into pieces of 1-7 or up to 512 octets (a ZMTP frame
 * header, a size field, a greeting are split as often as bodies), a few delayed pieces and stalls.
 */
const GENTLE: Faults = {
  split: 1,
  tinyPiece: 7,
  maxPiece: 512,
  delay: 0.05,
  maxDelay: 3,
  stall: 0.02,
  stallMs: [20, 80],
}
/** What accompanies the cuts: torn chunks, so that cuts land inside frames of every size. */
const TORN: Faults = { ...GENTLE, delay: 0.02, maxDelay: 2, stall: 0 }

/** Connections refused after each cut (ms): the sockets live through a real outage. */
const DOWNTIME = 100
/** The downtime for a binding libzmq PAIR (see Traits.pairRejectsEarlyReplacement). */
const PAIR_DOWNTIME = 1_000
/** The kinds of cut, in the order of a round of the plan (see `cutPlan`). */
const KINDS: readonly CutKind[] = ["reset", "destroy", "half-close"]
/** Rounds of the plan: four cuts each. */
const ROUNDS = LONG ? 3 : 1
/** Every cut a destructive cell must go through. */
const PLANNED_CUTS = 4 * ROUNDS
/**
 * Mid-stream cuts fall this many octets after the start of a connection, plus up to a spread: past
 * the handshake and the first messages (so that a link's opening exchange is never cut), and early
 * enough that every planned cut is reached while the cell's traffic lasts.
 */
const MID_STREAM_FROM = 200
/** The last octet offset of a handshake cut (see `cutPlan`). */
const READY_END = 90
const STREAM_SPREAD = 3_000
const REQUEST_SPREAD = 1_000

/** The reconnect interval of every socket in a destructive cell (ms; libzmq's default is 100). */
const RECONNECT = 20
/**
 * Sends and receives that wait longer are retried: zeromq.js can lose the wake-up of a pending send
 * or receive on a socket that has both pending (links.ts), which a reconnect makes likely.
 */
const OP_TIMEOUT = 200
/** A request unanswered for this long is given up on and sent again (ms). */
const RETRY_AFTER = 300
/** The PUSH's send high-water mark in the destructive PUSH/PULL cell. */
const PUSH_HWM = 20
/** Stream pacing: the sender stays at most this many messages ahead of the receiver... */
const WINDOW = 16
/** ...unless nothing arrived for this long (ms). */
const PACE = 25

/** How long one cell may run. */
const CELL_TIMEOUT = LONG ? 240_000 : 20_000

/** Where a cell runs: its implementations, its seed, and how it registers what to clean up. */
export interface CellEnv {
  readonly binder: Impl
  readonly connecter: Impl
  readonly seed: number
  readonly open: <S extends Closable>(socket: S) => S
  readonly cleanup: (fn: () => unknown) => void
  /** Keeps what the cell measured for the report; cells call it before they assert. */
  readonly record: (report: CellReport) => void
}

/** What a cell measured: counts per flow, the proxy's record, and notes for the report. */
export interface CellReport {
  readonly flows: Record<string, Counts>
  readonly notes: string[]
}

/** One pattern of the matrix. */
export interface ChaosPattern {
  readonly name: string
  /** Which socket binds. */
  readonly binds: string
  gentle(env: CellEnv): Promise<CellReport>
  destructive(env: CellEnv): Promise<CellReport>
}

type Socket = zmq.Socket

/** Every time in the chaos tests is `performance.now()`: a loss is judged against events a fraction of a millisecond apart. */
function now(): number {
  return performance.now()
}

/** A seed per (cell, seed) pair, so that cells do not share their fault positions. */
export function cellSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < name.length; i += 1) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * The destructive plan, in rounds of four cuts: mid-stream by reset; inside the greeting (octets
 * 0-63) or the READY command (64-90) of the next connection, in either direction and of any kind;
 * mid-stream by destroy; mid-stream by half-close. Mid-stream cuts go in one of `directions` (those
 * that carry the pattern's messages) at `MID_STREAM_FROM` plus up to `spread` octets.
 *
 * A mid-stream cut comes first because a link's opening (links.ts) is not itself loss-tolerant: a
 * greeting the binder hands to a connection whose peer is then cut inside the handshake is lost,
 * as is anything in flight on a cut connection.
 */
function cutPlan(
  directions: readonly Direction[],
  spread: number,
): (slot: number, random: Random) => Cut | undefined {
  return (slot, random) => {
    if (slot >= PLANNED_CUTS) return undefined
    const step = slot % 4
    if (step === 1) {
      // The shortest READY (a SUB's or a PULL's, 27-28 octets) ends at octet 91 of its direction:
      // a cut planned past it would never come on the direction that carries nothing else.
      const at = random.chance(0.5) ? random.int(0, 63) : random.int(64, READY_END)
      return { direction: random.pick(["up", "down"] as const), at, kind: random.pick(KINDS) }
    }
    return {
      direction: random.pick(directions),
      at: random.int(MID_STREAM_FROM, MID_STREAM_FROM + spread),
      kind: KINDS[step === 0 ? 0 : step - 1]!,
    }
  }
}

/** A summary of what the proxy did, for the report. */
function proxyNotes(proxy: ChaosProxy): string[] {
  const { up, down } = proxy.totals()
  const pieces = up.pieces + down.pieces
  const stalls = up.stalls + down.stalls
  const delays = up.delays + down.delays
  const notes = [
    `${proxy.connections.length} conn`,
    `${pieces} pieces (min ${Math.min(up.smallestPiece, down.smallestPiece)} B)`,
  ]
  if (delays > 0) notes.push(`${delays} delays`)
  if (stalls > 0) notes.push(`${stalls} stalls`)
  const cuts = proxy.connections.filter((c) => c.cutTime !== undefined)
  if (cuts.length > 0)
    notes.push(`cuts: ${cuts.map((c) => `${c.cut!.kind}@${c.cut!.direction}:${c.cut!.at}`).join(" ")}`)
  if (proxy.refused > 0) notes.push(`${proxy.refused} refused`)
  return notes
}

/** Checks that the proxy really did the non-destructive faults (a cell that saw none proves nothing). */
function expectGentleFaults(proxy: ChaosProxy): void {
  const { up, down } = proxy.totals()
  expect(up.pieces + down.pieces, "chunks were split").toBeGreaterThan(up.chunks + down.chunks)
  expect(Math.min(up.smallestPiece, down.smallestPiece), "down to single octets").toBe(1)
  expect(up.delays + down.delays, "pieces were delayed").toBeGreaterThan(0)
  expect(up.stalls + down.stalls, "reads were stalled").toBeGreaterThan(0)
  expect(proxy.cuts).toBe(0)
  expect(up.dropped + down.dropped).toBe(0)
}

/** A destructive cell's socket reconnects quickly; set before it binds or connects (libzmq reads it then). */
function reconnectFast<S extends Closable>(socket: S): S {
  ;(socket as unknown as Socket).reconnectInterval = RECONNECT
  return socket
}

/**
 * A destructive cell's sends and receives time out and are retried. A link gets the timeouts only
 * once it is open, since opening waits for the first connection.
 */
function withTimeouts<S extends Closable>(socket: S): S {
  const s = socket as unknown as Socket
  if ("sendTimeout" in s) (s as Socket & zmq.Writable).sendTimeout = OP_TIMEOUT
  if ("receiveTimeout" in s) (s as Socket & zmq.Readable).receiveTimeout = OP_TIMEOUT
  return socket
}

/** Records the times of a socket's `disconnect` events. */
function disconnects(socket: Socket): number[] {
  const times: number[] = []
  socket.events.on("disconnect", () => times.push(now()))
  return times
}

/** The connection events of a socket, with times, for the message of a cell that hangs. */
function eventLog(socket: Socket, name: string, log: string[]): void {
  const types = ["accept", "connect", "handshake", "disconnect", "close", "connect:retry"] as const
  for (const type of types) socket.events.on(type, () => log.push(`${now().toFixed(0)} ${name} ${type}`))
  socket.events.on("handshake:error:protocol", () => log.push(`${now().toFixed(0)} ${name} handshake:error`))
  socket.events.on("handshake:error:other", () => log.push(`${now().toFixed(0)} ${name} handshake:error`))
}

/** What the proxy's connections look like, for failure messages. */
function describeConnections(proxy: ChaosProxy): string {
  return proxy.connections
    .map((c) => {
      const cut = c.cut === undefined ? "no cut" : `${c.cut.kind}@${c.cut.direction}:${c.cut.at}`
      const state = c.cutTime !== undefined ? "cut" : c.closed ? "closed" : "open"
      return `#${c.index} at ${c.openedAt.toFixed(0)}: up ${c.up.bytesOut} B, down ${c.down.bytesOut} B, ${cut}, ${state}`
    })
    .join("; ")
}

/**
 * Sends `message`, retrying while the socket refuses it for now: EAGAIN (send timeout: no peer, or
 * the high-water mark) or EHOSTUNREACH (a mandatory ROUTER whose peer is reconnecting). A refused
 * send was not taken, so retrying cannot duplicate. Returns when the message was taken (true) or
 * `stop()` became true (false).
 */
async function sendRetrying(
  send: (m: Frames) => Promise<void>,
  message: Frames,
  stop = () => false,
): Promise<boolean> {
  for (;;) {
    if (stop()) return false
    try {
      await send(message)
      return true
    } catch (error) {
      const code = codeOf(error)
      if (code !== "EAGAIN" && code !== "EHOSTUNREACH") throw error
      await sleep(5)
    }
  }
}

/** Receives, retrying after a receive timeout (EAGAIN). */
async function receiveRetrying(receive: () => Promise<Frames>): Promise<Frames> {
  for (;;) {
    try {
      return await receive()
    } catch (error) {
      if (codeOf(error) !== "EAGAIN") throw error
    }
  }
}

/** Opens `pattern` through a chaos proxy in front of the binding socket. */
async function chaosLink(
  pattern: PatternCase,
  env: CellEnv,
  options: ChaosOptions,
  configure: <S extends Closable>(socket: S) => S = (socket) => socket,
): Promise<{ link: Link; proxy: ChaosProxy; sockets: Socket[] }> {
  let proxy: ChaosProxy | undefined
  const sockets: Socket[] = []
  const linkEnv: LinkEnv = {
    binder: env.binder.zmq,
    connecter: env.connecter.zmq,
    transport: "tcp",
    open: (socket) => {
      env.open(configure(socket))
      sockets.push(socket as unknown as Socket)
      return socket
    },
    via: async (endpoint) => {
      proxy = await ChaosProxy.start(endpoint, options)
      env.cleanup(() => proxy?.close())
      return proxy.endpoint
    },
  }
  const link = await pattern.open(linkEnv)
  return { link, proxy: proxy!, sockets }
}

// ---- non-destructive ---------------------------------------------------------------------------

/**
 * Streams `count` messages through `link` (echoing each back where the link has a way back), and
 * records both directions. Lockstep links (REQ) do one round trip at a time.
 */
async function exactRun(link: Link, count: number, forward: Ledger, back: Ledger): Promise<void> {
  const echo = link.back
  if (link.lockstep) {
    for (let seq = 0; seq < count; seq += 1) {
      let start = now()
      await link.forward.send(varied(seq))
      forward.recordSent(seq, start)
      const request = await link.forward.receive()
      forward.recordReceived(request)
      start = now()
      await echo!.send(request)
      back.recordSent(seqOf(request), start)
      back.recordReceived(await echo!.receive())
    }
    return
  }
  const sender = async () => {
    for (let seq = 0; seq < count; seq += 1) {
      const start = now()
      await link.forward.send(varied(seq))
      forward.recordSent(seq, start)
    }
  }
  const relay = async () => {
    for (let i = 0; i < count && forward.highest < count - 1; i += 1) {
      const message = await link.forward.receive()
      forward.recordReceived(message)
      if (echo === undefined) continue
      const start = now()
      await echo.send(message)
      back.recordSent(seqOf(message), start)
    }
  }
  const returner = async () => {
    if (echo === undefined) return
    for (let i = 0; i < count && back.highest < count - 1; i += 1) back.recordReceived(await echo.receive())
  }
  await Promise.all([sender(), relay(), returner()])
}

async function gentleCell(pattern: PatternCase, env: CellEnv): Promise<CellReport> {
  const { link, proxy } = await chaosLink(pattern, env, { seed: env.seed, faults: GENTLE })
  const count = link.lockstep ? REQUEST_COUNT : STREAM_COUNT
  const forward = new Ledger()
  const back = new Ledger()
  let failure: unknown
  await within(CELL_TIMEOUT, exactRun(link, count, forward, back), () => {
    const c = forward.counts()
    return `${c.received}/${count} arrived, ${back.counts().received} came back`
  }).catch((error: unknown) => {
    failure = error
  })
  const flows: Record<string, Counts> = { forward: forward.counts() }
  if (link.back !== undefined) flows.back = back.counts()
  const report = { flows, notes: proxyNotes(proxy) }
  env.record(report)
  // Exactly once and in order, in every direction.
  for (const [flow, counts] of Object.entries(flows)) {
    expect({ flow, ...counts, failure: String(failure ?? "") }).toEqual({
      flow,
      sent: count,
      received: count,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      corrupted: 0,
      failure: "",
    })
  }
  expect(forward.firstCorruption).toBeUndefined()
  expectGentleFaults(proxy)
  return report
}

// ---- destructive: streams ------------------------------------------------------------------------

interface StreamOptions {
  /** While true, the sender does not pace itself (a PUSH with no connection runs into its HWM). */
  readonly burst: () => boolean
}

/**
 * Sends `count` messages on `flow` and receives them, paced by the receiver's progress (at most
 * `WINDOW` ahead, unless nothing arrives for `PACE` ms). Since the last messages may be lost with a
 * cut, the sender then keeps sending tail messages (sequence numbers from `count` on, not counted)
 * until the receiver has seen message `count - 1` or any tail.
 */
async function lossyStream(flow: Flow, ledger: Ledger, count: number, options: StreamOptions): Promise<void> {
  let done = false
  const receiver = async () => {
    while (!done) {
      const message = await receiveRetrying(flow.receive)
      const seq = seqOf(message)
      if (seq < count) ledger.recordReceived(message)
      if (seq >= count - 1) done = true
    }
  }
  const sender = async () => {
    for (let seq = 0; seq < count && !done; seq += 1) {
      while (!options.burst() && ledger.highest < seq - WINDOW) {
        if (!(await ledger.nextArrival(PACE))) break
      }
      const start = now()
      if (await sendRetrying(flow.send, varied(seq), () => done)) ledger.recordSent(seq, start)
    }
    for (let seq = count; !done; seq += 1) {
      await sendRetrying(flow.send, varied(seq), () => done)
      await sleep(10)
    }
  }
  await Promise.all([receiver(), sender()])
}

interface StreamSpec {
  readonly pattern: PatternCase
  /** Which socket binds: `a` (the forward sender) or `b`. */
  readonly binds: "a" | "b"
  /** The directions that carry the pattern's messages (where mid-stream cuts go). */
  readonly directions: readonly Direction[]
  /** Both sockets send a stream (PAIR, DEALER/DEALER, ROUTER/ROUTER). */
  readonly bidirectional: boolean
  /** How the sender sees that the connection is back: its disconnect events, an XPUB's subscriptions, or not at all (PUB). */
  readonly recovery: "disconnect" | "subscription" | "none"
  /** A PUSH with a send HWM: sends completed while it has no connection are counted. */
  readonly hwm?: number
}

async function streamCell(spec: StreamSpec, env: CellEnv): Promise<CellReport> {
  const disconnectTimes: number[][] = []
  const events: string[] = []
  /** The PUSH of the HWM cell lost its connection and has not completed a handshake since. */
  let pushDown = false
  const configure = <S extends Closable>(socket: S): S => {
    reconnectFast(socket)
    const s = socket as unknown as Socket
    if (spec.hwm !== undefined && disconnectTimes.length === 0) {
      ;(s as zmq.Push).sendHighWaterMark = spec.hwm
      s.events.on("disconnect", () => {
        pushDown = true
      })
      s.events.on("handshake", () => {
        pushDown = false
      })
    }
    eventLog(s, disconnectTimes.length === 0 ? "a" : "b", events)
    disconnectTimes.push(disconnects(s))
    return socket
  }
  // See Traits.pairRejectsEarlyReplacement: a libzmq PAIR binder needs time to let go of a dropped peer.
  const downtime =
    spec.pattern.name === "PAIR-PAIR" && env.binder.traits.pairRejectsEarlyReplacement
      ? PAIR_DOWNTIME
      : DOWNTIME
  const { link, proxy, sockets } = await chaosLink(
    spec.pattern,
    env,
    { seed: env.seed, faults: TORN, cutFor: cutPlan(spec.directions, STREAM_SPREAD), downtime },
    configure,
  )
  for (const socket of sockets) withTimeouts(socket)
  // An XPUB hears the subscription of every new connection: record when.
  const subscriptions: number[] = []
  if (spec.recovery === "subscription") {
    const xpub = sockets[0] as zmq.XPublisher
    void (async () => {
      for (;;) {
        const [frame] = await receiveRetrying(() => xpub.receive())
        if (frame?.[0] === 1) subscriptions.push(now())
      }
    })().catch(() => {})
  }
  const flows: Array<{ name: string; flow: Flow; ledger: Ledger; sender: number }> = [
    { name: "forward", flow: link.forward, ledger: new Ledger(), sender: 0 },
  ]
  if (spec.bidirectional) flows.push({ name: "back", flow: link.back!, ledger: new Ledger(), sender: 1 })
  let failure: unknown
  const started = proxy.connections[0]?.openedAt ?? now()
  await within(
    CELL_TIMEOUT,
    Promise.all(flows.map((f) => lossyStream(f.flow, f.ledger, STREAM_COUNT, { burst: () => pushDown }))),
    () =>
      `${flows.map((f) => `${f.name}: ${f.ledger.counts().received}/${STREAM_COUNT} arrived`).join(", ")}; ` +
      `refused ${proxy.refused}; connections ${describeConnections(proxy)}; last events ${events.slice(-16).join(", ")}`,
  ).catch((error: unknown) => {
    failure = error
  })
  const report: CellReport = { flows: {}, notes: proxyNotes(proxy) }
  env.record(report)
  const cuts = proxy.cuts
  for (const { name, ledger, sender } of flows) {
    const counts = ledger.counts()
    report.flows[name] = counts
    const recoveries =
      spec.recovery === "disconnect"
        ? disconnectTimes[sender]!
        : spec.recovery === "subscription"
          ? subscriptions
          : Array.from({ length: cuts }, () => Number.POSITIVE_INFINITY)
    const runs = ledger.lossRuns()
    if (runs.length > 0)
      report.notes.push(`${name} lost runs ${runs.map((r) => `${r.first}-${r.last}`).join(",")}`)
    // Order is kept within a connection, always; across a reconnect only a libzmq binder may mix
    // a dropped connection's leftovers with its replacement's messages.
    const reorders = ledger.reorders(disconnectTimes[sender]!)
    const receiverBinds = (name === "forward") === (spec.binds === "b")
    const mayReorder = receiverBinds && env.binder.traits.reordersAcrossReconnect
    if (reorders.across > 0) report.notes.push(`${name} reordered across a reconnect ${reorders.across}`)
    expect({
      flow: name,
      failure: String(failure ?? ""),
      sent: counts.sent,
      duplicated: counts.duplicated,
      reorderedWithinAConnection: reorders.within,
      reorderedAcrossReconnects: mayReorder ? 0 : reorders.across,
      corrupted: counts.corrupted,
      lossRunsOverCuts: Math.max(0, runs.length - cuts),
      unexplained: ledger.unexplainedRuns(recoveries).map((run) => {
        const at = (t: number) => `+${(t - started).toFixed(1)}`
        const span = (r: { first: number; last: number }) =>
          `${r.first}-${r.last} (sent ${at(ledger.sendStart.get(r.first)!)}..${at(ledger.sendStart.get(r.last)!)})`
        return `${span(run)}; all runs ${runs.map(span).join(" ")}; recoveries ${recoveries.map(at).join(" ")}; cuts ${proxy.cutTimes.map(at).join(" ")}`
      }),
    }).toEqual({
      flow: name,
      failure: "",
      sent: STREAM_COUNT,
      duplicated: 0,
      reorderedWithinAConnection: 0,
      reorderedAcrossReconnects: 0,
      corrupted: 0,
      lossRunsOverCuts: 0,
      unexplained: [],
    })
  }
  if (spec.hwm !== undefined) {
    // Sends that completed while the PUSH had no connection: from its disconnect event to the end
    // of the proxy's downtime, no connection can be up. (A cut inside the handshake has no
    // disconnect event: the connection never came up.)
    const done = [...flows[0]!.ledger.sendDone.values()]
    const perOutage = proxy.cutTimes.map((cut) => {
      const from = disconnectTimes[0]!.find((t) => t >= cut)
      if (from === undefined || from > cut + downtime) return undefined
      return done.filter((t) => t > from && t <= cut + downtime).length
    })
    report.notes.push(`sends during outages ${perOutage.map((n) => n ?? "-").join("/")} (HWM ${spec.hwm})`)
    const measured = perOutage.filter((n) => n !== undefined)
    for (const n of measured) expect(n, "sends completed with no connection").toBeLessThanOrEqual(spec.hwm)
    // Not vacuous: the sender did push into an outage.
    expect(Math.max(0, ...measured), "sends completed during the outages").toBeGreaterThan(0)
  }
  expectCuts(proxy)
  return report
}

/** Every planned cut happened (a cell whose cuts never came proves nothing). */
function expectCuts(proxy: ChaosProxy): void {
  expect(proxy.cuts, `cuts that happened; connections: ${describeConnections(proxy)}`).toBe(PLANNED_CUTS)
}

// ---- destructive: request/reply ------------------------------------------------------------------

/** What the server of a request/reply cell saw: how often each request id arrived. */
class ServerTally {
  readonly seen = new Map<string, number>()
  corrupted = 0
  /** What stopped the server loop before the end of the cell, if anything did. */
  failure: string | undefined
  record(client: string, body: Frames): boolean {
    const seq = seqOf(body)
    try {
      checkVaried(body, seq)
    } catch {
      this.corrupted += 1
      return false
    }
    const key = `${client}/${seq}`
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1)
    return true
  }
}

/**
 * Runs `serve` (one request: receive and reply) until `stop()`; errors after the stop are the
 * close. Any other error ends the loop and is kept in `tally.failure`.
 */
function serveUntil(tally: ServerTally, stop: () => boolean, serve: () => Promise<void>): void {
  void (async () => {
    while (!stop()) {
      try {
        await serve()
      } catch (error) {
        if (stop()) return
        const code = codeOf(error)
        // A reply to a peer that is gone: dropped, as a server does.
        if (code === "EHOSTUNREACH" || code === "EAGAIN") continue
        tally.failure = String(error)
        return
      }
    }
  })()
}

/** The client side of a request/reply cell: sends per id, replies per id, and what went wrong. */
class ClientTally {
  readonly sends = new Map<number, number>()
  readonly replies = new Map<number, number>()
  /** Ids in the order of their first reply. */
  readonly order: number[] = []
  misrouted = 0
  corrupted = 0
  wrongReply = 0
  retries = 0
  readonly name: string

  constructor(name: string) {
    this.name = name
  }

  sent(id: number): void {
    this.sends.set(id, (this.sends.get(id) ?? 0) + 1)
  }

  /** Records a reply; returns its id, or -1 if it was not a reply this client can accept. */
  replied(client: Buffer | undefined, body: Frames): number {
    if (client === undefined || client.toString() !== this.name) {
      this.misrouted += 1
      return -1
    }
    const id = seqOf(body)
    try {
      checkVaried(body, id)
    } catch {
      this.corrupted += 1
      return -1
    }
    if (!this.sends.has(id)) {
      this.wrongReply += 1
      return -1
    }
    const n = (this.replies.get(id) ?? 0) + 1
    this.replies.set(id, n)
    if (n === 1) this.order.push(id)
    return id
  }

  /** Replies that answered an id once more than it was sent. */
  duplicatedReplies(): number {
    let n = 0
    for (const [id, replies] of this.replies) n += Math.max(0, replies - (this.sends.get(id) ?? 0))
    return n
  }

  /** First replies, among ids sent only once, that came after a reply to a later id sent once. */
  reorderedReplies(): number {
    let highest = -1
    let n = 0
    for (const id of this.order) {
      if (this.sends.get(id) !== 1) continue
      if (id < highest) n += 1
      else highest = id
    }
    return n
  }

  counts(count: number): Counts {
    let sent = 0
    for (const n of this.sends.values()) sent += n
    return {
      sent,
      received: this.order.length,
      lost: count - this.order.length,
      duplicated: this.duplicatedReplies(),
      reordered: this.reorderedReplies() + this.wrongReply,
      corrupted: this.corrupted,
    }
  }
}

/** Requests the server saw more often than the client sent them. */
function serverExcess(server: ServerTally, clients: readonly ClientTally[]): string[] {
  const excess: string[] = []
  for (const client of clients) {
    for (const [id, sends] of client.sends) {
      const seen = server.seen.get(`${client.name}/${id}`) ?? 0
      if (seen > sends) excess.push(`${client.name}/${id}: seen ${seen}, sent ${sends}`)
    }
  }
  return excess
}

function expectAnswered(
  clients: readonly ClientTally[],
  server: ServerTally,
  count: number,
  failure: unknown,
): void {
  for (const client of clients) {
    expect({
      client: client.name,
      failure: String(failure ?? ""),
      answered: client.order.length,
      misrouted: client.misrouted,
      corrupted: client.corrupted,
      wrongReply: client.wrongReply,
      duplicatedReplies: client.duplicatedReplies(),
      reorderedReplies: client.reorderedReplies(),
    }).toEqual({
      client: client.name,
      failure: "",
      answered: count,
      misrouted: 0,
      corrupted: 0,
      wrongReply: 0,
      duplicatedReplies: 0,
      reorderedReplies: 0,
    })
  }
  expect(server.failure, "what stopped the server").toBeUndefined()
  expect(server.corrupted, "requests the server found corrupted").toBe(0)
  expect(serverExcess(server, clients), "requests seen more often than sent").toEqual([])
}

const EMPTY = Buffer.alloc(0)

/**
 * REQ against REP or ROUTER, with the lazy pirate retry: each request waits `RETRY_AFTER` ms for its
 * reply; on EAGAIN the REQ is closed and a fresh one sends the request again.
 */
async function lazyPirateCell(server: "REP" | "ROUTER", env: CellEnv): Promise<CellReport> {
  const { binder, connecter } = env
  const count = REQUEST_COUNT
  const tally = new ServerTally()
  const client = new ClientTally("req")
  let stop = false
  env.cleanup(() => {
    stop = true
  })
  const socket = env.open(server === "REP" ? new binder.zmq.Reply() : new binder.zmq.Router())
  const endpoint = await bindAny(socket, "tcp")
  const proxy = await ChaosProxy.start(endpoint, {
    seed: env.seed,
    faults: TORN,
    cutFor: cutPlan(["up", "down"], REQUEST_SPREAD),
    downtime: DOWNTIME,
  })
  env.cleanup(() => proxy.close())
  if (server === "REP") {
    serveUntil(
      tally,
      () => stop,
      async () => {
        const rep = socket as zmq.Reply
        const request = await rep.receive()
        tally.record("req", request)
        await rep.send(request)
      },
    )
  } else {
    serveUntil(
      tally,
      () => stop,
      async () => {
        const router = socket as zmq.Router
        const [id, delimiter, ...body] = await router.receive()
        if (delimiter === undefined || delimiter.length !== 0) {
          tally.corrupted += 1
          return
        }
        tally.record("req", body)
        await router.send([id!, EMPTY, ...body])
      },
    )
  }

  const fresh = () => {
    const req = env.open(new connecter.zmq.Request({ receiveTimeout: RETRY_AFTER, linger: 0 }))
    req.reconnectInterval = RECONNECT
    req.connect(proxy.endpoint)
    return req
  }
  const run = async () => {
    let req: zmq.Request | undefined
    for (let id = 0; id < count; id += 1) {
      for (;;) {
        req ??= fresh()
        client.sent(id)
        await req.send(varied(id))
        try {
          const reply = await req.receive()
          const answered = client.replied(Buffer.from("req"), reply)
          if (answered >= 0 && answered !== id) client.wrongReply += 1
          break
        } catch (error) {
          if (codeOf(error) !== "EAGAIN") throw error
          client.retries += 1
          req.close()
          req = undefined
        }
      }
    }
  }
  let failure: unknown
  await within(CELL_TIMEOUT, run(), () => `${client.order.length}/${count} answered`).catch(
    (error: unknown) => {
      failure = error
    },
  )
  stop = true
  const report: CellReport = { flows: { requests: client.counts(count) }, notes: proxyNotes(proxy) }
  report.notes.push(`${client.retries} retries`)
  env.record(report)
  expectAnswered([client], tally, count, failure)
  expectCuts(proxy)
  return report
}

/**
 * A DEALER that keeps up to `window` requests outstanding and resends one unanswered for
 * `RETRY_AFTER` ms. `send` and `receive` carry [client name, ...varied(id)] with the pattern's
 * envelope handled.
 */
async function windowedRequester(
  tally: ClientTally,
  count: number,
  window: number,
  send: (m: Frames) => Promise<void>,
  receive: () => Promise<Frames>,
  stop: () => boolean,
): Promise<void> {
  const deadline = new Map<number, number>()
  let wake: (() => void) | undefined
  const name = Buffer.from(tally.name)
  const receiving = (async () => {
    while (tally.order.length < count && !stop()) {
      const [client, ...body] = await receiveRetrying(receive)
      const id = tally.replied(client, body)
      if (id >= 0) deadline.delete(id)
      wake?.()
    }
  })()
  quiet(receiving)
  const request = async (id: number) => {
    tally.sent(id)
    deadline.set(id, now() + RETRY_AFTER)
    await sendRetrying(send, [name, ...varied(id)], stop)
  }
  let next = 0
  while (tally.order.length < count) {
    while (deadline.size < window && next < count) await request(next++)
    for (const [id, due] of deadline) {
      if (due > now()) continue
      tally.retries += 1
      await request(id)
    }
    const earliest = Math.min(...deadline.values())
    await Promise.race([
      new Promise<void>((resolve) => {
        wake = resolve
      }),
      sleep(Number.isFinite(earliest) ? Math.max(1, earliest - now()) : PACE),
      receiving,
    ])
    wake = undefined
  }
  await receiving
}

/** DEALER/ROUTER with several DEALERs through one proxy, or DEALER/REP with one. */
async function windowedCell(server: "ROUTER" | "REP", env: CellEnv): Promise<CellReport> {
  const { binder, connecter } = env
  const count = server === "ROUTER" ? REQUEST_COUNT : REQUEST_COUNT * 2
  const names = server === "ROUTER" ? ["dealer-1", "dealer-2", "dealer-3"] : ["dealer"]
  const tally = new ServerTally()
  let stop = false
  env.cleanup(() => {
    stop = true
  })
  const socket = env.open(server === "ROUTER" ? new binder.zmq.Router() : new binder.zmq.Reply())
  const endpoint = await bindAny(socket, "tcp")
  const proxy = await ChaosProxy.start(endpoint, {
    seed: env.seed,
    faults: TORN,
    cutFor: cutPlan(["up", "down"], REQUEST_SPREAD),
    downtime: DOWNTIME,
  })
  env.cleanup(() => proxy.close())
  if (server === "ROUTER") {
    const router = socket as zmq.Router
    serveUntil(
      tally,
      () => stop,
      async () => {
        const [id, client, ...body] = await router.receive()
        tally.record(client?.toString() ?? "", body)
        await router.send([id!, client!, ...body])
      },
    )
  } else {
    const rep = socket as zmq.Reply
    serveUntil(
      tally,
      () => stop,
      async () => {
        const [client, ...body] = await rep.receive()
        tally.record(client?.toString() ?? "", body)
        await rep.send([client!, ...body])
      },
    )
  }
  const clients = names.map((name) => new ClientTally(name))
  const runs = clients.map((client) => {
    const dealer = env.open(withTimeouts(reconnectFast(new connecter.zmq.Dealer())))
    dealer.connect(proxy.endpoint)
    if (server === "ROUTER") {
      return windowedRequester(
        client,
        count,
        5,
        (m) => dealer.send(m),
        () => dealer.receive(),
        () => stop,
      )
    }
    return windowedRequester(
      client,
      count,
      5,
      (m) => dealer.send([EMPTY, ...m]),
      async () => {
        const [delimiter, ...rest] = await dealer.receive()
        if (delimiter === undefined || delimiter.length !== 0) client.corrupted += 1
        return rest
      },
      () => stop,
    )
  })
  let failure: unknown
  await within(CELL_TIMEOUT, Promise.all(runs), () =>
    clients.map((c) => `${c.name} ${c.order.length}/${count} answered`).join(", "),
  ).catch((error: unknown) => {
    failure = error
  })
  stop = true
  const report: CellReport = { flows: {}, notes: proxyNotes(proxy) }
  for (const client of clients) report.flows[client.name] = client.counts(count)
  report.notes.push(`${clients.reduce((n, c) => n + c.retries, 0)} retries`)
  env.record(report)
  expectAnswered(clients, tally, count, failure)
  expectCuts(proxy)
  return report
}

// ---- the matrix ----------------------------------------------------------------------------------

/**
 * The patterns, each in its usual arrangement (the server, publisher's peer or sink binds), as
 * `patternCases` lists them first.
 */
export const chaosPatterns: readonly ChaosPattern[] = [
  streamPattern({
    pattern: pairCase("a"),
    binds: "a",
    directions: ["up", "down"],
    bidirectional: true,
    recovery: "disconnect",
  }),
  streamPattern({
    pattern: pubSubCase("PUB", "SUB", "a"),
    binds: "a",
    directions: ["down"],
    bidirectional: false,
    recovery: "none",
  }),
  streamPattern({
    pattern: pubSubCase("XPUB", "XSUB", "a"),
    binds: "a",
    directions: ["down"],
    bidirectional: false,
    recovery: "subscription",
  }),
  streamPattern({
    pattern: dealerDealerCase("a"),
    binds: "a",
    directions: ["up", "down"],
    bidirectional: true,
    recovery: "disconnect",
  }),
  requestPattern(dealerRouterCase("b"), (env) => windowedCell("ROUTER", env)),
  streamPattern({
    pattern: routerRouterCase("a"),
    binds: "a",
    directions: ["up", "down"],
    bidirectional: true,
    recovery: "disconnect",
  }),
  requestPattern(reqRepCase("b"), (env) => lazyPirateCell("REP", env)),
  requestPattern(reqRouterCase("b"), (env) => lazyPirateCell("ROUTER", env)),
  requestPattern(dealerRepCase("b"), (env) => windowedCell("REP", env)),
  streamPattern({
    pattern: pushPullCase("b"),
    binds: "b",
    directions: ["up"],
    bidirectional: false,
    recovery: "disconnect",
    hwm: PUSH_HWM,
  }),
]

function streamPattern(spec: StreamSpec): ChaosPattern {
  return {
    name: spec.pattern.name,
    binds: spec.pattern.binds,
    gentle: (env) => gentleCell(spec.pattern, env),
    destructive: (env) => streamCell(spec, env),
  }
}

function requestPattern(
  pattern: PatternCase,
  destructive: (env: CellEnv) => Promise<CellReport>,
): ChaosPattern {
  return { name: pattern.name, binds: pattern.binds, gentle: (env) => gentleCell(pattern, env), destructive }
}
