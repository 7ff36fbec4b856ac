import { MAX_FRAME_SIZE, type ZlError } from "@zl/codec"
import { defaultSchedule, Engine, type EngineOptions, type SocketType, timerDelay } from "@zl/engine"
import { type Connection, type Listener, parseEndpoint, type Transport } from "@zl/transport"
import type { Context } from "./context.js"
import { asZlError, socketError } from "./errors.js"
import type { SocketEvent, SocketEventListener } from "./events.js"
import { HeldQueue, hasUndelivered, unrefTimer } from "./hold.js"
import { checkOptions, defaultOptions, type SocketOptions } from "./options.js"
import { InprocPipe, type Pipe, type PipeOwner, SessionPipe } from "./pipe.js"
import type { SocketResources } from "./resources.js"
import { ArrivalQueue, FairQueue, type Inbox } from "./strategies.js"

interface Waiter<T> {
  resolve(value: T): void
  reject(error: ZlError): void
  timer: ReturnType<typeof setTimeout> | undefined
}

interface PendingSend extends Waiter<void> {
  readonly frames: readonly Uint8Array[]
}

/** One `connect()`ed endpoint: dials, runs one engine at a time, and reconnects with back-off. */
interface Connecter {
  readonly endpoint: string
  readonly transport: Transport
  readonly address: string
  pipe: SessionPipe | undefined
  readonly routingId: Uint8Array | undefined
  abort: AbortController | undefined
  engine: Engine | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  /** The current reconnect delay, doubled up to `reconnectMaxInterval`. */
  interval: number
  stopped: boolean
  /** The socket closed with messages queued for this peer: keep dialling to deliver them (linger). */
  lingering: boolean
}

interface Binding {
  /** The resolved endpoint, once listening. */
  endpoint: string
  /** The endpoint as given to `bind`. */
  readonly requested: string
  listener: Listener | undefined
  /** Connections accepted through this endpoint. */
  readonly engines: Set<Engine>
}

/**
 * What `send` returns when the message was taken at once. Wrappers compare against it to skip
 * chaining a handler onto a promise that cannot reject.
 */
export const SENT: Promise<void> = Promise.resolve()
/**
 * Sends and receives that complete at once resolve at once, but every this many in a row resolve
 * after the event loop had a turn, so that a tight `await send()` loop never starves timers and I/O.
 */
const YIELD_EVERY = 256
/**
 * The most sends, and separately the most receives, that may wait on one socket. Where the
 * `zeromq` package refuses a second concurrent operation with `EBUSY`, these queue in call order;
 * past this many the next one is refused with `EBUSY` too, so that a peer that stops reading
 * cannot make an application that does not await its sends grow without bound.
 */
export const MAX_PENDING_OPERATIONS = 10_000

/**
 * What every socket type shares: bind/unbind/connect/disconnect with reconnection, pipes with
 * high-water marks, send and receive queues with timeouts (served in call order), linger on close,
 * `inproc://` links and monitor events. A socket type supplies its routing through the `x*` hooks,
 * after libzmq's `socket_base_t`.
 */
export abstract class SocketBase implements PipeOwner {
  readonly type: SocketType
  readonly context: Context
  readonly options: SocketOptions
  /** The endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:*` becomes the real port). */
  lastEndpoint: string | null = null
  protected readonly pipes: Pipe[] = []
  /**
   * Messages waiting for the application, keyed by the pipe they came from (undefined for a message
   * the socket made itself, XPUB's cancellations); fair-queued by pipe unless `fairQueued` says no.
   */
  private readonly inbox: Inbox<Pipe | undefined, Uint8Array[]> = this.fairQueued
    ? new FairQueue()
    : new ArrivalQueue()
  private readonly receivers = new HeldQueue<Waiter<Uint8Array[]>>(this)
  private readonly senders = new HeldQueue<PendingSend>(this)
  private readonly bindings = new Map<string, Binding>()
  private readonly connecters = new Map<string, Connecter>()
  private readonly listeners = new Set<SocketEventListener>()
  private isClosed = false
  private ended = false
  private flushingSends = false
  private receivesScheduled = false
  /** Operations completed at once since the last forced turn of the event loop. */
  private streak = 0

  constructor(type: SocketType, context: Context, options: Partial<SocketOptions> = {}) {
    checkOptions(options)
    this.type = type
    this.context = context
    this.options = { ...defaultOptions, ...options }
    context.register(this)
  }

  get closed(): boolean {
    return this.isClosed
  }

  get sendHighWaterMark(): number {
    return this.options.sendHighWaterMark
  }

  get receiveHighWaterMark(): number {
    return this.options.receiveHighWaterMark
  }

  /** True when a message is waiting to be received. */
  get readable(): boolean {
    return this.inbox.length > 0 && this.xcanReceive()
  }

