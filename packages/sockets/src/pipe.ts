import type { Engine } from "@zl/engine"
import { Deque } from "./deque.js"
import { limit } from "./options.js"

const EMPTY = new Uint8Array(0)

/** What a pipe tells its socket. Implemented by the socket base; the socket types never see it. */
export interface PipeOwner {
  /** A message from the peer. Returns false when the socket holds too many of this pipe's messages. */
  pipeMessage(pipe: Pipe, frames: Uint8Array[]): boolean
  /** A message from the peer over a conflating pipe: it replaces what the socket holds of that pipe. */
  pipeConflated(pipe: Pipe, frames: Uint8Array[]): void
  /** The pipe can take messages again after `writable()` was false. */
  pipeWritable(pipe: Pipe): void
  /** The peer went away for good (an inproc peer closed). */
  pipeTerminated(pipe: Pipe): void
  /** The pipe's high-water marks, read at each check so that option changes apply at once. */
  readonly sendHighWaterMark: number
  readonly receiveHighWaterMark: number
  /** Whether pipes made now conflate (`ZMQ_CONFLATE` on a type where it takes effect). */
  readonly conflating: boolean
}

/**
 * What a conflating pipe keeps of a message. libzmq's conflating pipe (`ypipe_conflate_t`) holds one
 * message part, each part written replacing the last: of a multipart message only its last part
 * remains, and it arrives as a message of its own.
 */
export function conflated(frames: readonly Uint8Array[]): Uint8Array[] {
  return frames.length === 1 ? (frames as Uint8Array[]) : [frames[frames.length - 1]!]
}

/**
 * `ZMQ_PROBE_ROUTER`: an empty message written to a pipe as its socket attaches it, so that a ROUTER
 * peer learns this peer's routing id before anything else is sent. As libzmq, once per pipe: a
 * connecting socket's pipe is made once and kept across reconnects (with `immediate`, each connection
 * has a pipe of its own), and the probe waits in the pipe until the connection is up.
 */
export function sendProbe(pipe: Pipe): void {
  pipe.write([EMPTY])
}

let nextPipeId = 1

/**
 * One peer of a socket: a connection's session or an inproc link. The socket routes messages to pipes
 * and counts, per pipe, the messages it holds for the application (`inbound`), which bounds reading.
 */
export abstract class Pipe {
  readonly id = nextPipeId++
  /** The endpoint this pipe belongs to, as monitor events name it. */
  readonly endpoint: string
  /** The peer's `Identity`, empty when it presented none. */
  peerRoutingId: Uint8Array = EMPTY
  /** The peer's socket type. */
  peerSocketType = ""
  /** The routing id ROUTER addresses this pipe by; set by the socket. */
  routingId: Uint8Array = EMPTY
  /** ROUTER's table key for `routingId` while this pipe holds it; undefined otherwise. */
  routingKey: string | undefined
  /** A routing id chosen by the connecting side (`Router.connect(address, { routingId })`). */
  connectRoutingId: Uint8Array | undefined
  /** Messages of this pipe the socket holds and the application has not received yet. */
  inbound = 0
  /** Used by fan-out to visit each pipe once per message. */
  mark = 0
  /** True once the socket type attached it. */
  attached = false
  protected readonly owner: PipeOwner
  /**
   * `ZMQ_CONFLATE`: only the newest message waits, each way, and no high-water mark applies, as
   * libzmq's conflating pipes (made with both marks unlimited). Fixed when the pipe is made.
   */
  readonly conflate: boolean
  /** Set when `writable()` said no; the next room calls `pipeWritable`. */
  protected blocked = false

  constructor(owner: PipeOwner, endpoint: string, conflate = owner.conflating) {
    this.owner = owner
    this.endpoint = endpoint
    this.conflate = conflate
  }

  /** True when messages written now go to the peer at once (not queued for a future connection). */
  abstract get connected(): boolean
  /** Whether a message written now stays within the send high-water mark. */
  abstract writable(): boolean
  /** Sends a message. The frames are taken by reference. */
  abstract write(frames: readonly Uint8Array[]): void
  /** Sends a subscription or cancellation, in the form the peer understands. Only while connected. */
  abstract writeSubscription(topic: Uint8Array, subscribe: boolean): void
  /** The application took one of this pipe's messages. */
  abstract dequeued(): void
  /** Drops the peer: closes the connection with a protocol error, or unlinks inproc. */
  abstract drop(): void

