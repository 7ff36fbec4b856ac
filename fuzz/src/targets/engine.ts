/**
 * The `@zl/engine` `Engine` driving a whole session over a scripted connection: greeting, the NULL
 * handshake for every socket type, then messages, SUBSCRIBE / CANCEL, PING / PONG, ERROR and unknown
 * commands, valid or mutated, in random chunks; with partial writes, a handler that refuses messages
 * (backpressure), application sends, and time that moves (handshake, heartbeat and TTL timers).
 *
 * The engine's contract, checked on every input:
 * - no exception escapes `onData`, `onDrain`, `onClose`, a timer, `resumeInput`, `send`, `close` or
 *   `destroy`;
 * - `onClose` is called exactly once, with a typed error or none, and `wasReady` telling the truth;
 * - after a failure (the engine destroying its connection) nothing more is delivered;
 * - messages come only after `onReady`, which comes at most once, for a compatible peer;
 * - no timer outlives the connection, and octets the transport took are never changed afterwards;
 * - a valid session delivers exactly its messages and answers each PING with its PONG.
 */
import { Engine, type EngineOptions, type PeerInfo } from "@zl/engine"
import type { Connection, ConnectionHandlers, WriteResult } from "@zl/transport"
import { equalBytes, Hash } from "../bytes.js"
import { chunks } from "../chunks.js"
import { FakeClock } from "../clock.js"
import { mutate } from "../mutate.js"
import { deriveSeed, Rng } from "../prng.js"
import { ContractViolation, check, type FuzzInput, isTypedError, type Target } from "../target.js"
import {
  body,
  CommandReader,
  hasLargeReadyValue,
  hasLongMultipart,
  type SessionExpectation,
  SOCKET_PEERS,
  SOCKET_TYPES,
  type SocketTypeName,
  session,
  sessionBudget,
} from "../wire.js"
import { modelGreeting } from "./greeting.js"

const ALLOCATION_LIMIT = 64 * 1024 * 1024
/** Output copied for the checks at the end of a session, in octets. */
const KEEP_OUTPUT = 256 * 1024
/** Taken chunks watched for changes after they were taken (a heartbeat storm writes thousands). */
const WATCH_CHUNKS = 256

/** The engine's settings for one input, derived from the input's seed alone. */
export interface EngineConfig {
  readonly socketType: SocketTypeName
  readonly options: EngineOptions
  /** Octets the connection takes before it reports itself saturated. */
  readonly budget: number
}

/** The settings an input's seed stands for; the generator and the run derive the same ones. */
export function engineConfig(seed: number, valid: boolean): EngineConfig {
  const rng = new Rng(deriveSeed(seed, "engine-config"))
  const socketType = rng.pick(SOCKET_TYPES)
  const heartbeat = !valid && rng.chance(0.3)
  const options: EngineOptions = {
    socketType,
    ...(rng.chance(0.3) ? { routingId: body(rng, rng.size(255)) } : {}),
    ...(rng.chance(0.1) ? { metadata: { "X-Fuzz": body(rng, rng.size(64)) } } : {}),
    maxMessageSize: valid || rng.chance(0.7) ? -1 : rng.pick([0, 1, 255, 256, 1000, 65_536]),
    handshakeInterval: rng.pick([0, 100, 30_000]),
    heartbeatInterval: heartbeat ? rng.pick([1, 100, 1000]) : 0,
    heartbeatTimeout: rng.pick([0, 50, 5000]),
    heartbeatTimeToLive: rng.pick([0, 99, 1000, 6_553_500]),
    allocate: (size) => {
      if (size > ALLOCATION_LIMIT) throw new RangeError("allocation refused by the fuzz allocator")
      return new Uint8Array(size)
    },
  }
  const budget = rng.chance(0.6) ? Number.POSITIVE_INFINITY : rng.pick([0, 1, 9, 64, 65, 200])
  return { socketType, options, budget }
}

