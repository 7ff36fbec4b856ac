import type { Engine } from "@zl/engine"
import { Deque } from "./deque.js"
import { limit } from "./options.js"

const EMPTY = new Uint8Array(0)

/** What a pipe tells its socket. Implemented by the socket base; the socket types never see it. */
export interface PipeOwner {
  /** A message from the peer. Returns false when the socket holds too many of this pipe's messages. */
  pipeMessage(pipe: Pipe, frames: Uint8Array[]): boolean
  /** The pipe can take messages again after `writable()` was false. */
  pipeWritable(pipe: Pipe): void
  /** The peer went away for good (an inproc peer closed). */
  pipeTerminated(pipe: Pipe): void
  /** The pipe's high-water marks, read at each check so that option changes apply at once. */
  readonly sendHighWaterMark: number
  readonly receiveHighWaterMark: number
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
  /** Set when `writable()` said no; the next room calls `pipeWritable`. */
  protected blocked = false

  constructor(owner: PipeOwner, endpoint: string) {
    this.owner = owner
    this.endpoint = endpoint
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
  private paused = false

  get connected(): boolean {
    return this.engine !== undefined
  }

  /** Messages queued while no connection is up. */
  get queued(): number {
    return this.queue.length
  }

  /** True when nothing sent is still waiting in this pipe or its connection's buffers. */
  get flushed(): boolean {
    return this.queue.length === 0 && (this.engine === undefined || this.engine.backlog === 0)
  }

  writable(): boolean {
    const hwm = limit(this.owner.sendHighWaterMark)
    const engine = this.engine
    if (engine === undefined) return this.queue.length < hwm
    // Messages merely coalesced for the end of the task do not count: write them first.
    if (engine.backlog >= hwm) engine.flushPending()
    return engine.backlog < hwm
  }

  write(frames: readonly Uint8Array[]): void {
    if (this.engine !== undefined) this.engine.send(frames)
    else this.queue.push(frames)
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
  }

  /** The connection is gone. Messages inside it are lost; the pipe's own queue is kept. */
  detachEngine(): void {
    this.engine = undefined
    this.paused = false
    this.notifyWritable()
  }

  /** Called by the engine handler: a message arrived. */
  receive(frames: Uint8Array[]): boolean {
    const more = this.owner.pipeMessage(this, frames)
    if (!more) this.paused = true
    return more
  }

  /** Called by the engine handler: everything written was taken by the transport. */
  onEngineWritable(): void {
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

  constructor(owner: PipeOwner, endpoint: string, pending = false) {
    super(owner, endpoint)
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
    if (this.early !== undefined) return this.early.length < limit(this.owner.sendHighWaterMark)
    const peer = this.peer
    if (peer === undefined) return false
    return peer.inbound < limit(this.owner.sendHighWaterMark) + limit(peer.owner.receiveHighWaterMark)
  }

  write(frames: readonly Uint8Array[]): void {
    if (this.early !== undefined) {
      this.early.push(frames)
      return
    }
    const peer = this.peer
    if (peer !== undefined) peer.owner.pipeMessage(peer, frames as Uint8Array[])
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
      peer.owner.pipeMessage(peer, frames as Uint8Array[])
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
