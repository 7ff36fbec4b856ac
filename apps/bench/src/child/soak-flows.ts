/**
 * The flows of the mixed soak, written once against the `zeromq` v6 API and run by the hub (zlink)
 * and by its peers (zlink or libzmq): a flow is one socket's loop, and it can be stopped, or closed
 * and created again (a restart), at any time.
 *
 * Every message is checked on arrival, and each pattern is held to what it promises:
 * - PUSH/PULL over one connection loses, duplicates or reorders nothing: the hub's PULL sees every
 *   peer PUSH's numbers 0, 1, 2, ... with no gap (what a closed or killed peer had not sent yet is
 *   the only loss); a peer's PULL sees the hub's numbers increasing (the hub's PUSH deals them out).
 * - PUB/SUB delivers a subscriber only topics it subscribed to, each publisher's numbers increasing
 *   (a PUB drops at its high-water mark, so gaps are allowed); a message of a topic cancelled less than
 *   two seconds before is counted apart (`afterUnsubscribe`), not as a violation: it had arrived
 *   before the cancellation.
 * - REQ/REP and DEALER/ROUTER: every reply answers a request of this socket, once; a request whose
 *   peer went away is given up after a timeout (the REQ is then closed and made again, the "lazy
 *   pirate" pattern).
 * - Every payload has the size and the octets its number gives it.
 *
 * The bookkeeping is bounded (sources not heard of for a while are forgotten), so that the soak's own
 * state does not grow with the restarts it makes.
 */
import type * as Zeromq from "zeromq"
import type { FlowStats, Flows } from "./soak-protocol.js"

export type Zmq = typeof Zeromq

/** Payload sizes, by message number: mostly small, every fifth above the encoder's copy threshold. */
const SIZES = [16, 64, 256, 1024, 16384]
/** Prebuilt payloads, one per size and low octet of the number, never modified (zero-copy safe). */
const PAYLOADS: Buffer[][] = SIZES.map((size) =>
  Array.from({ length: 256 }, (_, octet) => Buffer.alloc(size, octet)),
)

export function payload(seq: number): Buffer {
  return PAYLOADS[seq % SIZES.length]![seq & 0xff]!
}

function payloadFits(frame: Buffer | undefined, seq: number): boolean {
  if (frame === undefined || frame.length !== SIZES[seq % SIZES.length]) return false
  const octet = seq & 0xff
  return frame[0] === octet && frame[frame.length - 1] === octet && frame[frame.length >> 1] === octet
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = codeOf(error)
  return `${error.name}${code ? ` [${code}]` : ""}: ${error.message}`
}

function newStats(): FlowStats {
  return {
    sent: 0,
    received: 0,
    violations: 0,
    errors: 0,
    timeouts: 0,
    late: 0,
    afterUnsubscribe: 0,
    restarts: 0,
    problems: [],
  }
}

/** The flows of one process, by name. */
export class Registry {
  readonly flows: Flows = {}

  stats(name: string): FlowStats {
    let stats = this.flows[name]
    if (stats === undefined) {
      stats = newStats()
      this.flows[name] = stats
    }
    return stats
  }
}

function problem(stats: FlowStats, text: string): void {
  if (stats.problems.length < 20) stats.problems.push(text)
}

function violation(stats: FlowStats, text: string): void {
  stats.violations++
  problem(stats, text)
}

/** Per-source sequence numbers, forgetting sources not heard of for `forgetMs`. */
class Sequences {
  private readonly next = new Map<string, { seq: number; seen: number }>()
  private lastPrune = Date.now()

  /** Every number must follow the previous one (one connection); else only increase. */
  private readonly contiguous: boolean
  private readonly forgetMs: number

  constructor(contiguous: boolean, forgetMs = 20_000) {
    this.contiguous = contiguous
    this.forgetMs = forgetMs
  }

  /** Checks `seq` from `source`; returns the problem, or undefined. */
  check(source: string, seq: number): string | undefined {
    const now = Date.now()
    if (now - this.lastPrune > 5000) this.prune(now)
    const entry = this.next.get(source)
    if (entry === undefined) {
      this.next.set(source, { seq: seq + 1, seen: now })
      return this.contiguous && seq !== 0 ? `${source}: first message is ${seq}, not 0` : undefined
    }
    entry.seen = now
    const expected = entry.seq
    entry.seq = Math.max(expected, seq + 1)
    if (this.contiguous ? seq !== expected : seq < expected)
      return `${source}: ${seq} after ${expected - 1}${seq < expected ? " (duplicate or reordered)" : " (lost)"}`
    return undefined
  }

