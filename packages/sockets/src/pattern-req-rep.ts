import type { Context } from "./context.js"
import { LoadBalancedSocket } from "./load-balanced-socket.js"
import type { SocketOptions } from "./options.js"
import type { Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"

const EMPTY = new Uint8Array(0)

/**
 * REQ (RFC 28): strict request-reply. A request goes to the next peer with an empty delimiter frame
 * before it; only that peer's reply is accepted; the next request waits until the reply was received.
 */
export class RequestSocket extends LoadBalancedSocket {
  private replyPipe: Pipe | undefined
  /** A request is out and its reply has not been received by the application. */
  private busy = false
  /** The reply arrived; later messages are dropped until the next request. */
  private answered = false

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("REQ", context, options)
  }

  protected override xcanSend(): boolean {
    return !this.busy
  }

  protected override xcanReceive(): boolean {
    return this.busy
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    const pipe = this.balancer.pick()
    if (pipe === undefined) return false
    pipe.write([EMPTY, ...frames])
    this.replyPipe = pipe
    this.busy = true
    this.answered = false
    return true
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    if (!this.busy || this.answered || pipe !== this.replyPipe) return null
    if (frames.length < 2 || frames[0]!.length !== 0) {
      // A reply without the empty delimiter breaks the protocol: libzmq drops the connection.
      pipe.drop()
      return null
    }
    this.answered = true
    return frames.slice(1)
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
