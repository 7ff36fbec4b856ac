import type { Context } from "./context.js"
import { Deque } from "./deque.js"
import type { SocketOptions } from "./options.js"
import type { Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"
import { PipeTrie, SubscriptionTrie } from "./trie.js"

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

  protected dropSubscriptions(pipe: Pipe): void {
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

  protected override xsend(frames: readonly Uint8Array[]): boolean {
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

  protected override xwritable(): boolean {
    return true
  }
}

/** PUB (RFC 29): sends each message to every subscriber of a prefix of it; drops at the high-water mark. */
export class PublisherSocket extends PublisherBase {
  constructor(context: Context, options?: Partial<SocketOptions>) {
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
 * With `manual`, every subscription and cancellation is passed up and none is applied: the
 * application applies them with {@link subscribeLast}, as libzmq 4.3.5's `xpub_t` with
 * `ZMQ_XPUB_MANUAL`. With `welcomeMessage`, each subscriber gets that message first.
 */
export class XPublisherSocket extends PublisherBase {
  /** Manual mode: what each subscriber asked for, to report as cancellations when it leaves. */
  private readonly requested = new PipeTrie<Pipe>()
  /**
   * Manual mode: the subscriber of each subscription message passed up, in order (undefined for a
   * cancellation the socket made itself). As libzmq's `_pending_pipes`, one is taken for every
   * message the application receives, a subscriber's other messages included.
   */
  private readonly pendingPipes = new Deque<Pipe | undefined>()
  /** Manual mode: the subscriber of the last subscription message received, which `subscribeLast` applies to. */
  private lastPipe: Pipe | undefined

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("XPUB", context, options)
  }

  /**
   * Manual mode (`ZMQ_SUBSCRIBE` set on libzmq's XPUB): subscribes the subscriber the last
   * subscription message received came from to `topic`. Nothing happens when there is none (it
   * left, or no subscription was received yet).
   */
  subscribeLast(topic: Uint8Array): void {
    this.assertOpen()
    if (this.options.manual && this.lastPipe !== undefined) this.subscriptions.add(topic, this.lastPipe)
  }

  /** Manual mode (`ZMQ_UNSUBSCRIBE` on libzmq's XPUB): the cancellation for that subscriber. */
  unsubscribeLast(topic: Uint8Array): void {
    this.assertOpen()
    if (this.options.manual && this.lastPipe !== undefined) this.subscriptions.remove(topic, this.lastPipe)
  }

  protected override xattach(pipe: Pipe): void {
    super.xattach(pipe)
    const welcome = this.options.welcomeMessage
    if (welcome !== null && welcome.length > 0) pipe.write([welcome.slice()])
  }

  protected override xdetach(pipe: Pipe): void {
    super.xdetach(pipe)
    if (this.lastPipe === pipe) this.lastPipe = undefined
  }

  protected override xdisconnected(pipe: Pipe): void {
    // In manual mode, libzmq's XPUB keeps a reconnecting subscriber's pipe and what was applied for
    // it, and reports nothing: the subscriber sends its subscriptions again, passed up again.
    if (!this.options.manual) super.xdisconnected(pipe)
  }

  protected override dropSubscriptions(pipe: Pipe): void {
    if (!this.options.manual) {
      this.requested.removePipe(pipe)
      super.dropSubscriptions(pipe)
      return
    }
    // libzmq reports every topic the subscriber asked for, and drops what the application applied
    // for it without a word.
    this.subscriptions.removePipe(pipe)
    for (const topic of this.requested.removePipe(pipe)) this.onLastUnsubscribe(topic)
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    if (this.options.manual) return this.acceptManual(pipe, frames)
    const { subscription, changed } = this.applySubscription(pipe, frames)
    if (!subscription || changed) return frames
    const subscribe = frames[0]![0] === 1
    const verbosity = this.options.verbosity
    if (subscribe && verbosity !== null) return frames
    if (!subscribe && verbosity === "allSubsUnsubs") return frames
    return null
  }

  private acceptManual(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] {
    const first = frames[0]!
    if (first.length > 0 && (first[0] === 0 || first[0] === 1)) {
      const topic = first.subarray(1)
      if (first[0] === 1) this.requested.add(topic, pipe)
      else this.requested.remove(topic, pipe)
      this.pendingPipes.push(pipe)
    }
    return frames
  }

  protected override xreceived(): void {
    if (!this.options.manual || this.pendingPipes.length === 0) return
    const pipe = this.pendingPipes.shift()
    this.lastPipe = pipe?.attached ? pipe : undefined
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
    if (this.options.manual) {
      this.lastPipe = undefined
      this.pendingPipes.push(undefined)
    }
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
  constructor(context: Context, options?: Partial<SocketOptions>) {
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

  protected override get sendable(): boolean {
    return false
  }
}

/**
 * XSUB (RFC 29): subscriptions are messages the application sends (`\x01topic`, `\x00topic`); they
 * go to every publisher as they are, and so does any other message.
 */
export class XSubscriberSocket extends SubscriberBase {
  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("XSUB", context, { linger: 0, ...options })
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    const first = frames[0]!
    if (first.length > 0 && first[0] === 1) this.topics.add(first.subarray(1))
    else if (first.length > 0 && first[0] === 0) {
      if (!this.topics.remove(first.subarray(1))) return true
      this.dropUnsubscribed()
    }
    for (const pipe of this.publishers) if (pipe.connected && pipe.writable()) pipe.write(frames)
    return true
  }

  protected override xwritable(): boolean {
    return true
  }
}
