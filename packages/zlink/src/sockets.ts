import {
  DealerSocket,
  PairSocket,
  PublisherSocket,
  PullSocket,
  PushSocket,
  ReplySocket,
  RequestSocket,
  RouterSocket,
  SubscriberSocket,
  XPublisherSocket,
  XSubscriberSocket,
} from "@zl/sockets"
import {
  coreOf,
  readOption,
  toBytesOption,
  writeBoolean,
  writeUnsupportedBoolean,
  writeUnsupportedBytes,
} from "./internal.js"
import type { MessageLike } from "./message.js"
import {
  connectRoutingId,
  connectTo,
  defineReadable,
  defineWritable,
  messages,
  type Readable,
  readRoutingId,
  receiveOn,
  Socket,
  type SocketConstructorOptions,
  SocketType,
  sendOn,
  type Writable,
  writeRoutingId,
} from "./socket.js"

const IMMEDIATE = true

/** `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE` with one prefix (null: every message). */
function subscription(socket: Subscriber, prefix: unknown, subscribe: boolean): void {
  const bytes = toBytesOption(socket, prefix, () => true, IMMEDIATE) ?? new Uint8Array(0)
  const core = coreOf(socket) as SubscriberSocket
  if (subscribe) core.subscribe(bytes)
  else core.unsubscribe(bytes)
}

/**
 * PAIR: an exclusive connection to one peer.
 *
 * @example
 * ```ts
 * const a = new Pair(); await a.bind("inproc://x")
 * const b = new Pair(); b.connect("inproc://x")
 * await a.send("hello"); const [msg] = await b.receive()
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Pair extends Socket {
  constructor(options?: SocketConstructorOptions<Pair>) {
    super(SocketType.Pair, (ctx, o) => new PairSocket(ctx, o), options)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Pair extends Writable, Readable {}

/**
 * PUB: sends every message to the subscribers of a prefix of its first frame.
 *
 * @example
 * ```ts
 * const pub = new Publisher(); await pub.bind("tcp://127.0.0.1:*")
 * await pub.send(["weather.paris", "12C"])
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Publisher extends Socket {
  constructor(options?: SocketConstructorOptions<Publisher>) {
    super(SocketType.Publisher, (ctx, o) => new PublisherSocket(ctx, o), options)
  }
  /** `ZMQ_XPUB_NODROP`: wait (or fail with `EAGAIN`) instead of dropping at the high-water mark. */
  get noDrop(): boolean {
    return readOption(this, (s) => s.core.options.noDrop)
  }
  set noDrop(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.noDrop = v
    })
  }
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  get conflate(): boolean {
    return readOption(this, () => false)
  }
  set conflate(value: boolean) {
    writeUnsupportedBoolean(this, "conflate", value)
  }
  /** `ZMQ_INVERT_MATCHING`: send to the subscribers that do not match. */
  get invertMatching(): boolean {
    return readOption(this, (s) => s.core.options.invertMatching)
  }
  set invertMatching(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.invertMatching = v
    })
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
}

export interface Publisher extends Writable {}

/**
 * SUB: receives the messages of its publishers that match its subscriptions.
 *
 * @example
 * ```ts
 * const sub = new Subscriber(); sub.connect(endpoint); sub.subscribe("weather.")
 * for await (const [topic, reading] of sub) console.log(topic.toString(), reading.toString())
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Subscriber extends Socket {
  constructor(options?: SocketConstructorOptions<Subscriber>) {
    super(SocketType.Subscriber, (ctx, o) => new SubscriberSocket(ctx, o), options)
  }
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  get conflate(): boolean {
    return readOption(this, () => false)
  }
  set conflate(value: boolean) {
    writeUnsupportedBoolean(this, "conflate", value)
  }
  /** `ZMQ_INVERT_MATCHING`: receive the messages that do not match. */
  get invertMatching(): boolean {
    return readOption(this, (s) => s.core.options.invertMatching)
  }
  set invertMatching(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.invertMatching = v
    })
  }
  /** Subscribes to each prefix; with none, to every message. */
  subscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) subscription(this, null, true)
    for (const prefix of prefixes) subscription(this, prefix, true)
  }
  /** Cancels one subscription to each prefix; with none, the subscription to every message. */
  unsubscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) subscription(this, null, false)
    for (const prefix of prefixes) subscription(this, prefix, false)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Subscriber extends Readable {}