  get size(): number {
    return this.next.size
  }

  private prune(now: number): void {
    this.lastPrune = now
    for (const [source, entry] of this.next) if (now - entry.seen > this.forgetMs) this.next.delete(source)
  }
}

interface Closable {
  close(): void
  readonly closed: boolean
}

let serial = 0

/** A name for each socket's life: `<tag>/<flow>/<n>`, unique in the process. */
function sourceName(tag: string, flow: string): string {
  serial++
  return `${tag}/${flow}/${serial}`
}

/**
 * One socket's loop. `start` creates the socket (connected or bound) and runs the loop; `stop`
 * closes the socket, which ends the loop's pending operation; `restart` does both.
 */
export abstract class Flow<S extends Closable> {
  readonly stats: FlowStats
  /** Cleared to stop sending (receiving goes on until the socket closes). */
  sending = true
  protected socket: S | undefined
  protected source = ""
  /** Where a bound flow's socket listens, resolved. */
  protected bound: string[] = []
  private done: Promise<void> = Promise.resolve()
  private running = false

  protected readonly zmq: Zmq
  readonly name: string
  protected readonly tag: string

  constructor(zmq: Zmq, name: string, tag: string, registry: Registry) {
    this.zmq = zmq
    this.name = name
    this.tag = tag
    this.stats = registry.stats(name)
  }

  /** Creates the socket, connected or bound. */
  protected abstract create(): S | Promise<S>
  protected abstract loop(socket: S): Promise<void>

  /** The endpoints a bound flow listens on, resolved, in the order given. */
  endpointsBound(): string[] {
    return [...this.bound]
  }

  async start(): Promise<void> {
    const socket = await this.create()
    this.socket = socket
    this.source = sourceName(this.tag, this.name)
    this.running = true
    this.done = this.loop(socket).catch((error: unknown) => this.failed(error))
  }

  async stop(): Promise<void> {
    this.running = false
    const socket = this.socket
    this.socket = undefined
    if (socket !== undefined && !socket.closed) socket.close()
    await this.done
  }

  async restart(): Promise<void> {
    await this.stop()
    this.stats.restarts++
    await this.start()
  }

  /** True while `socket` is the flow's current, open socket. */
  protected live(socket: S): boolean {
    return this.running && this.socket === socket && !socket.closed
  }

  /** Closes `socket` and puts a new one in its place, from inside the loop. */
  protected async renew(socket: S): Promise<S> {
    if (!socket.closed) socket.close()
    const next = await this.create()
    this.socket = next
    this.source = sourceName(this.tag, this.name)
    this.stats.restarts++
    return next
  }

  private failed(error: unknown): void {
    // An operation pending when the socket closed fails (EAGAIN, EBADF, ETERM...): that is the stop.
    const current = this.socket
    if (!this.running || current === undefined || current.closed) return
    this.stats.errors++
    problem(this.stats, `${this.name}: ${describe(error)}`)
  }
}

/** Binds `socket` to each of `endpoints`; returns them resolved (`tcp://127.0.0.1:*` gets its port). */
async function bindAll(
  socket: { bind(address: string): Promise<void>; readonly lastEndpoint: string | null },
  endpoints: readonly string[],
): Promise<string[]> {
  const bound: string[] = []
  for (const endpoint of endpoints) {
    await socket.bind(endpoint)
    bound.push(socket.lastEndpoint ?? endpoint)
  }
  return bound
}

/** Sockets the flows use, as both implementations have them. */
type Socket = Zeromq.Socket & Closable
type Writable = Socket & { send(message: Array<Buffer | string>): Promise<void>; sendTimeout: number }
type Readable = Socket & { receive(): Promise<Buffer[]>; receiveTimeout: number }

/** A connecting flow: connects to every endpoint of `endpoints`, now and after each restart. */
export abstract class ConnectingFlow<S extends Socket> extends Flow<S> {
  readonly endpoints = new Set<string>()

  connectTo(endpoint: string): void {
    this.endpoints.add(endpoint)
    this.socket?.connect(endpoint)
  }

  disconnectFrom(endpoint: string): void {
    if (!this.endpoints.delete(endpoint)) return
    const socket = this.socket
    if (socket !== undefined && !socket.closed) socket.disconnect(endpoint)
  }

  protected abstract make(): S