/** A connection scripted by the target: it takes octets up to a budget and reports close when told. */
class ScriptedConnection implements Connection {
  readonly peerAddress = "fuzz"
  handlers: ConnectionHandlers | undefined
  paused = false
  /** `close` or `destroy` was called: nothing more is delivered. */
  ended = false
  /** The engine (or the application through it) destroyed the connection, with this error if any. */
  destroyed = false
  destroyError: Error | undefined
  /** The close the connection owes its engine, delivered by the target in a later step. */
  closeDue: { readonly error: Error | undefined } | undefined
  closeReported = false
  waitingDrain = false
  budget: number
  /** A copy of the first {@link KEEP_OUTPUT} octets taken, made as they were taken. */
  private copy = new Uint8Array(1024)
  private kept = 0
  private full = false
  /** The first {@link WATCH_CHUNKS} chunks taken, by reference, with their offset in `copy`. */
  private readonly watched: { readonly chunk: Uint8Array; readonly at: number }[] = []
  /**
   * The PONGs the engine wrote, read out of all its output as it is taken (not only the copy); only
   * for a valid session, whose PONGs are counted. Kept by name: heartbeats write thousands of PINGs.
   */
  readonly commands: CommandReader | undefined

  constructor(budget: number, readPongs: boolean) {
    this.budget = budget
    this.commands = readPongs ? new CommandReader((name) => name === "PONG") : undefined
  }

  start(handlers: ConnectionHandlers): void {
    check(this.handlers === undefined, "start() called twice")
    this.handlers = handlers
  }

  writeSome(chunks: readonly Uint8Array[]): WriteResult {
    if (this.ended) return { written: 0, canWriteMore: false }
    let offered = 0
    let written = 0
    for (const c of chunks) {
      offered += c.length
      const room = Math.min(c.length, this.budget - written)
      if (room <= 0) continue
      this.commands?.push(c.subarray(0, room))
      // Once a chunk does not fit, copying stops: the copy stays one contiguous prefix of the output.
      if (this.kept + room > KEEP_OUTPUT) this.full = true
      if (!this.full) {
        const piece = c.subarray(0, room)
        if (this.kept + room > this.copy.length) {
          const grown = new Uint8Array(
            Math.min(KEEP_OUTPUT, Math.max(2 * this.copy.length, this.kept + room)),
          )
          grown.set(this.copy.subarray(0, this.kept))
          this.copy = grown
        }
        this.copy.set(piece, this.kept)
        if (this.watched.length < WATCH_CHUNKS) this.watched.push({ chunk: piece, at: this.kept })
        this.kept += room
      }
      written += room
      if (room < c.length) break
    }
    this.budget -= written
    const canWriteMore = written === offered && this.budget > 0
    if (!canWriteMore) this.waitingDrain = true
    return { written, canWriteMore }
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
  }

  close(): void {
    if (this.ended) return
    this.ended = true
    this.closeDue = { error: undefined }
  }

  destroy(error?: Error): void {
    if (this.closeReported) return
    this.destroyed = true
    this.destroyError ??= error
    if (!this.ended) {
      this.ended = true
      this.closeDue = { error }
    }
  }

  /** The peer's end or a transport error, as the transport reports it. */
  peerEnd(error?: Error): void {
    if (this.ended) return
    this.ended = true
    this.closeDue = { error }
  }

  /** Delivers a close that is due. */
  deliverClose(): void {
    const due = this.closeDue
    if (due === undefined || this.closeReported) return
    this.closeReported = true
    this.closeDue = undefined
    this.handlers?.onClose(due.error)
  }

  /** True when every watched chunk still holds what it held when it was taken. */
  untouched(): boolean {
    for (const { chunk, at } of this.watched) {
      if (!equalBytes(chunk, this.copy.subarray(at, at + chunk.length))) return false
    }
    return true
  }

  /** The output taken, as far as it was copied. */
  output(): Uint8Array {
    return this.copy.subarray(0, this.kept)
  }
}