  /** Marks the pipe blocked when it is not writable, so that room is reported later. */
  checkWritable(): boolean {
    if (this.writable()) return true
    this.blocked = true
    return false
  }

  protected notifyWritable(): void {
    if (this.blocked && this.writable()) {
      this.blocked = false
      this.owner.pipeWritable(this)
    }
  }
}

/**
 * A pipe over ZMTP connections. A connecting socket's pipe outlives its connections: while none is up,
 * messages queue here up to the high-water mark and go out after the next handshake, as libzmq does.
 */
export class SessionPipe extends Pipe {
  private engine: Engine | undefined
  private readonly queue = new Deque<readonly Uint8Array[]>()
  /** A conflating pipe's one message the transport has not taken yet. */
  private newest: readonly Uint8Array[] | undefined = undefined
  private paused = false

  get connected(): boolean {
    return this.engine !== undefined
  }

  /** Messages queued while no connection is up. */
  get queued(): number {
    return this.queue.length + (this.newest === undefined ? 0 : 1)
  }

  /** True when nothing sent is still waiting in this pipe or its connection's buffers. */
  get flushed(): boolean {
    return (
      this.queue.length === 0 &&
      this.newest === undefined &&
      (this.engine === undefined || this.engine.backlog === 0)
    )
  }

  writable(): boolean {
    if (this.conflate) return true
    const hwm = limit(this.owner.sendHighWaterMark)
    const engine = this.engine
    if (engine === undefined) return this.queue.length < hwm
    // Messages merely coalesced for the end of the task do not count: write them first.
    if (engine.backlog >= hwm) engine.flushPending()
    return engine.backlog < hwm
  }

  write(frames: readonly Uint8Array[]): void {
    if (this.conflate) this.writeConflated(frames)
    else if (this.engine !== undefined) this.engine.send(frames)
    else this.queue.push(frames)
  }

  /**
   * A conflating pipe hands a message to the connection while the transport takes everything (as
   * libzmq's I/O thread pulls from the pipe while it can write); otherwise, and while no connection
   * is up, the message waits in the pipe's one slot, replacing the one there.
   */
  private writeConflated(frames: readonly Uint8Array[]): void {
    const message = conflated(frames)
    const engine = this.engine
    if (engine !== undefined && this.newest === undefined) {
      if (engine.backlog > 0) engine.flushPending()
      if (engine.backlog === 0) {
        engine.send(message)
        return
      }
    }
    this.newest = message
  }

  /** The slot's message goes out once the transport took everything before it. */
  private sendNewest(): void {
    const message = this.newest
    const engine = this.engine
    if (message === undefined || engine === undefined || engine.backlog > 0) return
    this.newest = undefined
    engine.send(message)
  }

  writeSubscription(topic: Uint8Array, subscribe: boolean): void {
    this.engine?.sendSubscription(topic, subscribe)
  }

  /** A connection completed its handshake: queued messages go out through it. */
  attachEngine(engine: Engine): void {
    this.paused = false
    // The engine becomes visible only once the queue is drained: `engine.send` may report room at
    // once (onWritable), and a send waiting for room must not overtake the queued messages. While
    // draining, such a send joins the queue behind them.
    while (this.queue.length > 0) engine.send(this.queue.shift()!)
    this.engine = engine
    this.sendNewest()
  }

  /** The connection is gone. Messages inside it are lost; the pipe's own queue is kept. */
  detachEngine(): void {
    this.engine = undefined
    this.paused = false
    this.notifyWritable()
  }

  /** Called by the engine handler: a message arrived. */
  receive(frames: Uint8Array[]): boolean {
    if (this.conflate) {
      // No receive high-water mark: a conflating pipe never stops reading.
      this.owner.pipeConflated(this, frames)
      return true
    }
    const more = this.owner.pipeMessage(this, frames)
    if (!more) this.paused = true
    return more
  }