  protected create(): S {
    const socket = this.make()
    for (const endpoint of this.endpoints) socket.connect(endpoint)
    return socket
  }
}

/** Paces a loop at `rate` messages a second, in 20 ms steps. */
async function paced(rate: number, live: () => boolean, step: () => Promise<boolean>): Promise<void> {
  const perStep = Math.max(1, Math.round(rate / 50))
  while (live()) {
    const started = Date.now()
    for (let i = 0; i < perStep && live(); i++) if (!(await step())) break
    await sleep(Math.max(1, 20 - (Date.now() - started)))
  }
}

/** PUSH: `[source, seq, payload]` at `rate`, to whichever peer is next. */
export class PushFlow extends ConnectingFlow<Writable> {
  private readonly rate: number

  constructor(zmq: Zmq, name: string, tag: string, registry: Registry, rate: number) {
    super(zmq, name, tag, registry)
    this.rate = rate
  }

  protected make(): Writable {
    // Bounded: with no peer the send fails (EAGAIN) instead of waiting for good.
    return new this.zmq.Push({ linger: 0, sendTimeout: 1000 }) as unknown as Writable
  }

  protected async loop(socket: Writable): Promise<void> {
    let seq = 0
    await paced(
      this.rate,
      () => this.live(socket),
      async () => {
        if (!this.sending) return false
        try {
          await socket.send([this.source, String(seq), payload(seq)])
        } catch (error) {
          if (codeOf(error) !== "EAGAIN" || socket.closed) throw error
          this.stats.timeouts++
          return false
        }
        seq++
        this.stats.sent++
        return true
      },
    )
  }
}

/** PULL: checks `[source, seq, payload]`; contiguous per source when each source has one connection. */
export class PullFlow extends Flow<Readable> {
  private readonly sequences: Sequences

  private readonly bindTo: string[]

  constructor(
    zmq: Zmq,
    name: string,
    tag: string,
    registry: Registry,
    bindTo: string[],
    contiguous: boolean,
  ) {
    super(zmq, name, tag, registry)
    this.bindTo = bindTo
    this.sequences = new Sequences(contiguous)
  }

  protected async create(): Promise<Readable> {
    const socket = new this.zmq.Pull({ linger: 0 }) as unknown as Readable
    this.bound = await bindAll(socket, this.bindTo)
    return socket
  }

  protected async loop(socket: Readable): Promise<void> {
    while (this.live(socket)) {
      const [source, number, body] = await socket.receive()
      this.stats.received++
      const seq = Number(number?.toString())
      if (source === undefined || !Number.isInteger(seq) || !payloadFits(body, seq)) {
        violation(this.stats, `${this.name}: malformed or corrupted message ${String(source)} ${seq}`)
        continue
      }
      const broken = this.sequences.check(source.toString(), seq)
      if (broken !== undefined) violation(this.stats, `${this.name}: ${broken}`)
    }
  }
}

/** PUB: `[topic, source, seq, payload]` at `rate`, topics t0..t7 in turn. */
export class PublishFlow extends Flow<Writable> {
  private readonly bindTo: string[]
  private readonly rate: number

  constructor(zmq: Zmq, name: string, tag: string, registry: Registry, bindTo: string[], rate: number) {
    super(zmq, name, tag, registry)
    this.bindTo = bindTo
    this.rate = rate
  }

  protected async create(): Promise<Writable> {
    const socket = new this.zmq.Publisher({ linger: 0 }) as unknown as Writable
    this.bound = await bindAll(socket, this.bindTo)
    return socket
  }

  protected async loop(socket: Writable): Promise<void> {
    let seq = 0
    await paced(
      this.rate,
      () => this.live(socket),
      async () => {
        if (!this.sending) return false
        await socket.send([`t${seq % TOPICS}`, this.source, String(seq), payload(seq)])
        seq++
        this.stats.sent++
        return true
      },
    )
  }
}

const TOPICS = 8
/** A cancelled topic's messages may still be queued this long after the cancellation. */
const UNSUBSCRIBE_GRACE_MS = 2000

/** SUB: subscriptions change every `churnMs`; checks topics and each publisher's numbers. */
export class SubscribeFlow extends ConnectingFlow<Readable & Zeromq.Subscriber> {
  private readonly sequences = new Sequences(false)
  private readonly subscribed = new Set<number>()
  /** When each topic was last cancelled. */
  private readonly cancelled = new Map<number, number>()
  private timer: ReturnType<typeof setInterval> | undefined
  private turn = 0