/**
 * Records the engine's calls and checks each against the contract. A broken check is recorded,
 * not thrown: thrown from inside a callback it would land in the engine's own error handling
 * (which turns a handler's exception into a failure of the connection) and hide. The script
 * calls `verify()` after every step.
 */
class Watcher {
  ready = false
  peer: PeerInfo | undefined
  closes = 0
  closeError: unknown
  closeWasReady = false
  accepting = true
  /** The application closed or destroyed the engine: input stops. */
  stopped = false
  /** Messages delivered, and a running hash of their frames (a list would weigh on the heap check). */
  delivered = 0
  readonly digest = new Hash()
  private readonly connection: ScriptedConnection
  private readonly local: SocketTypeName
  private readonly stall: () => boolean

  /** The first check the engine broke inside a callback. */
  private violation: ContractViolation | undefined

  private expect(condition: unknown, message: string | (() => string)): void {
    if (condition || this.violation !== undefined) return
    this.violation = new ContractViolation(typeof message === "string" ? message : message())
  }

  /** Throws the first check a callback broke. */
  verify(): void {
    if (this.violation !== undefined) throw this.violation
  }

  constructor(connection: ScriptedConnection, local: SocketTypeName, stall: () => boolean) {
    this.connection = connection
    this.local = local
    this.stall = stall
  }

  onReady(peer: PeerInfo): void {
    this.expect(this.closes === 0, "onReady after onClose")
    this.expect(!this.ready, "onReady twice")
    this.expect(!this.connection.destroyed, "onReady after the connection was destroyed")
    this.expect(!this.stopped, "onReady after the application closed the engine")
    this.expect(
      (SOCKET_PEERS[this.local] as readonly string[]).includes(peer.socketType),
      `onReady for a ${this.local} with a ${peer.socketType} peer`,
    )
    this.ready = true
    this.peer = peer
  }

  onMessage(frames: Uint8Array[]): boolean {
    this.expect(this.closes === 0, "onMessage after onClose")
    this.expect(this.ready, "onMessage before onReady")
    this.expect(!this.connection.destroyed, "onMessage after the connection was destroyed")
    this.expect(!this.stopped, "onMessage after the application closed the engine")
    this.expect(this.accepting, "onMessage while input was refused")
    this.expect(frames.length > 0, "a message without frames")
    this.delivered++
    hashMessage(this.digest, frames)
    if (this.stall()) this.accepting = false
    return this.accepting
  }

  onWritable(): void {
    this.expect(this.closes === 0, "onWritable after onClose")
  }

  onClose(error: unknown, wasReady: boolean): void {
    this.expect(this.closes === 0, "onClose called twice")
    this.closes++
    this.closeError = error
    this.closeWasReady = wasReady
    this.expect(
      wasReady === this.ready,
      `onClose says wasReady ${wasReady}, onReady was ${this.ready ? "" : "not "}called`,
    )
    this.expect(
      error === undefined || isTypedError(error),
      () => `onClose with an untyped error: ${String(error)}`,
    )
    const cause = this.connection.destroyError
    if (cause !== undefined)
      this.expect(error === cause, "onClose error is not the one the connection was destroyed with")
  }
}

/** What one step of the script does between chunks. */
function interleave(
  rng: Rng,
  engine: Engine,
  connection: ScriptedConnection,
  watcher: Watcher,
  clock: FakeClock,
  tasks: (() => void)[],
  valid: boolean,
): void {
  if (tasks.length > 0 && rng.chance(0.5)) for (const task of tasks.splice(0)) task()
  if (connection.waitingDrain && rng.chance(0.4)) {
    connection.budget += rng.pick([1, 10, 100, Number.POSITIVE_INFINITY])
    connection.waitingDrain = false
    if (!connection.ended) connection.handlers!.onDrain()
  }
  if (!valid && rng.chance(0.05)) clock.advance(rng.pick([1, 50, 100, 1000, 30_000, 700_000]))
  if (watcher.ready && watcher.closes === 0 && rng.chance(0.1)) {
    if (rng.chance(0.7)) {
      const frames: Uint8Array[] = []
      for (let i = 0, n = 1 + rng.size(4); i < n; i++)
        frames.push(body(rng, rng.size(rng.chance(0.05) ? 70_000 : 300)))
      engine.send(frames)
    } else {
      engine.sendSubscription(body(rng, rng.size(40)), rng.chance(0.5))
    }
  }
  if (rng.chance(0.05)) engine.flushPending()
  if (!watcher.accepting && rng.chance(0.5)) {
    watcher.accepting = true
    engine.resumeInput()
  }
  connection.deliverClose()
}