  /** True when messages wait for a connection that is not up (what a close with `linger` delivers). */
  get undelivered(): boolean {
    return hasUndelivered(this.pipes)
  }

  /** True when a send would be taken at once. */
  get writable(): boolean {
    return this.senders.length === 0 && this.xcanSend() && this.xwritable()
  }

  /** What the socket holds now (leak checks: see {@link SocketResources}). */
  get resources(): SocketResources {
    let engines = 0
    for (const binding of this.bindings.values()) engines += binding.engines.size
    for (const connecter of this.connecters.values()) if (connecter.engine !== undefined) engines++
    return {
      pipes: this.pipes.length,
      engines,
      queued: this.inbox.length,
      sources: this.inbox.sourceCount,
      pendingSends: this.senders.length,
      pendingReceives: this.receivers.length,
      bindings: this.bindings.size,
      connecters: this.connecters.size,
      eventListeners: this.listeners.size,
    }
  }

  /** Subscribes to monitor events. */
  addEventListener(listener: SocketEventListener): void {
    this.listeners.add(listener)
  }

  removeEventListener(listener: SocketEventListener): void {
    this.listeners.delete(listener)
  }

  protected emit(event: SocketEvent): void {
    // "end" is the last event, as with libzmq's monitor: connections that linger after close() are
    // no longer reported.
    if (this.ended) return
    if (event.type === "end") this.ended = true
    for (const listener of this.listeners) {
      // Events are emitted from inside the engine and the reconnect logic: a listener's exception
      // must neither break them nor reach the event loop.
      try {
        listener(event)
      } catch (err) {
        this.context.reportError(err)
      }
    }
  }

  // ---- hooks for the socket types -------------------------------------------------------------

  /** A pipe joins the socket. */
  protected abstract xattach(pipe: Pipe): void
  /** A pipe leaves the socket for good. */
  protected abstract xdetach(pipe: Pipe): void
  /** A pipe's connection completed its handshake (again, after a reconnect). */
  protected xconnected(_pipe: Pipe): void {}
  /** A pipe's connection went away; a connecting socket's pipe stays attached and reconnects. */
  protected xdisconnected(_pipe: Pipe): void {}
  /**
   * Routes one outgoing message. Returns true when it was taken (sent, or dropped by the pattern's
   * rules), false to wait until a pipe has room. May throw a coded error (`EHOSTUNREACH`).
   */
  protected abstract xsend(frames: readonly Uint8Array[]): boolean
  /** Whether some pipe could take a message now (for `writable`). */
  protected abstract xwritable(): boolean
  /** Filters or reshapes an incoming message; null drops it. */
  protected xaccept(_pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    return frames
  }
  /** The application took a message. */
  protected xreceived(_pipe: Pipe | undefined, _frames: Uint8Array[]): void {}
  /**
   * The error a send that could not be taken in time fails with; undefined for the default (`EAGAIN`,
   * or `EFSM` while the pattern forbids sending); null when the send completes at its timeout
   * instead (libzmq's last attempt takes it).
   */
  protected xsendTimeoutError(_frames: readonly Uint8Array[]): ZlError | null | undefined {
    return undefined
  }
  /** False while the pattern forbids sending (REQ awaiting its reply, REP without a request). */
  protected xcanSend(): boolean {
    return true
  }
  /** False while the pattern forbids receiving (REP before replying). */
  protected xcanReceive(): boolean {
    return true
  }
  /** Whether this socket type can send at all; otherwise `send` fails with `ENOTSUP`. */
  protected get sendable(): boolean {
    return true
  }
  /**
   * Whether messages are received fair-queued by pipe (RFC 28/30, libzmq `fq_t`); otherwise in arrival
   * order, as libzmq's XPUB processes what its subscribers send.
   */
  protected get fairQueued(): boolean {
    return true
  }
  /** Whether this socket type can receive at all; otherwise `receive` fails with `ENOTSUP`. */
  protected get receivable(): boolean {
    return true
  }

  // ---- sending ---------------------------------------------------------------------------------