  private readonly churnMs: number

  constructor(zmq: Zmq, name: string, tag: string, registry: Registry, churnMs: number) {
    super(zmq, name, tag, registry)
    this.churnMs = churnMs
  }

  protected make(): Readable & Zeromq.Subscriber {
    const socket = new this.zmq.Subscriber({ linger: 0 }) as unknown as Readable & Zeromq.Subscriber
    this.subscribed.clear()
    this.cancelled.clear()
    for (const topic of [0, 1, 2, 3]) {
      socket.subscribe(`t${topic}`)
      this.subscribed.add(topic)
    }
    return socket
  }

  override async start(): Promise<void> {
    await super.start()
    clearInterval(this.timer)
    this.timer = setInterval(() => this.churn(), this.churnMs)
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await super.stop()
  }

  /** Subscribes to one topic it lacks or cancels one it has, in a fixed walk over the topics. */
  private churn(): void {
    const socket = this.socket
    if (socket === undefined || socket.closed) return
    this.turn = (this.turn * 5 + 3) % TOPICS
    const topic = this.turn
    if (this.subscribed.has(topic) && this.subscribed.size > 1) {
      socket.unsubscribe(`t${topic}`)
      this.subscribed.delete(topic)
      this.cancelled.set(topic, Date.now())
    } else if (!this.subscribed.has(topic)) {
      socket.subscribe(`t${topic}`)
      this.subscribed.add(topic)
    }
  }

  protected async loop(socket: Readable & Zeromq.Subscriber): Promise<void> {
    while (this.live(socket)) {
      const [topicFrame, source, number, body] = await socket.receive()
      if (socket !== this.socket) return
      this.stats.received++
      const topic = Number(topicFrame?.toString().slice(1))
      const seq = Number(number?.toString())
      if (
        source === undefined ||
        !Number.isInteger(seq) ||
        !payloadFits(body, seq) ||
        seq % TOPICS !== topic
      ) {
        violation(this.stats, `${this.name}: malformed or corrupted message on ${String(topicFrame)}`)
        continue
      }
      if (!this.subscribed.has(topic)) {
        const at = this.cancelled.get(topic)
        if (at !== undefined && Date.now() - at < UNSUBSCRIBE_GRACE_MS) this.stats.afterUnsubscribe++
        else violation(this.stats, `${this.name}: got t${topic}, not subscribed`)
      }
      const broken = this.sequences.check(source.toString(), seq)
      if (broken !== undefined) violation(this.stats, `${this.name}: ${broken}`)
    }
  }
}

/** REP or ROUTER bound, answering each request with `ok` (ROUTER: through the routing id it came with). */
export class EchoFlow extends Flow<Writable & Readable> {
  private readonly kind: "rep" | "router"
  private readonly bindTo: string[]

  constructor(
    zmq: Zmq,
    name: string,
    tag: string,
    registry: Registry,
    kind: "rep" | "router",
    bindTo: string[],
  ) {
    super(zmq, name, tag, registry)
    this.kind = kind
    this.bindTo = bindTo
  }

  protected async create(): Promise<Writable & Readable> {
    const socket = (this.kind === "rep"
      ? new this.zmq.Reply({ linger: 0 })
      : new this.zmq.Router({ linger: 0 })) as unknown as Writable & Readable
    this.bound = await bindAll(socket, this.bindTo)
    return socket
  }

  protected async loop(socket: Writable & Readable): Promise<void> {
    while (this.live(socket)) {
      const request = await socket.receive()
      this.stats.received++
      // A ROUTER drops a reply to a peer that left meanwhile; a REP too.
      await socket.send([...request, "ok"])
      this.stats.sent++
    }
  }
}

/** Request ids of one socket: outstanding, answered recently, or given up. */
class Requests {
  private next = 0
  private readonly outstanding = new Set<number>()
  private readonly answered = new Set<number>()
  private readonly answeredOrder: number[] = []

  issue(): number {
    const id = this.next++
    this.outstanding.add(id)
    return id
  }

  /** "ok", "duplicate" (answered before), "late" (given up before) or "unknown". */
  answer(id: number): "ok" | "duplicate" | "late" | "unknown" {
    if (this.outstanding.delete(id)) {
      this.answered.add(id)
      this.answeredOrder.push(id)
      // Duplicates are looked for among the last 4,096 answers.
      if (this.answeredOrder.length > 4096) this.answered.delete(this.answeredOrder.shift()!)
      return "ok"
    }
    if (this.answered.has(id)) return "duplicate"
    return Number.isInteger(id) && id >= 0 && id < this.next ? "late" : "unknown"
  }