/** PONG contexts among the commands the engine wrote. */
function pongsIn(commands: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const body of commands) {
    if (body[0] === 4 && String.fromCharCode(...body.subarray(1, 5)) === "PONG") out.push(body.subarray(5))
  }
  return out
}

const target: Target = {
  name: "engine",
  description:
    "Engine over a scripted connection: whole sessions for every socket type, chunked, with timers",
  generate(rng, context): FuzzInput {
    const seed = rng.next()
    const valid = rng.chance(0.2)
    const config = engineConfig(seed, valid)
    const s = session(rng, {
      localType: config.socketType,
      budget: sessionBudget(rng),
    })
    if (valid) return { data: s.bytes, seed, expect: s.expect }
    const other = context.recent.length > 0 && rng.chance(0.2) ? rng.pick(context.recent) : undefined
    return { data: mutate(rng, s, other), seed }
  },
  // An input here takes a millisecond or more: measuring one large input in two costs little.
  measureOneIn: 2,
  isKnown(input, known) {
    if (known.has("long-multipart") && hasLongMultipart(input.data, 64, 1000)) return true
    if (known.has("ping-backlog") && input.expect === undefined) {
      // The engine queues a PING every interval while the connection takes nothing, until the
      // timeout: thousands of them when the interval is a hundredth of the timeout or less.
      const c = engineConfig(input.seed, false)
      const interval = c.options.heartbeatInterval ?? 0
      const timeout = c.options.heartbeatTimeout || interval
      if (interval > 0 && timeout / interval > 100 && c.budget !== Number.POSITIVE_INFINITY) return true
    }
    return known.has("huge-property") && hasLargeReadyValue(input.data, 1024)
  },
  run(input, context) {
    const expect = input.expect as SessionExpectation | undefined
    const valid = expect !== undefined
    const config = engineConfig(input.seed, valid)
    const rng = new Rng(input.seed)
    const stallRate = rng.pick([0, 0, 0.1, 0.5])
    const clock = new FakeClock()
    const tasks: (() => void)[] = []
    const restore = clock.install()
    try {
      const connection = new ScriptedConnection(config.budget, valid)
      const watcher = new Watcher(connection, config.socketType, () => stallRate > 0 && rng.chance(stallRate))
      const engine = new Engine(connection, { ...config.options, schedule: (fn) => tasks.push(fn) }, watcher)
      const runTasks = (): void => {
        for (const task of tasks.splice(0)) task()
      }
      clock.between = () => {
        runTasks()
        connection.deliverClose()
      }
      // A paused connection delivers nothing: the handler takes input again until the engine resumes
      // it. Each resumeInput() delivers at least one held message, so this ends.
      const unpause = (): void => {
        for (let i = 0; connection.paused && !connection.ended; i++) {
          check(i < 100_000, "resumeInput() makes no progress")
          watcher.accepting = true
          engine.resumeInput()
        }
      }
      engine.start()
      check(connection.handlers !== undefined, "start() did not start the connection")
      const handlers = connection.handlers
      for (const piece of chunks(rng, input.data)) {
        interleave(rng, engine, connection, watcher, clock, tasks, valid)
        unpause()
        watcher.verify()
        if (connection.ended) break
        handlers.onData(piece)
        watcher.verify()
      }
      unpause()
      // Everything is in and nothing is closed yet: what the engine holds now is at its largest.
      // Only maxMessageSize bounds an incomplete message (docs/limits.md): without it, no measure.
      if ((config.options.maxMessageSize ?? -1) >= 0) context.checkpoint()
      if (valid) {
        // Everything the engine wrote is taken before the end, so that its PONGs can be counted.
        runTasks()
        connection.budget = Number.POSITIVE_INFINITY
        if (connection.waitingDrain && !connection.ended) {
          connection.waitingDrain = false
          handlers.onDrain()
        }
        runTasks()
      }
      // The end of the script: the peer ends, the application closes or destroys, or time runs out.
      const ending = valid
        ? rng.pick(["peer", "close"])
        : rng.pick(["peer", "close", "destroy", "error", "time"])
      switch (ending) {
        case "peer":
          connection.peerEnd()
          break
        case "close":
          watcher.stopped = true
          engine.close()
          break
        case "destroy":
          watcher.stopped = true
          engine.destroy()
          break
        case "error":
          connection.peerEnd(Object.assign(new Error("connection reset by peer"), { code: "ECONNRESET" }))
          break
        default:
          clock.advance(10_000_000)
          connection.peerEnd()
      }
      // Let everything settle: tasks, drains, held input taken after a clean end, the close delivered.
      for (let i = 0; i < 64 && watcher.closes === 0; i++) {
        runTasks()
        if (connection.waitingDrain && !connection.ended) {
          connection.budget = Number.POSITIVE_INFINITY
          connection.waitingDrain = false
          handlers.onDrain()
        }
        if (!watcher.accepting) {
          watcher.accepting = true
          engine.resumeInput()
        }
        connection.deliverClose()
      }
      check(
        watcher.closes === 1,
        `onClose was called ${watcher.closes} times after the session ended (${ending})`,
      )
      check(engine.closed, "the engine does not say closed after onClose")
      runTasks()
      clock.advance(10_000_000)
      watcher.verify()
      check(clock.pending === 0, `${clock.pending} timers outlived the connection`)
      check(connection.untouched(), "octets the transport took were changed afterwards")
      const output = connection.output()
      if (output.length >= 64) {
        const own = modelGreeting(output)
        check(
          own.kind === "complete" && own.mechanism === "NULL" && own.major === 3,
          "the engine's greeting is not ZMTP 3.1 NULL",
        )
      }
      if (expect !== undefined) checkValidSession(expect, watcher, connection)
    } finally {
      restore()
    }
  },
}