  /**
   * Sends a message. Resolves once a pipe took it; concurrent sends are served in call order. Waits
   * while the pattern or the high-water mark says so, up to `sendTimeout`.
   */
  send(frames: readonly Uint8Array[]): Promise<void> {
    try {
      if (this.sendNow(frames)) return SENT
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<void>((resolve, reject) => this.sendLater(frames, resolve, reject))
  }

  /**
   * The step of `send` that needs no promise: true when a pipe took the message at once, as `send`
   * would resolve at once. False when `send` would wait, fail or first give the event loop its
   * turn; call {@link sendLater} then. Throws what the socket type refuses (`EHOSTUNREACH`...).
   */
  sendNow(frames: readonly Uint8Array[]): boolean {
    if (
      this.isClosed ||
      this.senders.length > 0 ||
      frames.length === 0 ||
      this.streak + 1 >= YIELD_EVERY ||
      !this.sendable ||
      !this.xcanSend() ||
      !encodable(frames) ||
      !this.xsend(frames)
    ) {
      return false
    }
    this.streak++
    return true
  }

  /** `send` with callbacks instead of a promise: exactly one of them is called, now or later. */
  sendLater(frames: readonly Uint8Array[], resolve: () => void, reject: (error: unknown) => void): void {
    if (this.isClosed) {
      reject(socketError("EBADF", "the socket is closed"))
      return
    }
    if (!this.sendable) {
      reject(socketError("ENOTSUP", `a ${this.type} socket cannot send`))
      return
    }
    if (frames.length === 0) {
      reject(socketError("EINVAL", "a message has at least one frame"))
      return
    }
    if (!encodable(frames)) {
      // Refused whole, before any routing: no part of it goes anywhere.
      reject(socketError("EMSGSIZE", `a frame is larger than ${MAX_FRAME_SIZE} octets`))
      return
    }
    if (this.senders.length === 0 && this.xcanSend()) {
      let taken: boolean
      try {
        taken = this.xsend(frames)
      } catch (err) {
        reject(err)
        return
      }
      if (taken) {
        this.completeNow(resolve, undefined)
        return
      }
    }
    const timeout = this.options.sendTimeout
    if (timeout === 0) {
      this.timedOut(frames, resolve, reject)
      return
    }
    if (this.senders.length >= MAX_PENDING_OPERATIONS) {
      reject(socketError("EBUSY", `${MAX_PENDING_OPERATIONS} sends are already waiting on this socket`))
      return
    }
    const pending: PendingSend = { frames, resolve, reject, timer: undefined }
    if (timeout > 0) {
      pending.timer = setTimeout(() => {
        this.senders.removeWhere((s) => s === pending)
        this.timedOut(frames, resolve, reject)
      }, timerDelay(timeout))
    }
    this.senders.push(pending)
  }

  /** Completes an operation that succeeded at once: now, or after the event loop had a turn. */
  private completeNow<T>(resolve: (value: T) => void, value: T): void {
    if (++this.streak < YIELD_EVERY) {
      resolve(value)
      return
    }
    this.streak = 0
    defaultSchedule(() => resolve(value))
  }

  /** Settles a send whose time ran out: with the pattern's error, or done where the pattern says so. */
  private timedOut(
    frames: readonly Uint8Array[],
    resolve: () => void,
    reject: (error: unknown) => void,
  ): void {
    const error = this.xsendTimeoutError(frames)
    if (error === null) resolve()
    else if (error !== undefined) reject(error)
    else {
      reject(
        this.xcanSend()
          ? socketError("EAGAIN", "the message could not be sent in time")
          : socketError("EFSM", `the ${this.type} socket cannot send in its current state`),
      )
    }
  }

  /** Retries queued sends, in order, as long as they are taken. */
  protected flushSends(): void {
    if (this.flushingSends) return
    this.flushingSends = true
    try {
      while (this.senders.length > 0 && this.xcanSend()) {
        const pending = this.senders.peek()!
        let taken: boolean
        try {
          taken = this.xsend(pending.frames)
        } catch (err) {
          this.senders.shift()
          settle(pending)
          pending.reject(asZlError(err))
          continue
        }
        if (!taken) break
        this.senders.shift()
        settle(pending)
        pending.resolve()
      }
    } finally {
      this.flushingSends = false
    }
  }

  // ---- receiving -------------------------------------------------------------------------------

  /**
   * Receives the next message; concurrent receives are served in call order, up to `receiveTimeout`.
   * An aborted `signal` withdraws a waiting receive (it rejects with the signal's reason) without
   * losing a message.
   */
  receive(signal?: AbortSignal): Promise<Uint8Array[]> {
    const frames = this.receiveNow()
    if (frames !== undefined) return Promise.resolve(frames)
    return new Promise<Uint8Array[]>((resolve, reject) => this.receiveLater(resolve, reject, signal))
  }

  /**
   * The step of `receive` that needs no promise: the next message, when `receive` would resolve with
   * it at once. Undefined when `receive` would wait, fail or first give the event loop its turn;
   * call {@link receiveLater} then.
   */
  receiveNow(): Uint8Array[] | undefined {
    if (this.isClosed || this.streak + 1 >= YIELD_EVERY || !this.receivable || !this.canTakeNow()) {
      return undefined
    }
    this.streak++
    return this.takeNext()
  }

  /** A message waits, no earlier receive is queued, and the pattern lets one be taken. */
  private canTakeNow(): boolean {
    return this.receivers.length === 0 && this.inbox.length > 0 && this.xcanReceive()
  }

  /** `receive` with callbacks instead of a promise: exactly one of them is called, now or later. */
  receiveLater(
    resolve: (frames: Uint8Array[]) => void,
    reject: (error: unknown) => void,
    signal?: AbortSignal,
  ): void {
    if (this.isClosed) {
      reject(socketError("EBADF", "the socket is closed"))
      return
    }
    if (!this.receivable) {
      reject(socketError("ENOTSUP", `a ${this.type} socket cannot receive`))
      return
    }
    if (this.canTakeNow()) {
      this.completeNow(resolve, this.takeNext())
      return
    }
    const timeout = this.options.receiveTimeout
    if (timeout === 0) {
      reject(this.receiveTimeoutError())
      return
    }
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    if (this.receivers.length >= MAX_PENDING_OPERATIONS) {
      reject(socketError("EBUSY", `${MAX_PENDING_OPERATIONS} receives are already waiting on this socket`))
      return
    }
    const waiter: Waiter<Uint8Array[]> = { resolve, reject, timer: undefined }
    if (timeout > 0 || signal !== undefined) {
      const withdraw = (error: unknown): void => {
        this.receivers.removeWhere((w) => w === waiter)
        settle(waiter)
        reject(error)
      }
      if (timeout > 0) {
        waiter.timer = setTimeout(() => withdraw(this.receiveTimeoutError()), timerDelay(timeout))
      }
      if (signal !== undefined) {
        const onAbort = (): void => withdraw(signal.reason)
        signal.addEventListener("abort", onAbort, { once: true })
        waiter.resolve = (value) => {
          signal.removeEventListener("abort", onAbort)
          resolve(value)
        }
      }
    }
    this.receivers.push(waiter)
  }

  private receiveTimeoutError(): ZlError {
    return this.xcanReceive()
      ? socketError("EAGAIN", "no message arrived in time")
      : socketError("EFSM", `the ${this.type} socket cannot receive in its current state`)
  }

  private take(pipe: Pipe | undefined, frames: Uint8Array[]): Uint8Array[] {
    pipe?.dequeued()
    this.xreceived(pipe, frames)
    return frames
  }

  private takeNext(): Uint8Array[] {
    const frames = this.inbox.shift()!
    return this.take(this.inbox.lastKey, frames)
  }

  /**
   * Hands what arrived to waiting receivers one microtask later, not from inside the sender's call:
   * a sender and a receiver awaiting in turn then settle into the order where the sender runs first,
   * and every receive finds its message waiting (the path without a pending promise).
   */
  private scheduleReceives(): void {
    if (this.receivesScheduled) return
    this.receivesScheduled = true
    // A reaction on a settled promise: cheaper than Node's queueMicrotask, which wraps each callback.
    SENT.then(this.runScheduledReceives)
  }

  private readonly runScheduledReceives = (): void => {
    this.receivesScheduled = false
    this.flushReceives()
  }

  /** Hands queued messages to waiting receivers, in order. */
  protected flushReceives(): void {
    while (this.receivers.length > 0 && this.inbox.length > 0 && this.xcanReceive()) {
      const waiter = this.receivers.shift()!
      settle(waiter)
      waiter.resolve(this.takeNext())
    }
  }

  // ---- PipeOwner ---------------------------------------------------------------------------------

  /** @internal */
  pipeMessage(pipe: Pipe, frames: Uint8Array[]): boolean {
    const accepted = this.xaccept(pipe, frames)
    if (accepted === null || this.isClosed) return true
    pipe.inbound++
    this.inbox.push(pipe, accepted)
    if (this.receivers.length > 0) this.scheduleReceives()
    const hwm = this.options.receiveHighWaterMark
    return hwm <= 0 || pipe.inbound < hwm
  }

  /**
   * Drops waiting messages the socket type no longer wants (a SUB's unsubscribed topic), as if the
   * application had taken them: each frees its place under the receive high-water mark.
   */
  protected discardInbound(drop: (frames: Uint8Array[]) => boolean): void {
    this.inbox.removeWhere(drop, (pipe) => pipe?.dequeued())
  }

  /** Queues a message for the application that no peer sent (XPUB reporting a departed subscriber's topics). */
  protected injectInbound(frames: Uint8Array[]): void {
    this.inbox.push(undefined, frames)
    if (this.receivers.length > 0) this.scheduleReceives()
  }

  /** @internal */
  pipeWritable(_pipe: Pipe): void {
    this.flushSends()
  }

  /** @internal */
  pipeTerminated(pipe: Pipe): void {
    this.removePipe(pipe)
  }

  protected addPipe(pipe: Pipe): void {
    this.attachPipe(pipe)
    this.flushSends()
  }

  /** Attaches a pipe to the socket type without retrying waiting sends yet. */
  private attachPipe(pipe: Pipe): void {
    this.pipes.push(pipe)
    pipe.attached = true
    this.xattach(pipe)
    if (pipe.attached && pipe.connected) this.xconnected(pipe)
  }

  protected removePipe(pipe: Pipe): void {
    const at = this.pipes.indexOf(pipe)
    if (at < 0) return
    this.pipes.splice(at, 1)
    pipe.attached = false
    this.inbox.forget(pipe)
    this.xdetach(pipe)
  }

  // ---- bind / unbind -----------------------------------------------------------------------------

  /** Binds to an endpoint; resolves with the resolved endpoint, also in `lastEndpoint`. */
  async bind(endpoint: string): Promise<string> {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") return this.bindInproc(endpoint, address)
    const transport = this.context.transports.get(scheme)
    const binding: Binding = { endpoint, requested: endpoint, listener: undefined, engines: new Set() }
    let listener: Listener
    try {
      listener = await transport.listen(address, (connection) => this.accept(binding, connection), {
        options: this.options as unknown as Record<string, unknown>,
      })
    } catch (err) {
      const error = asZlError(err)
      this.emit({ type: "bind:error", address: endpoint, error })
      throw error
    }
    if (this.isClosed) {
      await listener.close()
      throw socketError("EBADF", "the socket was closed during bind")
    }
    binding.endpoint = listener.endpoint
    binding.listener = listener
    this.bindings.set(listener.endpoint, binding)
    this.lastEndpoint = listener.endpoint
    this.emit({ type: "bind", address: listener.endpoint })
    return listener.endpoint
  }

  /** Stops listening on an endpoint (the resolved one, or the one given to `bind`). */
  async unbind(endpoint: string): Promise<void> {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      if (this.context.inprocBindings.get(address) !== this)
        throw socketError("ENOENT", `not bound to ${endpoint}`)
      this.context.inprocBindings.delete(address)
      this.emit({ type: "close", address: endpoint })
      return
    }
    let binding = this.bindings.get(endpoint)
    if (binding === undefined) {
      for (const b of this.bindings.values()) if (b.requested === endpoint) binding = b
    }
    if (binding === undefined) throw socketError("ENOENT", `not bound to ${endpoint}`)
    this.bindings.delete(binding.endpoint)
    await binding.listener?.close()
    // libzmq also closes the connections that came in through the endpoint, with the linger of close().
    this.closeEngines(binding.engines)
    this.emit({ type: "close", address: binding.endpoint })
  }

