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
import { type SocketTypeEntry, socketTypes } from "./internal.js"
import type { MessageLike } from "./message.js"
import {
  conflateOptions,
  defineOptions,
  invertOptions,
  noDropOptions,
  type Options,
  probeOptions,
  requestOptions,
  routerOptions,
  routingIdOptions,
  setByNumber,
  socketHost,
  subscriberNumberedOptions,
  xpublisherNumberedOptions,
  xpublisherOptions,
} from "./options.js"
import {
  connectRoutingId,
  connectTo,
  DuplexSocket,
  type Readable,
  ReceivingSocket,
  SendingSocket,
  type SocketConstructorOptions,
  SocketType,
  sendOn,
  type Writable,
} from "./socket.js"

const ZMQ_SUBSCRIBE = 6
const ZMQ_UNSUBSCRIBE = 7

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
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class Pair extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<Pair>) {
    super(SocketType.Pair, options)
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
export class Publisher extends SendingSocket {
  constructor(options?: SocketConstructorOptions<Publisher>) {
    super(SocketType.Publisher, options)
  }
}

export interface Publisher
  extends Writable,
    Options<typeof noDropOptions & typeof conflateOptions & typeof invertOptions> {}

/**
 * SUB: receives the messages of its publishers that match its subscriptions.
 *
 * @example
 * ```ts
 * const sub = new Subscriber(); sub.connect(endpoint); sub.subscribe("weather.")
 * for await (const [topic, reading] of sub) console.log(topic.toString(), reading.toString())
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class Subscriber extends ReceivingSocket {
  constructor(options?: SocketConstructorOptions<Subscriber>) {
    super(SocketType.Subscriber, options)
  }
  /** Subscribes to each prefix; with none, to every message. */
  subscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) setByNumber(socketHost, this, "String", [ZMQ_SUBSCRIBE, null])
    for (const prefix of prefixes) setByNumber(socketHost, this, "String", [ZMQ_SUBSCRIBE, prefix])
  }
  /** Cancels one subscription to each prefix; with none, the subscription to every message. */
  unsubscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) setByNumber(socketHost, this, "String", [ZMQ_UNSUBSCRIBE, null])
    for (const prefix of prefixes) setByNumber(socketHost, this, "String", [ZMQ_UNSUBSCRIBE, prefix])
  }
}

export interface Subscriber extends Readable, Options<typeof conflateOptions & typeof invertOptions> {}

/**
 * REQ: sends a request and receives its reply, strictly in turn.
 *
 * @example
 * ```ts
 * const req = new Request(); req.connect(endpoint)
 * await req.send("ping"); const [reply] = await req.receive()
 * ```
 */
export class Request extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<Request>) {
    super(SocketType.Request, options)
  }
}

export interface Request
  extends Readable,
    Writable,
    Options<typeof routingIdOptions & typeof probeOptions & typeof requestOptions> {}

/**
 * REP: receives a request and sends its reply, strictly in turn.
 *
 * @example
 * ```ts
 * const rep = new Reply(); await rep.bind("tcp://127.0.0.1:*")
 * for await (const [request] of rep) await rep.send(request)
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class Reply extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<Reply>) {
    super(SocketType.Reply, options)
  }
}

export interface Reply extends Readable, Writable, Options<typeof routingIdOptions> {}

/**
 * DEALER: load-balances what it sends and fair-queues what it receives, with no envelope.
 *
 * @example
 * ```ts
 * const dealer = new Dealer({ routingId: "worker-1" }); dealer.connect(endpoint)
 * await dealer.send(["", "job"])
 * ```
 */
export class Dealer extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<Dealer>) {
    super(SocketType.Dealer, options)
  }
}

export interface Dealer
  extends Readable,
    Writable,
    Options<typeof routingIdOptions & typeof probeOptions & typeof conflateOptions> {}

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
export class Router extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<Router>) {
    super(SocketType.Router, options)
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
  override send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message, true)
  }
}

