import type { Context } from "./context.js"
import { LoadBalancedSocket } from "./load-balanced-socket.js"
import type { SocketOptions } from "./options.js"
import { InprocPipe, type Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"

const EMPTY = new Uint8Array(0)

/**
 * REQ (RFC 28): request-reply. A request goes to the next peer with an empty delimiter frame before
 * it; only that peer's reply is accepted; the next request waits until the reply was received,
 * unless `relaxed` is set. With `correlate`, a 4-octet request id frame goes before the delimiter
 * and a reply must carry the id of the last request. As libzmq 4.3.5's `req_t`.
 */
export class RequestSocket extends LoadBalancedSocket {
  /** The pipe the last request went out on; undefined once it left, when any peer's reply is taken. */
  private replyPipe: Pipe | undefined
  /** A request is out and its reply has not been received by the application. */
  private busy = false
  /** The reply arrived; later messages are dropped until the next request. */
  private answered = false
  /** The id of the last request (`correlate`): libzmq starts at a random value and counts up by one. */
  private requestId = (Math.random() * 0x1_0000_0000) >>> 0

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("REQ", context, options)
  }

  protected override xcanSend(): boolean {
    return !this.busy || this.options.relaxed
  }

  protected override xcanReceive(): boolean {
    return this.busy
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    if (this.busy) this.abandon()
    const pipe = this.balancer.pick()
    if (pipe === undefined) return false
    if (this.options.correlate) {
      this.requestId = (this.requestId + 1) >>> 0
      pipe.write([requestIdFrame(this.requestId), EMPTY, ...frames])
    } else {
      pipe.write([EMPTY, ...frames])
    }
    this.replyPipe = pipe
    this.busy = true
    this.answered = false
    return true
  }

  /**
   * A relaxed REQ sends before the reply came: the old request is given up, as libzmq's `req_t`
   * does. A reply to it that already arrived is dropped (libzmq drains every queued message when the
   * next request goes out); one still on its way is dropped if it comes from another peer than the
   * next request's, and, from the same peer, only with `correlate` (its id is the old one). The pipe
   * it was sent on stays connected.
   */
  private abandon(): void {
    this.busy = false
    this.answered = false
    this.replyPipe = undefined
    this.discardInbound(() => true)
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    const body = replyBodyStart(frames)
    if (body < 0) {
      // libzmq's REQ session takes only [id,] delimiter, body from the wire and drops the
      // connection on anything else, whatever the socket's state; inproc has no session, and
      // libzmq's req_t skips such a message.
      if (!(pipe instanceof InprocPipe)) pipe.drop()
      return null
    }
    if (!this.busy || this.answered) return null
    if (this.replyPipe !== undefined && pipe !== this.replyPipe) return null
    if (this.options.correlate) {
      if (body !== 2 || !hasId(frames[0]!, this.requestId)) return null
    } else if (body !== 1) {
      return null
    }
    this.answered = true
    return frames.slice(body)
  }

  protected override xreceived(): void {
    this.busy = false
    this.answered = false
    this.replyPipe = undefined
    this.flushSends()
  }

  protected override xdetach(pipe: Pipe): void {
    super.xdetach(pipe)
    if (this.replyPipe === pipe) this.replyPipe = undefined
  }
}

/** The id frame of a request: the 32-bit id in the byte order libzmq copies it (little-endian hosts). */
function requestIdFrame(id: number): Uint8Array {
  return new Uint8Array([id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24])
}

function hasId(frame: Uint8Array, id: number): boolean {
  return (
    frame.length === 4 &&
    frame[0] === (id & 0xff) &&
    frame[1] === ((id >>> 8) & 0xff) &&
    frame[2] === ((id >>> 16) & 0xff) &&
    frame[3] === id >>> 24
  )
}

/**
 * Where the body of a reply starts: 1 after the delimiter, 2 after a 4-octet request id and the
 * delimiter; -1 for a message libzmq's REQ session refuses (it needs at least one body frame).
 */
function replyBodyStart(frames: Uint8Array[]): number {
  const first = frames[0]!.length
  if (first === 0) return frames.length >= 2 ? 1 : -1
  if (first === 4 && frames.length >= 3 && frames[1]!.length === 0) return 2
  return -1
}

/**
 * REP (RFC 28): takes one request at a time, fair-queued; the reply goes back, with the request's
 * envelope, to the peer that asked. Requests without an empty delimiter are skipped.
 */
export class ReplySocket extends SocketBase {
  /**
   * The envelope of each accepted request, keyed by its body as handed to the application: requests
   * are received fair-queued, not in arrival order.
   */
  private readonly envelopes = new WeakMap<Uint8Array[], Uint8Array[]>()
  private current: { pipe: Pipe; envelope: Uint8Array[] } | undefined

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("REP", context, options)
  }

  protected xattach(_pipe: Pipe): void {}
  protected xdetach(_pipe: Pipe): void {}

  protected override xaccept(_pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    let end = 0
    while (end < frames.length && frames[end]!.length !== 0) end++
    if (end >= frames.length) return null
    const body = frames.slice(end + 1)
    this.envelopes.set(body, frames.slice(0, end + 1))
    return body
  }

  protected override xreceived(pipe: Pipe | undefined, frames: Uint8Array[]): void {
    this.current = { pipe: pipe!, envelope: this.envelopes.get(frames)! }
    this.flushSends()
  }

  protected override xcanReceive(): boolean {
    return this.current === undefined
  }

  protected override xcanSend(): boolean {
    return this.current !== undefined
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    const { pipe, envelope } = this.current!
    this.current = undefined
    // A reply to a peer that left, or that is full, is dropped, as libzmq's REP does.
    if (pipe.attached && pipe.checkWritable()) pipe.write([...envelope, ...frames])
    this.flushReceives()
    return true
  }

  protected override xwritable(): boolean {
    return this.current !== undefined
  }
}