  /** Called by the engine handler: everything written was taken by the transport. */
  onEngineWritable(): void {
    if (this.newest !== undefined) this.sendNewest()
    this.notifyWritable()
  }

  dequeued(): void {
    this.inbound--
    if (this.paused && this.inbound <= limit(this.owner.receiveHighWaterMark) / 2) {
      this.paused = false
      this.engine?.resumeInput()
    }
  }

  drop(): void {
    this.engine?.destroy()
  }

  /** Discards queued messages (close with linger 0). */
  discard(): void {
    this.queue.clear()
    this.newest = undefined
  }
}

/**
 * One side of an inproc link: messages go straight into the peer socket, by reference, with no
 * engine and no copy. The link holds at most the sum of the sender's send and the receiver's receive
 * high-water marks, as libzmq's inproc pipes do.
 *
 * A socket that connects before the name is bound gets its side at once, as in libzmq: until the
 * binder appears, messages queue in the pipe up to the send high-water mark and go over when linked.
 */
export class InprocPipe extends Pipe {
  peer: InprocPipe | undefined
  private linked: boolean
  /** Messages written before the binder appeared; undefined once linked (or never pending). */
  private early: Deque<readonly Uint8Array[]> | undefined

  /** `conflate`: both sides of a link conflate as the connecting socket says, as in libzmq. */
  constructor(owner: PipeOwner, endpoint: string, pending = false, conflate = owner.conflating) {
    super(owner, endpoint, conflate)
    this.linked = !pending
    this.early = pending ? new Deque() : undefined
  }

  get connected(): boolean {
    return this.linked
  }

  /** True while this side waits for its binder (connect before bind). */
  get pending(): boolean {
    return this.early !== undefined
  }

  writable(): boolean {
    if (this.conflate) return this.early !== undefined || this.peer !== undefined
    if (this.early !== undefined) return this.early.length < limit(this.owner.sendHighWaterMark)
    const peer = this.peer
    if (peer === undefined) return false
    return peer.inbound < limit(this.owner.sendHighWaterMark) + limit(peer.owner.receiveHighWaterMark)
  }

  write(frames: readonly Uint8Array[]): void {
    if (this.early !== undefined) {
      if (this.conflate) this.early.clear()
      this.early.push(this.conflate ? conflated(frames) : frames)
      return
    }
    const peer = this.peer
    if (peer === undefined) return
    if (this.conflate) peer.owner.pipeConflated(peer, frames as Uint8Array[])
    else peer.owner.pipeMessage(peer, frames as Uint8Array[])
  }

  writeSubscription(topic: Uint8Array, subscribe: boolean): void {
    const message = new Uint8Array(topic.length + 1)
    message[0] = subscribe ? 1 : 0
    message.set(topic, 1)
    this.write([message])
  }

  dequeued(): void {
    this.inbound--
    this.peer?.notifyWritable()
  }

  /**
   * Joins `peer` (both sides become connected). What this side queued while pending is kept until
   * {@link deliverEarly}, so that the sockets can attach both sides first.
   */
  link(peer: InprocPipe): void {
    this.peer = peer
    peer.peer = this
    this.linked = true
    peer.linked = true
  }

  /** Hands what was written before the link to the peer, in order. */
  deliverEarly(): void {
    const early = this.early
    this.early = undefined
    if (early === undefined) return
    for (let frames = early.shift(); frames !== undefined; frames = early.shift()) {
      const peer = this.peer
      if (peer === undefined) return
      if (this.conflate) peer.owner.pipeConflated(peer, frames as Uint8Array[])
      else peer.owner.pipeMessage(peer, frames as Uint8Array[])
    }
    this.notifyWritable()
  }

  /** Drops the peer: cuts the link, and this side leaves its socket too. */
  drop(): void {
    this.unlink()
    if (this.attached) this.owner.pipeTerminated(this)
  }

  /** Cuts the link; both sides stop being connected and the peer's socket forgets its side. */
  unlink(): void {
    this.linked = false
    this.early = undefined
    const peer = this.peer
    this.peer = undefined
    if (peer !== undefined && peer.peer === this) {
      peer.peer = undefined
      peer.linked = false
      peer.owner.pipeTerminated(peer)
    }
  }
}