export interface Router
  extends Readable,
    Writable,
    Options<typeof routingIdOptions & typeof routerOptions & typeof probeOptions> {}

/**
 * PULL: fair-queues messages from its PUSH peers.
 *
 * @example
 * ```ts
 * const pull = new Pull(); await pull.bind("ipc:///tmp/jobs")
 * for await (const [job] of pull) handle(job)
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class Pull extends ReceivingSocket {
  constructor(options?: SocketConstructorOptions<Pull>) {
    super(SocketType.Pull, options)
  }
}

export interface Pull extends Readable, Options<typeof conflateOptions> {}

/**
 * PUSH: load-balances messages to its PULL peers.
 *
 * @example
 * ```ts
 * const push = new Push(); push.connect("ipc:///tmp/jobs")
 * await push.send("job")
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class Push extends SendingSocket {
  constructor(options?: SocketConstructorOptions<Push>) {
    super(SocketType.Push, options)
  }
}

export interface Push extends Writable, Options<typeof conflateOptions> {}

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
export class XPublisher extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<XPublisher>) {
    super(SocketType.XPublisher, options)
  }
}

export interface XPublisher
  extends Readable,
    Writable,
    Options<typeof noDropOptions & typeof xpublisherOptions & typeof invertOptions> {}

/**
 * XSUB: a subscriber whose subscriptions are messages it sends (`\x01topic`, `\x00topic`).
 *
 * @example
 * ```ts
 * const xsub = new XSubscriber(); xsub.connect(endpoint)
 * await xsub.send(Buffer.from("\x01weather."))
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the option tables install on the prototype.
export class XSubscriber extends DuplexSocket {
  constructor(options?: SocketConstructorOptions<XSubscriber>) {
    super(SocketType.XSubscriber, options)
  }
}

export interface XSubscriber extends Readable, Writable {}

defineOptions([Request, Reply, Dealer, Router], routingIdOptions, socketHost)
defineOptions([Publisher, Subscriber, Push, Pull, Dealer], conflateOptions, socketHost)
defineOptions([Request, Dealer, Router], probeOptions, socketHost)
defineOptions([Publisher, Subscriber, XPublisher], invertOptions, socketHost)
defineOptions([Publisher, XPublisher], noDropOptions, socketHost)
defineOptions([Request], requestOptions, socketHost)
defineOptions([Router], routerOptions, socketHost)
defineOptions([XPublisher], xpublisherOptions, socketHost)
defineOptions([XPublisher], xpublisherNumberedOptions, socketHost, { properties: false })
defineOptions([Subscriber], subscriberNumberedOptions, socketHost, { properties: false })

// The socket of each libzmq type number, for `new Socket(type)`: the options of its class, its core.
const types: readonly (readonly [number, { prototype: object }, SocketTypeEntry["make"]])[] = [
  [SocketType.Pair, Pair, (ctx, o) => new PairSocket(ctx, o)],
  [SocketType.Publisher, Publisher, (ctx, o) => new PublisherSocket(ctx, o)],
  [SocketType.Subscriber, Subscriber, (ctx, o) => new SubscriberSocket(ctx, o)],
  [SocketType.Request, Request, (ctx, o) => new RequestSocket(ctx, o)],
  [SocketType.Reply, Reply, (ctx, o) => new ReplySocket(ctx, o)],
  [SocketType.Dealer, Dealer, (ctx, o) => new DealerSocket(ctx, o)],
  [SocketType.Router, Router, (ctx, o) => new RouterSocket(ctx, o)],
  [SocketType.Pull, Pull, (ctx, o) => new PullSocket(ctx, o)],
  [SocketType.Push, Push, (ctx, o) => new PushSocket(ctx, o)],
  [SocketType.XPublisher, XPublisher, (ctx, o) => new XPublisherSocket(ctx, o)],
  [SocketType.XSubscriber, XSubscriber, (ctx, o) => new XSubscriberSocket(ctx, o)],
]
for (const [type, cls, make] of types) socketTypes.set(type, { prototype: cls.prototype, make })