/**
 * REQ: sends a request and receives its reply, strictly in turn.
 *
 * @example
 * ```ts
 * const req = new Request(); req.connect(endpoint)
 * await req.send("ping"); const [reply] = await req.receive()
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Request extends Socket {
  constructor(options?: SocketConstructorOptions<Request>) {
    super(SocketType.Request, (ctx, o) => new RequestSocket(ctx, o), options)
  }
  /** `ZMQ_ROUTING_ID`. */
  get routingId(): string | null {
    return readRoutingId(this)
  }
  set routingId(value: string | null) {
    writeRoutingId(this, value)
  }
  /** `ZMQ_PROBE_ROUTER`: not supported yet; only false is accepted. */
  get probeRouter(): boolean {
    return readOption(this, () => false)
  }
  set probeRouter(value: boolean) {
    writeUnsupportedBoolean(this, "probeRouter", value, IMMEDIATE)
  }
  /** `ZMQ_REQ_CORRELATE`: not supported yet; only false is accepted. */
  get correlate(): boolean {
    return readOption(this, () => false)
  }
  set correlate(value: boolean) {
    writeUnsupportedBoolean(this, "correlate", value, IMMEDIATE)
  }
  /** `ZMQ_REQ_RELAXED`: not supported yet; only false is accepted. */
  get relaxed(): boolean {
    return readOption(this, () => false)
  }
  set relaxed(value: boolean) {
    writeUnsupportedBoolean(this, "relaxed", value, IMMEDIATE)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Request extends Readable, Writable {}

/**
 * REP: receives a request and sends its reply, strictly in turn.
 *
 * @example
 * ```ts
 * const rep = new Reply(); await rep.bind("tcp://127.0.0.1:*")
 * for await (const [request] of rep) await rep.send(request)
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Reply extends Socket {
  constructor(options?: SocketConstructorOptions<Reply>) {
    super(SocketType.Reply, (ctx, o) => new ReplySocket(ctx, o), options)
  }
  /** `ZMQ_ROUTING_ID`. */
  get routingId(): string | null {
    return readRoutingId(this)
  }
  set routingId(value: string | null) {
    writeRoutingId(this, value)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Reply extends Readable, Writable {}

/**
 * DEALER: load-balances what it sends and fair-queues what it receives, with no envelope.
 *
 * @example
 * ```ts
 * const dealer = new Dealer({ routingId: "worker-1" }); dealer.connect(endpoint)
 * await dealer.send(["", "job"])
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Dealer extends Socket {
  constructor(options?: SocketConstructorOptions<Dealer>) {
    super(SocketType.Dealer, (ctx, o) => new DealerSocket(ctx, o), options)
  }
  /** `ZMQ_ROUTING_ID`. */
  get routingId(): string | null {
    return readRoutingId(this)
  }
  set routingId(value: string | null) {
    writeRoutingId(this, value)
  }
  /** `ZMQ_PROBE_ROUTER`: not supported yet; only false is accepted. */
  get probeRouter(): boolean {
    return readOption(this, () => false)
  }
  set probeRouter(value: boolean) {
    writeUnsupportedBoolean(this, "probeRouter", value, IMMEDIATE)
  }
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  get conflate(): boolean {
    return readOption(this, () => false)
  }
  set conflate(value: boolean) {
    writeUnsupportedBoolean(this, "conflate", value)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Dealer extends Readable, Writable {}

/** Options of `Router.connect`. */
export interface RouterConnectOptions {
  /** The routing id this ROUTER will address the peer by (`ZMQ_CONNECT_ROUTING_ID`). */
  routingId?: string
}

/**
 * ROUTER: messages carry the peer's routing id as their first frame, in both directions.
 *
 * @example
 * ```ts
 * const router = new Router(); await router.bind("tcp://127.0.0.1:*")
 * for await (const [id, ...frames] of router) await router.send([id, ...frames])
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Router extends Socket {
  constructor(options?: SocketConstructorOptions<Router>) {
    super(SocketType.Router, (ctx, o) => new RouterSocket(ctx, o), options)
  }
  /** `ZMQ_ROUTING_ID`. */
  get routingId(): string | null {
    return readRoutingId(this)
  }
  set routingId(value: string | null) {
    writeRoutingId(this, value)
  }
  /** `ZMQ_ROUTER_MANDATORY`: fail sends to unknown peers with `EHOSTUNREACH` instead of dropping them. */
  get mandatory(): boolean {
    return readOption(this, (s) => s.core.options.mandatory)
  }
  set mandatory(value: boolean) {
    writeBoolean(
      this,
      value,
      (s, v) => {
        s.core.options.mandatory = v
      },
      IMMEDIATE,
    )
  }
  /** `ZMQ_ROUTER_HANDOVER`: a new peer with a routing id in use takes it over. */
  get handover(): boolean {
    return readOption(this, (s) => s.core.options.handover)
  }
  set handover(value: boolean) {
    writeBoolean(
      this,
      value,
      (s, v) => {
        s.core.options.handover = v
      },
      IMMEDIATE,
    )
  }
  /** `ZMQ_PROBE_ROUTER`: not supported yet; only false is accepted. */
  get probeRouter(): boolean {
    return readOption(this, () => false)
  }
  set probeRouter(value: boolean) {
    writeUnsupportedBoolean(this, "probeRouter", value, IMMEDIATE)
  }
  /**
   * Connects, optionally choosing the routing id of the peer (`ZMQ_CONNECT_ROUTING_ID`; as with
   * zeromq, giving one after an earlier bind or connect warns that the option applies from the next
   * connect, which this is).
   */
  override connect(address: string, options: RouterConnectOptions = {}): void {
    const routingId = options.routingId ? connectRoutingId(this, options.routingId) : undefined
    connectTo(this, address, routingId)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message, true)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Router extends Readable, Writable {}

/**
 * PULL: fair-queues messages from its PUSH peers.
 *
 * @example
 * ```ts
 * const pull = new Pull(); await pull.bind("ipc:///tmp/jobs")
 * for await (const [job] of pull) handle(job)
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Pull extends Socket {
  constructor(options?: SocketConstructorOptions<Pull>) {
    super(SocketType.Pull, (ctx, o) => new PullSocket(ctx, o), options)
  }
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  get conflate(): boolean {
    return readOption(this, () => false)
  }
  set conflate(value: boolean) {
    writeUnsupportedBoolean(this, "conflate", value)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface Pull extends Readable {}

/**
 * PUSH: load-balances messages to its PULL peers.
 *
 * @example
 * ```ts
 * const push = new Push(); push.connect("ipc:///tmp/jobs")
 * await push.send("job")
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class Push extends Socket {
  constructor(options?: SocketConstructorOptions<Push>) {
    super(SocketType.Push, (ctx, o) => new PushSocket(ctx, o), options)
  }
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  get conflate(): boolean {
    return readOption(this, () => false)
  }
  set conflate(value: boolean) {
    writeUnsupportedBoolean(this, "conflate", value)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
}

export interface Push extends Writable {}

/**
 * XPUB: a publisher that receives its subscribers' subscriptions as messages (`\x01topic`,
 * `\x00topic`).
 *
 * @example
 * ```ts
 * const xpub = new XPublisher(); await xpub.bind("tcp://127.0.0.1:*")
 * const [subscription] = await xpub.receive() // <01 ...topic>
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class XPublisher extends Socket {
  constructor(options?: SocketConstructorOptions<XPublisher>) {
    super(SocketType.XPublisher, (ctx, o) => new XPublisherSocket(ctx, o), options)
  }
  /** `ZMQ_XPUB_NODROP`. */
  get noDrop(): boolean {
    return readOption(this, (s) => s.core.options.noDrop)
  }
  set noDrop(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.noDrop = v
    })
  }
  /** `ZMQ_XPUB_MANUAL`: not supported yet; only false is accepted. */
  get manual(): boolean {
    return readOption(this, () => false)
  }
  set manual(value: boolean) {
    writeUnsupportedBoolean(this, "manual", value)
  }
  /** `ZMQ_XPUB_WELCOME_MSG`: not supported yet; only null is accepted. */
  get welcomeMessage(): string | null {
    return readOption(this, () => null)
  }
  set welcomeMessage(value: string | null) {
    writeUnsupportedBytes(this, "welcomeMessage", value)
  }
  /** `ZMQ_INVERT_MATCHING`. */
  get invertMatching(): boolean {
    return readOption(this, (s) => s.core.options.invertMatching)
  }
  set invertMatching(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.invertMatching = v
    })
  }
  /** `ZMQ_XPUB_VERBOSE` ("allSubs") and `ZMQ_XPUB_VERBOSER` ("allSubsUnsubs"). */
  get verbosity(): null | "allSubs" | "allSubsUnsubs" {
    return readOption(this, (s) => s.core.options.verbosity)
  }
  /** As zeromq, any other value is ignored. */
  set verbosity(value: null | "allSubs" | "allSubsUnsubs") {
    if (value !== null && value !== "allSubs" && value !== "allSubsUnsubs") return
    writeBoolean(
      this,
      true,
      (s) => {
        s.core.options.verbosity = value
      },
      IMMEDIATE,
    )
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface XPublisher extends Readable, Writable {}

/**
 * XSUB: a subscriber whose subscriptions are messages it sends (`\x01topic`, `\x00topic`).
 *
 * @example
 * ```ts
 * const xsub = new XSubscriber(); xsub.connect(endpoint)
 * await xsub.send(Buffer.from("\x01weather."))
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that defineWritable/defineReadable install on the prototype, as zeromq declares them.
export class XSubscriber extends Socket {
  constructor(options?: SocketConstructorOptions<XSubscriber>) {
    super(SocketType.XSubscriber, (ctx, o) => new XSubscriberSocket(ctx, o), options)
  }
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

export interface XSubscriber extends Readable, Writable {}

defineWritable([Pair, Publisher, Request, Reply, Dealer, Router, Push, XPublisher, XSubscriber])
defineReadable([Pair, Subscriber, Request, Reply, Dealer, Router, Pull, XPublisher, XSubscriber])
