/**
 * A program written against the `zeromq` package v6 and nothing else. It is never run: it is
 * typechecked twice, as it is against zeromq's own declarations (`tsconfig.json` of the package) and
 * with `zeromq` resolved to zlink (`tsconfig.zlink.json`), so that a zeromq v6 TypeScript program
 * that compiles keeps compiling when its import names zlink. The `@ts-expect-error` lines must fail
 * under both: zlink's declarations are no looser than zeromq's.
 */
import * as zmq from "zeromq"

// ---- module-level values ------------------------------------------------------------------------

export const libzmqVersion: string = zmq.version
export const hasCurve: boolean | undefined = zmq.capability.curve
export function keys(): string {
  const { publicKey, secretKey } = zmq.curveKeyPair()
  return publicKey + secretKey
}

// ---- context ------------------------------------------------------------------------------------

export function contexts(): zmq.Context {
  const context = new zmq.Context({ blocky: false, ioThreads: 1, maxSockets: 256, ipv6: false })
  context.maxMessageSize = 1 << 20
  context.threadPriority = 10
  context.threadSchedulingPolicy = 0
  const limit: number = context.maxSocketsLimit
  // @ts-expect-error maxSocketsLimit is read-only
  context.maxSocketsLimit = limit
  zmq.context.blocky = true
  return new zmq.Context({ threadPriority: 1, threadSchedulingPolicy: 0 })
}

export class RawContext extends zmq.Context {
  get threads(): number {
    return this.getInt32Option(1)
  }
  set threads(value: number) {
    this.setInt32Option(1, value)
  }
  get isBlocky(): boolean {
    return this.getBoolOption(70)
  }
  set isBlocky(value: boolean) {
    this.setBoolOption(70, value)
  }
}

// ---- every socket class, options in constructors and as properties ------------------------------

export async function sockets(context: zmq.Context): Promise<void> {
  const pair = new zmq.Pair({ context, linger: 0, sendHighWaterMark: 10, receiveTimeout: 100 })
  const pub = new zmq.Publisher({ noDrop: true, invertMatching: false, conflate: false })
  const sub = new zmq.Subscriber({ receiveHighWaterMark: 1000, conflate: false })
  const req = new zmq.Request({ routingId: "req-1", relaxed: false, correlate: false, probeRouter: false })
  const rep = new zmq.Reply({ routingId: "rep-1" })
  const dealer = new zmq.Dealer({ routingId: "worker", sendTimeout: 0, heartbeatInterval: 1000 })
  const router = new zmq.Router({ mandatory: true, handover: false, probeRouter: false })
  const pull = new zmq.Pull({ conflate: false, maxMessageSize: 65_536 })
  const push = new zmq.Push({ sendTimeout: 1000, immediate: true })
  const xpub = new zmq.XPublisher({ manual: false, welcomeMessage: null, noDrop: false })
  const xsub = new zmq.XSubscriber({ reconnectInterval: 100, reconnectMaxInterval: 1000 })

  pair.linger = 100
  pub.sendHighWaterMark = 1000
  sub.subscribe("weather.", Buffer.from("news."))
  sub.subscribe()
  sub.unsubscribe("news.")
  dealer.routingId = null
  router.mandatory = false
  xpub.verbosity = "allSubsUnsubs"
  xpub.verbosity = null
  push.tcpKeepalive = 1
  pull.receiveTimeout = -1
  req.heartbeatTimeToLive = 3000
  rep.handshakeInterval = 30_000
  xsub.connectTimeout = 500
  pair.plainServer = false
  pair.curveServerKey = null
  pair.zapDomain = null

  const type: number = pair.type
  const endpoint: string | null = pair.lastEndpoint
  const mechanism: null | "plain" | "curve" | "gssapi" = pair.securityMechanism
  const threadSafe: boolean = pair.threadSafe
  const flags: boolean[] = [pair.closed, pair.readable, pair.writable, threadSafe]
  const own: zmq.Context = pair.context
  void [type, endpoint, mechanism, flags, own]
  // @ts-expect-error lastEndpoint is read-only
  pair.lastEndpoint = "tcp://127.0.0.1:1"
  // @ts-expect-error read-only options are not constructor options
  new zmq.Pull({ type: 7 })
  // @ts-expect-error a PUB cannot receive
  await pub.receive()
  // @ts-expect-error a SUB cannot send
  await sub.send("x")
  // @ts-expect-error a PULL has no routing id
  new zmq.Pull({ routingId: "x" })

  await pair.bind("tcp://127.0.0.1:*")
  await pair.unbind("tcp://127.0.0.1:*")
  pair.connect("inproc://x")
  pair.disconnect("inproc://x")
  router.connect("tcp://127.0.0.1:5555", { routingId: "peer-1" })
  const options: zmq.RouterConnectOptions = {}
  router.connect("tcp://127.0.0.1:5556", options)

  for (const socket of [pair, pub, sub, req, rep, dealer, router, pull, push, xpub, xsub]) socket.close()
}

