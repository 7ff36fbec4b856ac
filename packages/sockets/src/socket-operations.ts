import { MAX_FRAME_SIZE, type ZlError } from "@zl/codec"
import { defaultSchedule, type SocketType, timerDelay } from "@zl/engine"
import type { Context } from "./context.js"
import { asZlError, socketError } from "./errors.js"
import { HeldQueue } from "./hold.js"
import type { SocketOptions } from "./options.js"
import { conflated, type Pipe } from "./pipe.js"
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

/** What `send` returns when the message was taken at once: wrappers skip chaining onto it. */
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
 * A socket's `send()` and `receive()` calls: the message taken at once when the pattern and the
 * pipes allow it, otherwise queued in call order (at most {@link MAX_PENDING_OPERATIONS} of each) until
 * it can be served or its timeout runs out; and the messages that arrived, waiting for a receive.
 * The routing itself is the socket type's, through the `x*` hooks; {@link SocketBase} adds the
 * pipes, the endpoints and close.
 */
export abstract class SocketOperations {
  /** The socket's context: its hold keeps the process alive while operations wait (see hold.ts). */
  abstract readonly context: Context
  readonly type: SocketType
  readonly options: SocketOptions
  /**
   * Messages waiting for the application, keyed by the pipe they came from (undefined for a message
   * the socket made itself, XPUB's cancellations); fair-queued by pipe unless `fairQueued` says no.
   */
  private readonly inbox: Inbox<Pipe | undefined, Uint8Array[]> = this.fairQueued
    ? new FairQueue()
    : new ArrivalQueue()
  private readonly receivers = new HeldQueue<Waiter<Uint8Array[]>>(this)
  private readonly senders = new HeldQueue<PendingSend>(this)
  private isClosed = false
  private flushingSends = false
  private receivesScheduled = false
  /** Operations completed at once since the last forced turn of the event loop. */
  private streak = 0

  constructor(type: SocketType, options: SocketOptions) {
    this.type = type
    this.options = options
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

  /** True when a send would be taken at once. */
  get writable(): boolean {
    return this.senders.length === 0 && this.xcanSend() && this.xwritable()
  }

  /** The counts of {@link SocketResources} these queues hold. */
  protected get queueResources(): Pick<
    SocketResources,
    "queued" | "sources" | "pendingSends" | "pendingReceives"
  > {
    return {
      queued: this.inbox.length,
      sources: this.inbox.sourceCount,
      pendingSends: this.senders.length,
      pendingReceives: this.receivers.length,
    }
  }

  // ---- hooks for the socket types -------------------------------------------------------------

  /**
   * Routes one outgoing message. Returns true when it was taken (sent, or dropped by the pattern's
   * rules), false to wait until a pipe has room. May throw a coded error (`EHOSTUNREACH`). A socket
   * type that cannot send (see `sendable`) keeps this default, as libzmq's `socket_base_t::xsend`.
   */
  protected xsend(_frames: readonly Uint8Array[]): boolean {
    return false
  }
  /** Whether some pipe could take a message now (for `writable`); never, by default. */
  protected xwritable(): boolean {
    return false
  }
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
    const refused = this.refusal("send", this.sendable) ?? malformed(frames)
    if (refused !== undefined) {
      reject(refused)
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

  /** Why an operation cannot even be tried: the socket is closed, or its type never does it. */
  private refusal(operation: "send" | "receive", supported: boolean): ZlError | undefined {
    if (this.isClosed) return socketError("EBADF", "the socket is closed")
    if (!supported) return socketError("ENOTSUP", `a ${this.type} socket cannot ${operation}`)
    return undefined
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
    const refused = this.refusal("receive", this.receivable)
    if (refused !== undefined) {
      reject(refused)
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

  // ---- what arrives ------------------------------------------------------------------------------

  /** @internal A pipe delivers a message from its peer (the socket's part of `PipeOwner`). */
  pipeMessage(pipe: Pipe, frames: Uint8Array[]): boolean {
    const accepted = this.xaccept(pipe, frames)
    if (accepted === null || this.isClosed) return true
    pipe.inbound++
    this.inbox.push(pipe, accepted)
    if (this.receivers.length > 0) this.scheduleReceives()
    const hwm = this.options.receiveHighWaterMark
    return hwm <= 0 || pipe.inbound < hwm
  }

  /** @internal A message over a conflating pipe: the socket keeps only that pipe's newest (`conflated`). */
  pipeConflated(pipe: Pipe, frames: Uint8Array[]): void {
    const accepted = this.xaccept(pipe, conflated(frames))
    if (accepted === null || this.isClosed) return
    if (!this.inbox.replace(pipe, accepted)) {
      pipe.inbound++
      this.inbox.push(pipe, accepted)
    }
    if (this.receivers.length > 0) this.scheduleReceives()
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

  /** `pipe` left the socket: what it sent stays receivable, its fair-queuing state then goes. */
  protected forgetInbound(pipe: Pipe): void {
    this.inbox.forget(pipe)
  }

  // ---- close -------------------------------------------------------------------------------------

  /**
   * Marks the socket closed and fails every waiting operation: with `EAGAIN`, as with the `zeromq`
   * package, or as its timeout would for a receive the pattern would never have served.
   */
  protected closeOperations(): void {
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
  }
}

/** True when every frame can be put on the wire (ZMTP sizes; the largest buffer a peer could take). */
function encodable(frames: readonly Uint8Array[]): boolean {
  for (let i = 0; i < frames.length; i++) if (frames[i]!.length > MAX_FRAME_SIZE) return false
  return true
}

/** Why a message is refused whole, before any routing (no part of it goes anywhere), or undefined. */
function malformed(frames: readonly Uint8Array[]): ZlError | undefined {
  if (frames.length === 0) return socketError("EINVAL", "a message has at least one frame")
  if (!encodable(frames)) return socketError("EMSGSIZE", `a frame is larger than ${MAX_FRAME_SIZE} octets`)
  return undefined
}

function settle(waiter: Waiter<unknown>): void {
  if (waiter.timer !== undefined) {
    clearTimeout(waiter.timer)
    waiter.timer = undefined
  }
}
