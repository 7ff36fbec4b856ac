import type { Context } from "./context.js"
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
 */
export class XPublisherSocket extends PublisherBase {
  constructor(context: Context, options?: Partial<SocketOptions>) {
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