/** Every option of zeromq's Socket, Writable and Readable, set and read back on one socket. */
export function everyOption(dealer: zmq.Dealer): number {
  dealer.affinity = 1
  dealer.rate = 200
  dealer.recoveryInterval = 5000
  dealer.linger = 0
  dealer.reconnectInterval = 100
  dealer.backlog = 50
  dealer.reconnectMaxInterval = 0
  dealer.maxMessageSize = -1
  dealer.tcpKeepalive = -1
  dealer.tcpKeepaliveCount = 3
  dealer.tcpKeepaliveIdle = 60
  dealer.tcpKeepaliveInterval = 10
  dealer.tcpAcceptFilter = null
  dealer.immediate = false
  dealer.ipv6 = true
  dealer.plainServer = false
  dealer.plainUsername = null
  dealer.plainPassword = null
  dealer.curveServer = false
  dealer.curvePublicKey = null
  dealer.curveSecretKey = null
  dealer.curveServerKey = null
  dealer.zapDomain = null
  dealer.typeOfService = 0
  dealer.handshakeInterval = 30_000
  dealer.socksProxy = null
  dealer.heartbeatInterval = 0
  dealer.heartbeatTimeToLive = 0
  dealer.heartbeatTimeout = -1
  dealer.connectTimeout = 0
  dealer.tcpMaxRetransmitTimeout = 0
  dealer.multicastMaxTransportDataUnit = 1400
  dealer.vmciBufferSize = 1
  dealer.vmciBufferMinSize = 1
  dealer.vmciBufferMaxSize = 1
  dealer.vmciConnectTimeout = 1
  dealer.interface = null
  dealer.zapEnforceDomain = false
  dealer.loopbackFastPath = true
  dealer.multicastHops = 2
  dealer.sendBufferSize = 65_536
  dealer.sendHighWaterMark = 1000
  dealer.sendTimeout = -1
  dealer.receiveBufferSize = 65_536
  dealer.receiveHighWaterMark = 1000
  dealer.receiveTimeout = -1
  dealer.routingId = "d"
  dealer.probeRouter = false
  dealer.conflate = false
  return (
    dealer.rate + dealer.affinity + dealer.multicastHops + dealer.sendBufferSize + dealer.receiveBufferSize
  )
}

export function synchronous(socket: zmq.Socket): void {
  socket.bindSync("tcp://127.0.0.1:*")
  socket.unbindSync("tcp://127.0.0.1:*")
}

// ---- sending and receiving ----------------------------------------------------------------------

export async function messages(push: zmq.Push, pull: zmq.Pull, router: zmq.Router): Promise<void> {
  const frames: zmq.MessageLike[] = [
    "text",
    42,
    null,
    Buffer.from("b"),
    new Uint8Array(2),
    new ArrayBuffer(1),
  ]
  await push.send(frames)
  await push.send("one frame")
  const [first, ...rest]: zmq.Message[] = await pull.receive()
  const length: number = (first?.length ?? 0) + rest.length

  for await (const [id, , body] of router) {
    await router.send([id!, "", body ?? length])
  }
  for await (const message of pull) {
    const parts: Buffer[] = message
    void parts
  }
}

// ---- generics -----------------------------------------------------------------------------------

/** Any socket that can receive: a library function written against zeromq's interfaces. */
export async function drain<S extends zmq.Socket & zmq.Readable>(
  socket: S,
  count: number,
): Promise<zmq.Message[][]> {
  const received: zmq.Message[][] = []
  for await (const message of socket) {
    received.push(message)
    if (received.length === count) break
  }
  return received
}