  /** Closes accepted connections as `close()` and `unbind()` do: flushing for up to `linger`. */
  private closeEngines(engines: Iterable<Engine>): void {
    const linger = this.options.linger
    for (const engine of engines) {
      if (linger === 0) engine.destroy()
      else {
        engine.close()
        if (linger > 0) unrefTimer(setTimeout(() => engine.destroy(), timerDelay(linger)))
      }
    }
  }

  private bindInproc(endpoint: string, name: string): string {
    if (name.length === 0) throw socketError("EINVAL", "an inproc endpoint needs a name")
    if (this.context.inprocBindings.has(name)) throw socketError("EADDRINUSE", `${endpoint} is already bound`)
    this.context.inprocBindings.set(name, this)
    this.lastEndpoint = endpoint
    this.emit({ type: "bind", address: endpoint })
    const pending = this.context.inprocPending.get(name)
    if (pending !== undefined) {
      this.context.inprocPending.delete(name)
      for (const connecter of pending)
        if (!connecter.closed) connecter.linkInproc(this, endpoint, undefined, name)
    }
    return endpoint
  }

  /**
   * @internal Links a connecting socket (this) with a bound one over inproc, through the pipe an
   * earlier connect made while the name was not bound (`name`), or a new one.
   */
  linkInproc(binder: SocketBase, endpoint: string, routingId?: Uint8Array, name?: string): void {
    const early =
      name === undefined
        ? undefined
        : (this.pipes.find(
            (p) => p instanceof InprocPipe && p.pending && parseEndpoint(p.endpoint).address === name,
          ) as InprocPipe | undefined)
    const mine = early ?? new InprocPipe(this, endpoint)
    const theirs = new InprocPipe(binder, endpoint)
    mine.link(theirs)
    mine.peerSocketType = binder.type
    theirs.peerSocketType = this.type
    mine.peerRoutingId = binder.options.routingId ?? new Uint8Array(0)
    theirs.peerRoutingId = this.options.routingId ?? new Uint8Array(0)
    if (early === undefined) mine.connectRoutingId = routingId
    // Both sides are attached (and identified: a ROUTER has its routing id) before any message
    // crosses: what one socket sends as it attaches, or queued before the bind, would otherwise reach
    // a socket that does not know the pipe yet (a ROUTER drops such messages).
    if (early === undefined) this.attachPipe(mine)
    else this.xconnected(mine)
    // The connecting socket may have refused the link (a PAIR that has its peer already).
    if (!mine.connected) return
    binder.attachPipe(theirs)
    mine.deliverEarly()
    binder.emit({ type: "accept", address: endpoint })
    this.emit({ type: "connect", address: endpoint })
    this.flushSends()
    binder.flushSends()
  }

