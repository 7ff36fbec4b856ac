import { invalidArgument, TransportError } from "./errors.js"
import {
  type Connection,
  type ConnectionHandlers,
  type DialOptions,
  type Listener,
  type ListenOptions,
  TRANSPORT_SPEC_VERSION,
  type Transport,
  type TransportContext,
  transportSymbol,
  type WriteResult,
} from "./types.js"

/**
 * Options of {@link memory}.
 *
 * @example
 * ```ts
 * const factory = memory({ budget: 0, capacity: 64 * 1024, split: 7 })
 * ```
 */
export interface MemoryOptions {
  /**
   * The address space in which names are listened on and dialled. Transports built from factories
   * that share a network reach each other. Default: a network of this factory's own, shared by every
   * transport it builds and by nothing else (there is no module-global address space).
   */
  readonly network?: MemoryNetwork
  /**
   * The scripted write budget each new connection starts with, in octets: `writeSome` takes at most
   * this many, then reports `canWriteMore: false` until {@link MemoryConnection.grant} adds more.
   * Default `Infinity`.
   */
  readonly budget?: number
  /**
   * The most octets a connection may have in flight (taken by `writeSome` but not yet delivered to
   * the peer's `onData`), like a kernel socket buffer: a peer that is paused or not started pushes
   * back on the writer, and `onDrain` follows once it reads again. Default `Infinity`.
   */
  readonly capacity?: number
  /**
   * Re-chunks what this side writes before the peer sees it, to exercise decoders: a number splits
   * every chunk into pieces of at most that many octets; a function returns the pieces (views, in
   * order, covering the chunk). Default: the peer sees the chunks as written.
   */
  readonly split?: number | ((chunk: Uint8Array) => readonly Uint8Array[])
}

/**
 * An address space for {@link memory} transports: the names listened on, each leading to its
 * listener. Pass one network to several factories to connect them, or let each `memory()` call make
 * its own.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork()
 * const server = new TransportRegistry(createTransportContext(), [memory({ network })])
 * const client = new TransportRegistry(createTransportContext(), [memory({ network, budget: 0 })])
 * ```
 */
export class MemoryNetwork {
  private readonly listeners = new Map<string, () => MemoryConnection>()
  private nextName = 1

  /**
   * The names being listened on.
   *
   * @example
   * ```ts
   * network.names() // ["feed"]
   * ```
   */
  names(): string[] {
    return [...this.listeners.keys()]
  }

  /** @internal Claims `name` (or a fresh name for `*`) for `accept`; returns the name. */
  bind(name: string, accept: () => MemoryConnection): string {
    if (name === "*") {
      do name = `auto-${this.nextName++}`
      while (this.listeners.has(name))
    }
    if (this.listeners.has(name)) throw new TransportError("EADDRINUSE", `memory://${name} is in use`)
    this.listeners.set(name, accept)
    return name
  }

  /** @internal Releases `name` if `accept` still holds it. */
  unbind(name: string, accept: () => MemoryConnection): void {
    if (this.listeners.get(name) === accept) this.listeners.delete(name)
  }

  /** @internal The listener of `name`, if any. */
  lookup(name: string): (() => MemoryConnection) | undefined {
    return this.listeners.get(name)
  }
}

/**
 * An in-memory transport (scheme `memory`, stream framing) for tests: `listen("name")` and
 * `dial("name")` within one {@link MemoryNetwork}, with a scripted write budget
 * ({@link MemoryOptions.budget}, {@link MemoryConnection.grant}) that makes the engine's partial-write
 * paths deterministic, an optional in-flight `capacity`, and optional re-chunking (`split`).
 *
 * Delivery is asynchronous: what `writeSome` takes reaches the peer's `onData` in a later microtask
 * (`queueMicrotask`), in the chunks written (or as `split` cuts them). Taken chunks are passed on by
 * reference, never copied. `listen("*")` picks a fresh name.
 *
 * @example
 * ```ts
 * const transport = memory({ budget: 10 })(createTransportContext())
 * const listener = await transport.listen("*", (server) => server.start(serverHandlers))
 * const client = await transport.dial(parseEndpoint(listener.endpoint).address)
 * client.start(clientHandlers)
 * client.writeSome([new Uint8Array(16)]) // { written: 10, canWriteMore: false }
 * client.grant(100)                      // onDrain fires
 * ```
 */