function hashMessage(h: Hash, frames: readonly Uint8Array[]): void {
  h.number(frames.length)
  for (const f of frames) h.bytes(f)
}

/** A valid session: its exact messages, its PONGs, and the end it was built to have. */
function checkValidSession(
  expect: SessionExpectation,
  watcher: Watcher,
  connection: ScriptedConnection,
): void {
  const code = (watcher.closeError as { code?: string } | undefined)?.code
  check(code === expect.failure, `a valid session ended with ${code}, expected ${expect.failure}`)
  check(!connection.destroyed || expect.failure !== undefined, "a valid session was destroyed")
  const want = new Hash()
  for (const m of expect.messages) hashMessage(want, m)
  check(
    watcher.delivered === expect.messages.length && watcher.digest.hex() === want.hex(),
    `a valid session delivered ${watcher.delivered} messages, not its ${expect.messages.length}, or other octets`,
  )
  if (expect.failure === undefined) {
    // At most one PONG waits for the transport (docs/limits.md): a PING that comes while one does
    // gets none. So the PONGs answer a subsequence of the PINGs, in order, and the first PING always.
    const pongs = pongsIn(connection.commands?.commands ?? [])
    let next = 0
    for (const pong of pongs) {
      while (next < expect.pongs.length && !equalBytes(pong, expect.pongs[next]!)) next++
      next++
    }
    check(
      next <= expect.pongs.length && (expect.pongs.length === 0) === (pongs.length === 0),
      `${pongs.length} PONGs for ${expect.pongs.length} PINGs, not answering them in order`,
    )
  }
}

export default target