  private accept(binding: Binding, connection: Connection): void {
    if (this.isClosed) {
      connection.destroy()
      return
    }
    const endpoint = binding.endpoint
    this.emit({ type: "accept", address: endpoint })
    let pipe: SessionPipe | undefined
    const engine: Engine = new Engine(connection, this.engineOptions(), {
      onReady: (peer) => {
        pipe = new SessionPipe(this, endpoint)
        pipe.peerRoutingId = peer.routingId
        pipe.peerSocketType = peer.socketType
        pipe.attachEngine(engine)
        this.emit({ type: "handshake", address: endpoint })
        this.addPipe(pipe)
      },
      onMessage: (frames) => pipe?.receive(frames) ?? true,
      onWritable: () => pipe?.onEngineWritable(),
      onClose: (error, wasReady) => {
        binding.engines.delete(engine)
        if (wasReady) {
          this.emit(
            error === undefined
              ? { type: "disconnect", address: endpoint }
              : { type: "disconnect", address: endpoint, error },
          )
          if (pipe !== undefined) {
            pipe.detachEngine()
            this.xdisconnected(pipe)
            this.removePipe(pipe)
          }
        } else if (error !== undefined) {
          this.emitHandshakeError(endpoint, error)
        }
      },
    })
    binding.engines.add(engine)
    engine.start()
  }