/** A socket type of one's own whose messages have a fixed shape. */
export interface Envelope
  extends zmq.Readable<[zmq.Message, zmq.Message]>,
    zmq.Writable<[string, zmq.MessageLike]> {}

export async function envelopes(socket: Envelope): Promise<string> {
  await socket.send(["topic", Buffer.from("body")])
  // @ts-expect-error the shape is two frames
  await socket.send(["topic"])
  const [topic, body] = await socket.receive()
  for await (const [t] of socket) return t.toString()
  return topic.toString() + body.toString()
}

/** Sends with per-message options, as draft socket types do. */
export interface WithOptions extends zmq.Writable<zmq.MessageLike, [{ group: string }]> {}

export async function withOptions(socket: WithOptions): Promise<void> {
  await socket.send("hello", { group: "g" })
}

export function options<S extends zmq.Socket>(
  make: new (options?: zmq.SocketOptions<S>) => S,
  given: zmq.SocketOptions<S>,
): S {
  return new make(given)
}

export const dealerOptions: zmq.SocketOptions<zmq.Dealer> = {
  routingId: "x",
  context: zmq.context,
  linger: 0,
}
export const made: zmq.Dealer = options(zmq.Dealer, dealerOptions)

export class Tuned extends zmq.Dealer {
  get rawLinger(): number {
    return this.getInt32Option(17)
  }
  set rawLinger(value: number) {
    this.setInt32Option(17, value)
  }
}

// ---- events -------------------------------------------------------------------------------------

export async function events(socket: zmq.Dealer): Promise<void> {
  const observer: zmq.Observer = socket.events
  const subscriber: zmq.EventSubscriber = observer
  const onRetry = (event: zmq.EventOfType<"connect:retry">): void => {
    const { address, interval } = event
    void [address, interval]
  }
  subscriber.on("connect:retry", onRetry).off("connect:retry", onRetry)
  observer.on("bind:error", (event) => console.log(event.error.code, event.error.errno, event.address))
  observer.on("handshake:error:auth", (event) => console.log(event.error.status))
  observer.on("unknown", (event) => console.log(event.type))

  const next: zmq.Event = await observer.receive()
  const type: zmq.EventType = next.type
  void type
  for await (const event of socket.events) {
    switch (event.type) {
      case "accept":
      case "bind":
      case "connect":
      case "connect:delay":
      case "close":
      case "disconnect":
      case "handshake":
        console.log(event.address)
        break
      case "connect:retry":
        console.log(event.interval)
        break
      case "accept:error":
      case "bind:error":
      case "close:error":
      case "handshake:error:other":
        console.log(event.error.errno)
        break
      case "handshake:error:protocol":
        if (event.error.code === "ERR_ZMTP_MECHANISM_MISMATCH") console.log(event.address)
        break
      case "handshake:error:auth":
        console.log(event.error.status === 400)
        break
      case "end":
      case "unknown":
        break
      default: {
        const unreachable: never = event
        void unreachable
      }
    }
  }
  observer.close()
  const closed: boolean = observer.closed
  void closed
}

// ---- proxy --------------------------------------------------------------------------------------

export async function broker(): Promise<void> {
  const proxy = new zmq.Proxy(new zmq.Router(), new zmq.Dealer())
  const front: zmq.Router = proxy.frontEnd
  const back: zmq.Dealer = proxy.backEnd
  await front.bind("tcp://127.0.0.1:*")
  await back.bind("tcp://127.0.0.1:*")
  setTimeout(() => {
    proxy.pause()
    proxy.resume()
    proxy.terminate()
  }, 10)
  await proxy.run()
  const generic: zmq.Proxy = new zmq.Proxy(new zmq.XSubscriber(), new zmq.XPublisher())
  void generic
}

// ---- errors -------------------------------------------------------------------------------------

export async function errors(socket: zmq.Request): Promise<string> {
  try {
    await socket.bind("tcp://127.0.0.1:1")
    return "bound"
  } catch (err) {
    const { code, errno, address } = err as { code: string; errno: number; address?: string }
    if (err instanceof Error) return `${err.message} ${code} ${errno} ${address ?? ""}`
    throw err
  }
}