export function memory(options: MemoryOptions = {}): (context: TransportContext) => MemoryTransport {
  const network = options.network ?? new MemoryNetwork()
  const settings = checkOptions(options)
  return (context) => new MemoryTransport(context, network, settings)
}

interface Settings {
  readonly budget: number
  readonly capacity: number
  readonly split: ((chunk: Uint8Array) => readonly Uint8Array[]) | undefined
}

function checkOptions(options: MemoryOptions): Settings {
  const budget = options.budget ?? Number.POSITIVE_INFINITY
  const capacity = options.capacity ?? Number.POSITIVE_INFINITY
  if (!(budget >= 0)) throw invalidArgument("memory budget must be a number >= 0")
  if (!(capacity > 0)) throw invalidArgument("memory capacity must be a number > 0")
  const split = options.split
  if (typeof split === "number") {
    if (!Number.isInteger(split) || split < 1) throw invalidArgument("memory split must be an integer >= 1")
    return { budget, capacity, split: (chunk) => splitEvery(chunk, split) }
  }
  return { budget, capacity, split }
}

function splitEvery(chunk: Uint8Array, size: number): Uint8Array[] {
  if (chunk.length <= size) return [chunk]
  const pieces: Uint8Array[] = []
  for (let at = 0; at < chunk.length; at += size) pieces.push(chunk.subarray(at, at + size))
  return pieces
}

/**
 * The transport built by {@link memory}.
 *
 * @example
 * ```ts
 * const transport: MemoryTransport = memory()(createTransportContext())
 * const connection = await transport.dial("server") // a MemoryConnection, with grant()
 * ```
 */
export class MemoryTransport implements Transport {
  readonly [Symbol.toStringTag] = "MemoryTransport"
  readonly [transportSymbol] = true as const
  readonly specVersion = TRANSPORT_SPEC_VERSION
  readonly schemes: readonly string[] = ["memory"]
  readonly framing = "stream" as const

  private readonly context: TransportContext
  private readonly network: MemoryNetwork
  private readonly settings: Settings

  /** @internal Built by {@link memory}. */
  constructor(context: TransportContext, network: MemoryNetwork, settings: Settings) {
    this.context = context
    this.network = network
    this.settings = settings
  }

  /** Listens on the name `address` (`*` for a fresh one). Rejects with `EADDRINUSE` when it is taken. */
  async listen(
    address: string,
    onConnection: (connection: MemoryConnection) => void,
    _options?: ListenOptions,
  ): Promise<Listener> {
    if (address === "") throw invalidArgument("memory address is empty")
    // The accepted end is built here, with this (the listening) side's settings.
    const accept = (): MemoryConnection => {
      const connection = new MemoryConnection("memory", this.settings)
      queueMicrotask(() => this.handOver(connection, onConnection))
      return connection
    }
    const name = this.network.bind(address, accept)
    return new MemoryListener(`memory://${name}`, () => this.network.unbind(name, accept))
  }