  private emitHandshakeError(address: string, error: ZlError): void {
    const type = error.code.startsWith("ZMTP_ERR_") ? "handshake:error:protocol" : "handshake:error:other"
    this.emit({ type, address, error })
  }

  private engineOptions(): EngineOptions {
    const o = this.options
    return {
      socketType: this.type,
      ...(o.routingId !== null ? { routingId: o.routingId } : {}),
      maxMessageSize: o.maxMessageSize,
      handshakeInterval: o.handshakeInterval,
      heartbeatInterval: o.heartbeatInterval,
      heartbeatTimeout: Math.max(o.heartbeatTimeout, 0),
      heartbeatTimeToLive: o.heartbeatTimeToLive,
      reportError: this.context.reportError,
      ...(this.context.allocate !== undefined
        ? { encoder: { allocate: this.context.allocate }, allocate: this.context.allocate }
        : {}),
    }
  }

  // ---- connect / disconnect --------------------------------------------------------------------

  /**
   * Connects to an endpoint and keeps reconnecting when the connection drops. Unless `immediate` is
   * set, messages for this peer queue up to the high-water mark until the connection is up.
   */
  connect(endpoint: string, routingId?: Uint8Array): void {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      if (address.length === 0) throw socketError("EINVAL", "an inproc endpoint needs a name")
      const binder = this.context.inprocBindings.get(address)
      if (binder !== undefined) this.linkInproc(binder, endpoint, routingId)
      else {
        // libzmq makes the pipe at once: messages queue in it (up to SNDHWM) until the bind.
        const pipe = new InprocPipe(this, endpoint, true)
        pipe.connectRoutingId = routingId
        this.addPipe(pipe)
        const list = this.context.inprocPending.get(address) ?? []
        list.push(this)
        this.context.inprocPending.set(address, list)
      }
      this.lastEndpoint = endpoint
      return
    }
    const transport = this.context.transports.get(scheme)
    transport.validate?.(address, "dial")
    const connecter: Connecter = {
      endpoint,
      transport,
      address,
      pipe: undefined,
      routingId,
      abort: undefined,
      engine: undefined,
      timer: undefined,
      interval: this.options.reconnectInterval,
      stopped: false,
      lingering: false,
    }
    if (!this.options.immediate) {
      connecter.pipe = this.newConnectPipe(connecter)
      this.addPipe(connecter.pipe)
    }
    this.connecters.set(endpoint, connecter)
    this.lastEndpoint = endpoint
    this.startDial(connecter)
  }

  /** Stops connecting to an endpoint and drops its connection. */
  disconnect(endpoint: string): void {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      const pending = this.context.inprocPending.get(address)
      if (pending?.includes(this)) {
        pending.splice(pending.indexOf(this), 1)
        const early = this.pipes.find((p) => p instanceof InprocPipe && p.pending && p.endpoint === endpoint)
        if (early !== undefined) {
          ;(early as InprocPipe).unlink()
          this.removePipe(early)
        }
        return
      }
      const pipe = this.pipes.find((p) => p instanceof InprocPipe && p.endpoint === endpoint)
      if (pipe === undefined) throw socketError("ENOENT", `not connected to ${endpoint}`)
      ;(pipe as InprocPipe).unlink()
      this.removePipe(pipe)
      return
    }
    const connecter = this.connecters.get(endpoint)
    if (connecter === undefined) throw socketError("ENOENT", `not connected to ${endpoint}`)
    this.connecters.delete(endpoint)
    this.stopConnecter(connecter, 0)
  }

  private newConnectPipe(connecter: Connecter): SessionPipe {
    const pipe = new SessionPipe(this, connecter.endpoint)
    pipe.connectRoutingId = connecter.routingId
    return pipe
  }

  /** Dials without leaving a promise behind: a fault in the dial is reported, never unhandled. */
  private startDial(connecter: Connecter): void {
    this.dial(connecter).catch(this.context.reportError)
  }

  private async dial(connecter: Connecter): Promise<void> {
    if (connecter.stopped) return
    const abort = new AbortController()
    connecter.abort = abort
    const timeout = this.options.connectTimeout
    const timer =
      timeout > 0
        ? unrefTimer(
            setTimeout(() => abort.abort(socketError("ETIMEDOUT", "connect timed out")), timerDelay(timeout)),
          )
        : undefined
    let connection: Connection
    try {
      connection = await connecter.transport.dial(connecter.address, {
        signal: abort.signal,
        options: this.options as unknown as Record<string, unknown>,
      })
    } catch {
      if (timer !== undefined) clearTimeout(timer)
      if (connecter.stopped) return
      // As libzmq: the attempt's socket is closed, and a retry is scheduled.
      this.emit({ type: "close", address: connecter.endpoint })
      this.scheduleReconnect(connecter)
      return
    } finally {
      connecter.abort = undefined
    }
    if (timer !== undefined) clearTimeout(timer)
    if (connecter.stopped) {
      connection.destroy()
      return
    }
    this.emit({ type: "connect", address: connecter.endpoint })
    try {
      this.runEngine(connecter, connection)
    } catch (err) {
      // A fault in starting the session (a transport that throws) is a failed connection: report
      // it, drop the connection and try again later.
      this.context.reportError(err)
      if (connecter.engine !== undefined && connecter.engine.closed === false) connecter.engine.destroy()
      connecter.engine = undefined
      connection.destroy()
      this.scheduleReconnect(connecter)
    }
  }

  private runEngine(connecter: Connecter, connection: Connection): void {
    const endpoint = connecter.endpoint
    const engine: Engine = new Engine(connection, this.engineOptions(), {
      onReady: (peer) => {
        connecter.interval = this.options.reconnectInterval
        let pipe = connecter.pipe
        if (pipe === undefined) {
          pipe = this.newConnectPipe(connecter)
          connecter.pipe = pipe
        }
        pipe.peerRoutingId = peer.routingId
        pipe.peerSocketType = peer.socketType
        pipe.attachEngine(engine)
        this.emit({ type: "handshake", address: endpoint })
        if (pipe.attached) this.xconnected(pipe)
        else this.addPipe(pipe)
        this.flushSends()
        if ((connecter.stopped || connecter.lingering) && pipe.flushed) engine.close()
      },
      onMessage: (frames) => connecter.pipe?.receive(frames) ?? true,
      onWritable: () => {
        connecter.pipe?.onEngineWritable()
        if ((connecter.stopped || connecter.lingering) && connecter.pipe?.flushed) engine.close()
      },
      onClose: (error, wasReady) => {
        if (connecter.engine === engine) connecter.engine = undefined
        const pipe = connecter.pipe
        if (wasReady) {
          this.emit(
            error === undefined
              ? { type: "disconnect", address: endpoint }
              : { type: "disconnect", address: endpoint, error },
          )
          if (pipe !== undefined) {
            pipe.detachEngine()
            this.xdisconnected(pipe)
            if (this.options.immediate || connecter.stopped) {
              this.removePipe(pipe)
              connecter.pipe = undefined
            }
          }
        } else if (error !== undefined) {
          this.emitHandshakeError(endpoint, error)
        }
        // A peer that refused us with ERROR is not retried with the same settings (RFC 37).
        if (error?.code === "ZMTP_ERR_PEER_ERROR") return
        // A lingering connection that delivered everything is done.
        if (connecter.lingering && (pipe === undefined || pipe.flushed)) {
          if (!connecter.stopped) this.context.hold.lingerEnd()
          connecter.stopped = true
          return
        }
        this.scheduleReconnect(connecter)
      },
    })
    connecter.engine = engine
    engine.start()
  }

  private scheduleReconnect(connecter: Connecter): void {
    if (connecter.stopped || this.options.reconnectInterval < 0) return
    const base = this.options.reconnectInterval
    const max = this.options.reconnectMaxInterval
    let interval: number
    if (max > 0) {
      // Exponential back-off, as libzmq's RECONNECT_IVL_MAX.
      interval = Math.min(connecter.interval, max)
      connecter.interval = Math.min(connecter.interval * 2, max)
    } else {
      interval = base + Math.floor(Math.random() * base)
    }
    this.emit({ type: "connect:retry", address: connecter.endpoint, interval })
    connecter.timer = setTimeout(() => {
      connecter.timer = undefined
      this.startDial(connecter)
    }, timerDelay(interval))
    // Reconnecting never keeps the process alive, as with libzmq (see hold.ts).
    unrefTimer(connecter.timer)
  }

  private stopConnecter(connecter: Connecter, linger: number): void {
    const queued = connecter.pipe
    if (
      linger !== 0 &&
      !connecter.lingering &&
      connecter.engine === undefined &&
      queued !== undefined &&
      queued.queued > 0
    ) {
      // Messages wait for a connection that is not up: keep dialling to deliver them, as libzmq's
      // linger does; the connection closes once they are written.
      connecter.lingering = true
      this.context.hold.lingerBegin()
      this.removePipe(queued)
      if (linger > 0) unrefTimer(setTimeout(() => this.stopConnecter(connecter, 0), timerDelay(linger)))
      return
    }
    if (connecter.lingering && !connecter.stopped) this.context.hold.lingerEnd()
    connecter.stopped = true
    if (connecter.timer !== undefined) clearTimeout(connecter.timer)
    connecter.abort?.abort(socketError("ECANCELED", "disconnected"))
    const pipe = connecter.pipe
    const engine = connecter.engine
    if (engine !== undefined) {
      if (linger === 0) engine.destroy()
      else {
        // A graceful close flushes what the transport holds; a pipe still writing closes its engine
        // once flushed (see onWritable). Linger bounds the wait.
        if (pipe === undefined || pipe.flushed) engine.close()
        if (linger > 0) unrefTimer(setTimeout(() => engine.destroy(), timerDelay(linger)))
      }
    }
    if (pipe !== undefined) {
      pipe.discard()
      this.removePipe(pipe)
    }
  }

  // ---- close -------------------------------------------------------------------------------------

  /**
   * Closes the socket. Pending sends and receives reject with `EAGAIN`, as with the `zeromq` package. Connections keep flushing what
   * they hold for up to `linger` milliseconds (-1: until done); nothing else happens on the socket.
   */
  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    const closedError = socketError("EAGAIN", "the socket was closed before the operation completed")
    // A receive the pattern would never have served (REQ before sending) fails as its timeout would.
    const receiveError = this.xcanReceive() ? closedError : this.receiveTimeoutError()
    for (const waiter of this.receivers.clear()) {
      settle(waiter)
      waiter.reject(receiveError)
    }
    for (const pending of this.senders.clear()) {
      settle(pending)
      pending.reject(closedError)
    }
    const linger = this.options.linger
    for (const binding of this.bindings.values()) {
      binding.listener?.close().catch(this.context.reportError)
      // libzmq reports each listener it closes.
      this.emit({ type: "close", address: binding.endpoint })
      this.closeEngines(binding.engines)
    }
    this.bindings.clear()
    for (const connecter of this.connecters.values()) this.stopConnecter(connecter, linger)
    this.connecters.clear()
    for (const [name, socket] of this.context.inprocBindings) {
      if (socket !== this) continue
      this.context.inprocBindings.delete(name)
      this.emit({ type: "close", address: `inproc://${name}` })
    }
    for (const list of this.context.inprocPending.values()) {
      const at = list.indexOf(this)
      if (at >= 0) list.splice(at, 1)
    }
    for (const pipe of [...this.pipes]) {
      if (pipe instanceof InprocPipe) pipe.unlink()
      this.removePipe(pipe)
    }
    this.context.unregister(this)
    this.emit({ type: "end" })
  }

  protected assertOpen(): void {
    if (this.isClosed) throw socketError("EBADF", "the socket is closed")
    if (this.context.closed) throw socketError("ETERM", "the context is closed")
  }
}

/** True when every frame can be put on the wire (ZMTP sizes; the largest buffer a peer could take). */
function encodable(frames: readonly Uint8Array[]): boolean {
  for (let i = 0; i < frames.length; i++) if (frames[i]!.length > MAX_FRAME_SIZE) return false
  return true
}

function settle(waiter: Waiter<unknown>): void {
  if (waiter.timer !== undefined) {
    clearTimeout(waiter.timer)
    waiter.timer = undefined
  }
}