  /** Gives up every outstanding request; returns how many. */
  giveUp(): number {
    const n = this.outstanding.size
    this.outstanding.clear()
    return n
  }

  get pending(): number {
    return this.outstanding.size
  }
}

function checkReply(
  stats: FlowStats,
  name: string,
  requests: Requests,
  source: string,
  reply: Buffer[],
): void {
  const [from, number, ok] = reply
  if (reply.length !== 3 || from?.toString() !== source || ok?.toString() !== "ok") {
    violation(stats, `${name}: reply ${JSON.stringify(reply.map(String))} is not for ${source}`)
    return
  }
  const id = String(number)
  const verdict = requests.answer(Number(id))
  if (verdict === "ok") stats.received++
  else if (verdict === "late") stats.late++
  else violation(stats, `${name}: ${verdict} reply ${id}`)
}

/**
 * REQ, "lazy pirate": a request without a reply within `timeoutMs` is given up and the REQ is closed
 * and made again (a REQ cannot send before it has its reply). Also made again every `recreateMs`.
 */
export class RequestFlow extends ConnectingFlow<Writable & Readable> {
  private readonly rate: number
  private readonly timeoutMs: number
  private readonly recreateMs: number

  constructor(
    zmq: Zmq,
    name: string,
    tag: string,
    registry: Registry,
    rate: number,
    timeoutMs: number,
    recreateMs: number = 0,
  ) {
    super(zmq, name, tag, registry)
    this.rate = rate
    this.timeoutMs = timeoutMs
    this.recreateMs = recreateMs
  }

  protected make(): Writable & Readable {
    return new this.zmq.Request({
      linger: 0,
      receiveTimeout: this.timeoutMs,
      sendTimeout: this.timeoutMs,
    }) as unknown as Writable & Readable
  }

  protected async loop(first: Writable & Readable): Promise<void> {
    let socket = first
    let requests = new Requests()
    let made = Date.now()
    await paced(
      this.rate,
      () => this.live(socket),
      async () => {
        if (!this.sending) return false
        if (this.recreateMs > 0 && Date.now() - made > this.recreateMs) {
          socket = await this.renew(socket)
          requests = new Requests()
          made = Date.now()
        }
        const id = requests.issue()
        try {
          await socket.send([this.source, String(id)])
          this.stats.sent++
          checkReply(this.stats, this.name, requests, this.source, await socket.receive())
        } catch (error) {
          if (codeOf(error) !== "EAGAIN" || socket.closed) throw error
          this.stats.timeouts += requests.giveUp()
          socket = await this.renew(socket)
          requests = new Requests()
          made = Date.now()
          return false
        }
        return true
      },
    )
  }
}

/** DEALER: sends `window` requests, then takes their replies (echoed by a ROUTER), at `rate`. */
export class DealerFlow extends ConnectingFlow<Writable & Readable> {
  private readonly rate: number
  private readonly window: number
  private readonly timeoutMs: number

  constructor(
    zmq: Zmq,
    name: string,
    tag: string,
    registry: Registry,
    rate: number,
    window: number,
    timeoutMs: number,
  ) {
    super(zmq, name, tag, registry)
    this.rate = rate
    this.window = window
    this.timeoutMs = timeoutMs
  }

  protected make(): Writable & Readable {
    return new this.zmq.Dealer({
      linger: 0,
      receiveTimeout: this.timeoutMs,
      sendTimeout: this.timeoutMs,
    }) as unknown as Writable & Readable
  }

  protected async loop(socket: Writable & Readable): Promise<void> {
    const requests = new Requests()
    // Sends and receives take turns: zeromq 6.8.0 can lose the wake-up of a send pending while a
    // receive runs on the same socket.
    await paced(
      this.rate / this.window,
      () => this.live(socket),
      async () => {
        if (!this.sending) return false
        try {
          for (let i = 0; i < this.window; i++) {
            await socket.send([this.source, String(requests.issue())])
            this.stats.sent++
          }
          while (requests.pending > 0) {
            checkReply(this.stats, this.name, requests, this.source, await socket.receive())
          }
        } catch (error) {
          if (codeOf(error) !== "EAGAIN" || socket.closed) throw error
          this.stats.timeouts += requests.giveUp()
          return false
        }
        return true
      },
    )
  }
}
