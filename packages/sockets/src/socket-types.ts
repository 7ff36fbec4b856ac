import { ZlError } from "@zl/codec"
import type { Context } from "./context.js"
import type { SocketOptions } from "./options.js"
import type { Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"
import { LoadBalancer } from "./strategies.js"
import { PipeTrie, SubscriptionTrie } from "./trie.js"

const EMPTY = new Uint8Array(0)
type Options = Partial<SocketOptions>

/** PAIR (RFC 31): exactly one peer; a second connection is refused. */
export class PairSocket extends SocketBase {
  private pipe: Pipe | undefined

  constructor(context: Context, options?: Options) {
    super("PAIR", context, options)
  }

  protected xattach(pipe: Pipe): void {
    if (this.pipe === undefined) this.pipe = pipe
    else pipe.drop()
  }

  protected xdetach(pipe: Pipe): void {
    if (this.pipe === pipe) this.pipe = undefined
  }

  protected xsend(frames: readonly Uint8Array[]): boolean {
    const pipe = this.pipe
    if (pipe === undefined || !pipe.checkWritable()) return false
    pipe.write(frames)
    return true
  }

  protected xwritable(): boolean {
    return this.pipe?.writable() ?? false
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    return pipe === this.pipe ? frames : null
  }
}

/** Shared by DEALER and PUSH: load-balanced sending. */
abstract class LoadBalancedSocket extends SocketBase {
  protected readonly balancer = new LoadBalancer()

  protected xattach(pipe: Pipe): void {
    this.balancer.add(pipe)
  }

  protected xdetach(pipe: Pipe): void {
    this.balancer.remove(pipe)
  }

  protected xsend(frames: readonly Uint8Array[]): boolean {
    const pipe = this.balancer.pick()
    if (pipe === undefined) return false
    pipe.write(frames)
    return true
  }

  protected xwritable(): boolean {
    return this.balancer.hasRoom()
  }
}

/** DEALER (RFC 28): load-balances what it sends, fair-queues what it receives. */
export class DealerSocket extends LoadBalancedSocket {
  constructor(context: Context, options?: Options) {
    super("DEALER", context, options)
  }
}

/** PUSH (RFC 30): load-balances to its PULL peers; cannot receive. */
export class PushSocket extends LoadBalancedSocket {
  constructor(context: Context, options?: Options) {
    super("PUSH", context, options)
  }

  protected override get receivable(): boolean {
    return false
  }
}

/** PULL (RFC 30): fair-queues from its PUSH peers; cannot send. */
export class PullSocket extends SocketBase {
  constructor(context: Context, options?: Options) {
    super("PULL", context, options)
  }

  protected xattach(_pipe: Pipe): void {}
  protected xdetach(_pipe: Pipe): void {}

  protected xsend(): boolean {
    return false
  }

  protected xwritable(): boolean {
    return false
  }

  protected override get sendable(): boolean {
    return false
  }
}

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

  constructor(context: Context, options?: Options) {
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

/** Routing ids as map keys: one char per octet. */
function idKey(id: Uint8Array): string {
  let key = ""
  for (let i = 0; i < id.length; i++) key += String.fromCharCode(id[i]!)
  return key
}

/**
 * ROUTER (RFC 28): every message received is prefixed with the routing id of the peer it came from;
 * every message sent starts with the routing id of the peer it goes to. Peers are identified by
 * their `Identity`, or the id the connecting side chose, or an id made up here (a zero octet and a
 * 32-bit counter, as libzmq does).
 */
export class RouterSocket extends SocketBase {
  private readonly table = new Map<string, Pipe>()
  private nextId = (Math.random() * 0xffffffff) >>> 0
  /** The last routing id looked up (a copy) and its key: replies to one peer in a row reuse it. */
  private lastId: Uint8Array = EMPTY
  private lastKey = ""

  constructor(context: Context, options?: Options) {
    super("ROUTER", context, options)
  }

  protected xattach(pipe: Pipe): void {
    // libzmq identifies a pipe with a connect routing id as soon as it is attached (`identify_peer`
    // with `locally_initiated_`): messages for it queue before the connection is up.
    if (pipe.connectRoutingId !== undefined && pipe.connectRoutingId.length > 0) {
      this.identify(pipe, pipe.connectRoutingId)
    }
  }

  protected override xconnected(pipe: Pipe): void {
    // A pipe that stayed attached across a reconnect keeps the id it got first; libzmq skips the
    // routing id the peer sends again ("assumes that the peer always uses the same routing id").
    if (pipe.routingKey !== undefined) return
    let id = pipe.connectRoutingId ?? pipe.peerRoutingId
    if (id.length === 0) id = this.makeId()
    this.identify(pipe, id)
  }

  private identify(pipe: Pipe, id: Uint8Array): void {
    const key = idKey(id)
    const holder = this.table.get(key)
    if (holder !== undefined && holder !== pipe) {
      if (!this.options.handover) {
        // libzmq ignores a second peer presenting a routing id already in use.
        pipe.drop()
        return
      }
      this.table.delete(key)
      holder.routingId = EMPTY
      holder.routingKey = undefined
      holder.drop()
    }
    // A copy of its own: the id may view a connection's read buffer, or bytes the application owns.
    // Every message from this peer carries this one copy as its first frame.
    const own = this.context.allocate?.(id.length) ?? new Uint8Array(id.length)
    own.set(id)
    pipe.routingId = own
    pipe.routingKey = key
    this.table.set(key, pipe)
  }

  /**
   * A routing id no peer holds. A peer may present any Identity, also one shaped like ours (a zero
   * octet and four more): ids in use are skipped, so a peer that takes the next one in advance only
   * moves the counter on, instead of getting the next anonymous peer refused as a duplicate.
   */
  private makeId(): Uint8Array {
    const id = new Uint8Array(5)
    do {
      this.nextId = (this.nextId + 1) >>> 0
      const n = this.nextId
      id[1] = n >>> 24
      id[2] = (n >>> 16) & 0xff
      id[3] = (n >>> 8) & 0xff
      id[4] = n & 0xff
    } while (this.table.has(idKey(id)))
    return id
  }

  private forget(pipe: Pipe): void {
    const key = pipe.routingKey
    if (key !== undefined && this.table.get(key) === pipe) this.table.delete(key)
    pipe.routingKey = undefined
  }

  // A connection going away leaves the id alone: a connecting socket's pipe stays attached (messages
  // for the peer queue until it is back), and every other pipe is detached right after.

  protected xdetach(pipe: Pipe): void {
    this.forget(pipe)
  }

  /** The table key of a routing id given with a message. */
  private keyOf(id: Uint8Array): string {
    const last = this.lastId
    if (id.length === last.length && id.length > 0) {
      let i = 0
      while (i < id.length && id[i] === last[i]) i++
      if (i === id.length) return this.lastKey
    }
    this.lastId = new Uint8Array(id)
    this.lastKey = idKey(id)
    return this.lastKey
  }

  protected override xsendTimeoutError(frames: readonly Uint8Array[]): ZlError | null | undefined {
    // A lone routing id frame is taken by libzmq's last attempt, which looks no peer up.
    if (frames.length < 2) return null
    // libzmq fails a mandatory send that found no peer with EHOSTUNREACH, also after a timeout.
    if (!this.options.mandatory || this.table.has(this.keyOf(frames[0]!))) return undefined
    return new ZlError("EHOSTUNREACH", "no peer with that routing id")
  }

  protected xsend(frames: readonly Uint8Array[]): boolean {
    // A lone frame is only a routing id with nothing to route: libzmq consumes it and sends nothing,
    // without looking the peer up (so without EHOSTUNREACH). A mandatory ROUTER with no peer at all
    // first waits for one, as for any message (zeromq polls for POLLOUT first).
    if (frames.length < 2) {
      return !(this.options.mandatory && this.table.size === 0 && this.options.sendTimeout !== 0)
    }
    const pipe = this.table.get(this.keyOf(frames[0]!))
    const mandatory = this.options.mandatory
    if (pipe === undefined) {
      if (!mandatory) return true
      // zeromq leaves a blocking send pending while no peer at all is connected.
      if (this.table.size === 0 && this.options.sendTimeout !== 0) return false
      throw new ZlError("EHOSTUNREACH", "no peer with that routing id")
    }
    if (!pipe.checkWritable()) return !mandatory
    pipe.write(frames.slice(1))
    return true
  }

  protected xwritable(): boolean {
    // Without mandatory a ROUTER always takes a message (it drops what it cannot route), as libzmq's.
    if (!this.options.mandatory) return true
    for (const pipe of this.table.values()) if (pipe.writable()) return true
    return false
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    if (pipe.routingKey === undefined) return null
    const out = new Array<Uint8Array>(frames.length + 1)
    out[0] = pipe.routingId
    for (let i = 0; i < frames.length; i++) out[i + 1] = frames[i]!
    return out
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

  constructor(context: Context, options?: Options) {
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

  protected xsend(frames: readonly Uint8Array[]): boolean {
    const { pipe, envelope } = this.current!
    this.current = undefined
    // A reply to a peer that left, or that is full, is dropped, as libzmq's REP does.
    if (pipe.attached && pipe.checkWritable()) pipe.write([...envelope, ...frames])
    this.flushReceives()
    return true
  }

  protected xwritable(): boolean {
    return this.current !== undefined
  }
}

/** Shared by PUB and XPUB: fan-out to subscribers, subscriptions from peers in a trie. */
abstract class PublisherBase extends SocketBase {
  protected readonly subscriptions = new PipeTrie<Pipe>()
  protected readonly subscribers: Pipe[] = []
  /** Marks the pipes matched by the message being sent, so that each gets it once. */
  private epoch = 0
  /** The pipes matched by the message being sent: the first `matched` entries. */
  private readonly targets: (Pipe | undefined)[] = []
  private matched = 0
  private readonly collect = (pipe: Pipe): void => {
    if (pipe.mark !== this.epoch) {
      pipe.mark = this.epoch
      this.targets[this.matched++] = pipe
    }
  }

  protected xattach(pipe: Pipe): void {
    this.subscribers.push(pipe)
  }

  protected xdetach(pipe: Pipe): void {
    const at = this.subscribers.indexOf(pipe)
    if (at >= 0) this.subscribers.splice(at, 1)
    this.dropSubscriptions(pipe)
  }

  protected override xdisconnected(pipe: Pipe): void {
    // The peer resends its subscriptions when it reconnects.
    this.dropSubscriptions(pipe)
  }

  private dropSubscriptions(pipe: Pipe): void {
    if (this.options.verbosity === "allSubsUnsubs") {
      // libzmq's XPUB_VERBOSER reports every topic of a departed subscriber, not only the topics
      // that lost their last subscriber (`xpub_t::xpipe_terminated`, `call_on_uniq_ = false`).
      for (const topic of this.subscriptions.removePipe(pipe)) this.onLastUnsubscribe(topic)
    } else {
      this.subscriptions.removePipe(pipe, (topic) => this.onLastUnsubscribe(topic))
    }
  }

  /** A topic lost its last subscriber (any subscriber, with `verbosity: "allSubsUnsubs"`). */
  protected onLastUnsubscribe(_topic: Uint8Array): void {}

  /**
   * Applies a subscription message from a peer; returns whether it was one, and whether it changed
   * the topic's state (first subscriber or last one gone).
   */
  protected applySubscription(pipe: Pipe, frames: Uint8Array[]): { subscription: boolean; changed: boolean } {
    const first = frames[0]!
    if (first.length === 0 || (first[0] !== 0 && first[0] !== 1))
      return { subscription: false, changed: false }
    const topic = first.subarray(1)
    const changed =
      first[0] === 1 ? this.subscriptions.add(topic, pipe) : this.subscriptions.remove(topic, pipe)
    return { subscription: true, changed }
  }

  protected xsend(frames: readonly Uint8Array[]): boolean {
    const mark = ++this.epoch
    this.matched = 0
    this.subscriptions.match(frames[0]!, this.collect)
    let targets = this.targets
    let count = this.matched
    if (this.options.invertMatching) {
      targets = this.subscribers.filter((pipe) => pipe.mark !== mark)
      count = targets.length
    }
    let taken = true
    if (this.options.noDrop) {
      for (let i = 0; i < count && taken; i++) if (!targets[i]!.checkWritable()) taken = false
    }
    if (taken) {
      for (let i = 0; i < count; i++) {
        const pipe = targets[i]!
        if (pipe.writable()) pipe.write(frames)
      }
    }
    // The matched pipes are not kept past this message.
    for (let i = 0; i < this.matched; i++) this.targets[i] = undefined
    return taken
  }

  protected xwritable(): boolean {
    return true
  }
}

/** PUB (RFC 29): sends each message to every subscriber of a prefix of it; drops at the high-water mark. */
export class PublisherSocket extends PublisherBase {
  constructor(context: Context, options?: Options) {
    super("PUB", context, options)
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    this.applySubscription(pipe, frames)
    return null
  }

  protected override get receivable(): boolean {
    return false
  }
}

/**
 * XPUB (RFC 29): a PUB that passes subscription messages up: the first subscription to a topic and
 * its last cancellation (every one with `verbosity`), and other messages from subscribers as they are.
 */
export class XPublisherSocket extends PublisherBase {
  constructor(context: Context, options?: Options) {
    super("XPUB", context, options)
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    const { subscription, changed } = this.applySubscription(pipe, frames)
    if (!subscription || changed) return frames
    const subscribe = frames[0]![0] === 1
    const verbosity = this.options.verbosity
    if (subscribe && verbosity !== null) return frames
    if (!subscribe && verbosity === "allSubsUnsubs") return frames
    return null
  }

  /**
   * libzmq's XPUB reads each subscriber's pipe dry when it becomes readable (`xread_activated`) and
   * queues what it finds in one FIFO, with the cancellations of departed subscribers: no fair-queuing.
   */
  protected override get fairQueued(): boolean {
    return false
  }

  protected override onLastUnsubscribe(topic: Uint8Array): void {
    // A departed subscriber's topics are reported as cancellations, as libzmq's XPUB does.
    if (this.closed) return
    const message = new Uint8Array(topic.length + 1)
    message.set(topic, 1)
    this.injectInbound([message])
  }
}

/** Shared by SUB and XSUB: own subscriptions, filtering and their replay to every (re)connected peer. */
abstract class SubscriberBase extends SocketBase {
  protected readonly topics = new SubscriptionTrie()
  protected readonly publishers: Pipe[] = []

  protected xattach(pipe: Pipe): void {
    this.publishers.push(pipe)
  }

  protected xdetach(pipe: Pipe): void {
    const at = this.publishers.indexOf(pipe)
    if (at >= 0) this.publishers.splice(at, 1)
  }

  protected override xconnected(pipe: Pipe): void {
    for (const topic of this.topics.topicsList()) pipe.writeSubscription(topic, true)
  }

  protected override xaccept(_pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    const match = this.topics.matches(frames[0]!)
    return match !== this.options.invertMatching ? frames : null
  }

  /** Adds a subscription and tells every connected peer (libzmq forwards each subscribe). */
  protected addTopic(topic: Uint8Array): void {
    this.topics.add(topic)
    for (const pipe of this.publishers) if (pipe.connected) pipe.writeSubscription(topic, true)
  }

  /** Removes a subscription; peers hear of it when it was the topic's last. */
  protected removeTopic(topic: Uint8Array): void {
    if (!this.topics.remove(topic)) return
    this.dropUnsubscribed()
    for (const pipe of this.publishers) if (pipe.connected) pipe.writeSubscription(topic, false)
  }

  /**
   * libzmq filters when the application reads, so messages of a topic that arrived before its
   * unsubscribe are not delivered after it: drop those still waiting. (With `invertMatching`, an
   * unsubscribe only lets more messages through, and none waiting becomes unwanted.)
   */
  protected dropUnsubscribed(): void {
    if (this.options.invertMatching) return
    this.discardInbound((frames) => !this.topics.matches(frames[0]!))
  }
}

/** SUB (RFC 29): receives what matches its subscriptions; cannot send. */
export class SubscriberSocket extends SubscriberBase {
  constructor(context: Context, options?: Options) {
    // libzmq's subscribers default to linger 0: pending subscriptions are not worth waiting for.
    super("SUB", context, { linger: 0, ...options })
  }

  /** Subscribes to messages starting with `topic` (every message for an empty topic). */
  subscribe(topic: Uint8Array): void {
    this.assertOpen()
    this.addTopic(topic)
  }

  /** Cancels one subscription to `topic`. */
  unsubscribe(topic: Uint8Array): void {
    this.assertOpen()
    this.removeTopic(topic)
  }

  protected xsend(): boolean {
    return false
  }

  protected xwritable(): boolean {
    return false
  }

  protected override get sendable(): boolean {
    return false
  }
}

/**
 * XSUB (RFC 29): subscriptions are messages the application sends (`\x01topic`, `\x00topic`); they
 * go to every publisher as they are, and so does any other message.
 */
export class XSubscriberSocket extends SubscriberBase {
  constructor(context: Context, options?: Options) {
    super("XSUB", context, { linger: 0, ...options })
  }

  protected xsend(frames: readonly Uint8Array[]): boolean {
    const first = frames[0]!
    if (first.length > 0 && first[0] === 1) this.topics.add(first.subarray(1))
    else if (first.length > 0 && first[0] === 0) {
      if (!this.topics.remove(first.subarray(1))) return true
      this.dropUnsubscribed()
    }
    for (const pipe of this.publishers) if (pipe.connected && pipe.writable()) pipe.write(frames)
    return true
  }

  protected xwritable(): boolean {
    return true
  }
}