  private handOver(connection: MemoryConnection, onConnection: (connection: MemoryConnection) => void): void {
    try {
      onConnection(connection)
    } catch (err) {
      this.context.log("error", "zl:memory", `onConnection threw: ${String(err)}`)
      connection.destroy(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /**
   * Connects to the name `address`. Never completes synchronously, so an abort right after the call
   * still wins. Rejects with `ECONNREFUSED` when nothing listens on the name.
   */
  async dial(address: string, options: DialOptions = {}): Promise<MemoryConnection> {
    const signal = options.signal
    signal?.throwIfAborted()
    await Promise.resolve()
    signal?.throwIfAborted()
    const accept = this.network.lookup(address)
    if (accept === undefined) {
      throw new TransportError("ECONNREFUSED", `nothing listens on memory://${address}`)
    }
    const local = new MemoryConnection(address, this.settings)
    const remote = accept()
    local.link(remote)
    remote.link(local)
    return local
  }
}

class MemoryListener implements Listener {
  readonly endpoint: string
  private readonly release: () => void
  private closed = false

  constructor(endpoint: string, release: () => void) {
    this.endpoint = endpoint
    this.release = release
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.release()
  }
}

/** Marks, in a connection's inbox, the end of what its peer sent. */
const END = Symbol("end")
type Item = Uint8Array | typeof END

const State = { open: 0, closing: 1, closed: 2 } as const
type State = (typeof State)[keyof typeof State]

/**
 * One end of an in-memory connection, with test controls for the scripted write budget.
 *
 * @example
 * ```ts
 * const connection = await transport.dial("server")
 * connection.start(handlers)
 * connection.grant(1024) // 1 KiB more may be written; onDrain fires if a writer was waiting
 * ```
 */
export class MemoryConnection implements Connection {
  private peer!: MemoryConnection
  private handlers: ConnectionHandlers | undefined
  private readonly inbox: Item[] = []
  private inboxHead = 0
  private state: State = State.open
  private paused = false
  private flushScheduled = false
  private endSent = false
  private waitingDrain = false
  /** Octets this side wrote that the peer has not yet delivered (or discarded). */
  private inFlight = 0
  private remainingBudget: number
  /** The close to report once started: `null` while none is due. */
  private pendingClose: { readonly error: Error | undefined } | null = null
  private closeReported = false

  readonly peerAddress: string
  private readonly settings: Settings

  /** @internal Built in pairs by {@link MemoryTransport.dial}. */
  constructor(peerAddress: string, settings: Settings) {
    this.peerAddress = peerAddress
    this.settings = settings
    this.remainingBudget = settings.budget
  }

  /** @internal */
  link(peer: MemoryConnection): void {
    this.peer = peer
  }

  /**
   * The octets `writeSome` may still take.
   *
   * @example
   * ```ts
   * expect(connection.budget).toBe(0)
   * ```
   */
  get budget(): number {
    return this.remainingBudget
  }

  /**
   * Octets taken by `writeSome` that the peer has not yet delivered to its `onData`.
   *
   * @example
   * ```ts
   * await settled(); expect(connection.bufferedAmount).toBe(0)
   * ```
   */
  get bufferedAmount(): number {
    return this.inFlight
  }

  /**
   * Adds `octets` to the write budget (`Infinity` lifts it). If the last `writeSome` reported
   * `canWriteMore: false` and the connection can now take more, `onDrain` fires synchronously,
   * before `grant` returns, so that a test can assert the engine's reaction right after it.
   *
   * @example
   * ```ts
   * connection.writeSome([frame])  // { written: 0, canWriteMore: false } with a budget of 0
   * connection.grant(frame.length) // onDrain
   * ```
   */
  grant(octets: number): void {
    if (!(octets >= 0)) throw invalidArgument("grant needs a number of octets >= 0")
    this.remainingBudget += octets
    this.maybeDrain()
  }

  start(handlers: ConnectionHandlers): void {
    if (this.handlers !== undefined) throw invalidArgument("start() was already called")
    this.handlers = handlers
    this.scheduleFlush()
    if (this.pendingClose !== null) this.scheduleCloseReport()
    else queueMicrotask(() => this.maybeDrain())
  }

  writeSome(chunks: readonly Uint8Array[]): WriteResult {
    if (this.state !== State.open) return { written: 0, canWriteMore: false }
    const limit = Math.min(this.remainingBudget, this.settings.capacity - this.inFlight)
    let offered = 0
    for (const chunk of chunks) offered += chunk.length
    let written = 0
    for (const chunk of chunks) {
      if (chunk.length === 0) continue
      const room = limit - written
      if (room <= 0) break
      const piece = chunk.length <= room ? chunk : chunk.subarray(0, room)
      written += piece.length
      this.peer.receive(piece, this.settings.split)
    }
    this.remainingBudget -= written
    this.inFlight += written
    const canWriteMore =
      written === offered && this.remainingBudget > 0 && this.inFlight < this.settings.capacity
    if (!canWriteMore) this.waitingDrain = true
    return { written, canWriteMore }
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.scheduleFlush()
  }

  close(): void {
    if (this.state !== State.open) return
    // Like a TCP FIN: the end marker follows everything already taken. From now on, what the peer
    // sends is discarded unread, pause or not, so that its end is seen and the close completes.
    this.state = State.closing
    this.waitingDrain = false
    this.sendEnd()
    this.scheduleFlush()
  }

  destroy(error?: Error): void {
    if (this.state === State.closed) return
    this.state = State.closed
    this.waitingDrain = false
    this.discardInbox()
    // What was taken is already "on the wire": the peer reads it, then sees the end.
    this.sendEnd()
    this.reportClose(error)
  }

  /** Called by the peer's `writeSome`: `chunk` joins the inbox behind what came before. */
  private receive(chunk: Uint8Array, split: Settings["split"]): void {
    if (this.state === State.closed) {
      this.peer.inFlight -= chunk.length
      return
    }
    if (split === undefined) this.inbox.push(chunk)
    else for (const piece of split(chunk)) if (piece.length > 0) this.inbox.push(piece)
    this.scheduleFlush()
  }

  private receiveEnd(): void {
    if (this.state === State.closed) return
    this.inbox.push(END)
    this.scheduleFlush()
  }

  private sendEnd(): void {
    if (this.endSent) return
    this.endSent = true
    this.peer.receiveEnd()
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** Delivers the inbox, in order, for as long as the engine wants data. */
  private flush(): void {
    if (this.handlers === undefined) return
    let delivered = 0
    while (this.inboxHead < this.inbox.length && this.state !== State.closed) {
      const item = this.inbox[this.inboxHead]!
      if (item === END) {
        if (this.paused && this.state === State.open) break
        this.inboxHead++
        this.peerEnded()
        break
      }
      if (this.paused && this.state === State.open) break
      this.inboxHead++
      delivered += item.length
      this.peer.inFlight -= item.length
      if (this.state === State.open) this.handlers.onData(item)
    }
    this.compactInbox()
    if (delivered > 0) this.peer.maybeDrain()
  }

  /** The peer's end marker was reached: everything it sent has been delivered. */
  private peerEnded(): void {
    // An open side answers with its own end (TCP without half-open: the last octets it took still go
    // first); a closing side was waiting for exactly this.
    this.sendEnd()
    this.state = State.closed
    this.reportClose(undefined)
  }

  private discardInbox(): void {
    for (let i = this.inboxHead; i < this.inbox.length; i++) {
      const item = this.inbox[i]!
      if (item !== END) this.peer.inFlight -= item.length
    }
    this.inbox.length = 0
    this.inboxHead = 0
  }

  private compactInbox(): void {
    if (this.inboxHead === this.inbox.length) {
      this.inbox.length = 0
      this.inboxHead = 0
    } else if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inbox.length) {
      this.inbox.splice(0, this.inboxHead)
      this.inboxHead = 0
    }
  }

  private maybeDrain(): void {
    if (!this.waitingDrain || this.state !== State.open || this.handlers === undefined) return
    if (this.remainingBudget > 0 && this.inFlight < this.settings.capacity) {
      this.waitingDrain = false
      this.handlers.onDrain()
    }
  }

  private reportClose(error: Error | undefined): void {
    if (this.pendingClose !== null) return
    this.pendingClose = { error }
    if (this.handlers !== undefined) this.scheduleCloseReport()
  }

  private scheduleCloseReport(): void {
    queueMicrotask(() => {
      if (this.closeReported || this.pendingClose === null || this.handlers === undefined) return
      this.closeReported = true
      this.handlers.onClose(this.pendingClose.error)
    })
  }
}
