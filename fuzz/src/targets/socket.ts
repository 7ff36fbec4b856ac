/**
 * Whole sockets of `@zl/sockets`, each bound on the memory transport with a well-behaved peer
 * connected, receiving fuzzed sessions from raw peers: greeting, READY with a Socket-Type the socket
 * accepts, then messages and commands, valid or mutated, in random chunks; then the raw peer ends
 * or vanishes.
 *
 * Checked on every input: no exception escapes the engine's transport callbacks or reaches the
 * event loop; every connection the raw peer opened is closed by the socket once the peer ended;
 * and the well-behaved peer is still served (a request and its reply, or a published message,
 * get through).
 */

import {
  Context,
  DealerSocket,
  PairSocket,
  PublisherSocket,
  PullSocket,
  PushSocket,
  ReplySocket,
  RequestSocket,
  RouterSocket,
  type SocketBase,
  SubscriberSocket,
  XPublisherSocket,
} from "@zl/sockets"
import {
  type Connection,
  type ConnectionHandlers,
  createTransportContext,
  MemoryNetwork,
  memory,
  type Transport,
  transportSymbol,
} from "@zl/transport"
import { latin1 } from "../bytes.js"
import { chunks } from "../chunks.js"
import { mutate } from "../mutate.js"
import { deriveSeed, Rng } from "../prng.js"
import { check, type FuzzInput, type Target } from "../target.js"
import {
  hasLargeReadyValue,
  hasLongMultipart,
  hasLongTopic,
  MAX_INPUT,
  session,
  sessionBudget,
} from "../wire.js"

const ALLOCATION_LIMIT = 64 * 1024 * 1024
/** Event-loop turns allowed for a connection to close, or a good peer's message to get through. */
const MAX_TURNS = 2000

/** The bound socket types under fuzz. */
const SERVER_TYPES = ["ROUTER", "PUB", "XPUB", "SUB", "REP", "PULL", "DEALER", "PAIR"] as const
type ServerType = (typeof SERVER_TYPES)[number]

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Takes the message waiting on a readable socket: at once when `receiveNow` may, else through
 * `receive()` (which gives the event loop its turn every 256 operations, as the socket requires).
 */
function take(socket: SocketBase): Promise<Uint8Array[]> | Uint8Array[] {
  return socket.receiveNow() ?? socket.receive()
}

/** The server type an input's seed stands for. */
export function serverType(seed: number): ServerType {
  return new Rng(deriveSeed(seed, "socket-type")).pick(SERVER_TYPES)
}

/** A connection the socket accepted, watched: exceptions out of its handlers, and its close. */
class WatchedConnection implements Connection {
  closed = false
  private readonly inner: Connection
  private readonly world: World

  constructor(inner: Connection, world: World) {
    this.inner = inner
    this.world = world
  }

  get peerAddress(): string {
    return this.inner.peerAddress
  }

  start(handlers: ConnectionHandlers): void {
    this.inner.start({
      onData: (chunk) => this.world.guard(() => handlers.onData(chunk)),
      onDrain: () => this.world.guard(() => handlers.onDrain()),
      onClose: (error) => {
        this.closed = true
        this.world.guard(() => handlers.onClose(error))
      },
    })
  }

  writeSome(chunks: readonly Uint8Array[]) {
    return this.inner.writeSome(chunks)
  }
  pause(): void {
    this.inner.pause()
  }
  resume(): void {
    this.inner.resume()
  }
  close(): void {
    this.inner.close()
  }
  destroy(error?: Error): void {
    this.inner.destroy(error)
  }
}

/** One bound socket and its well-behaved peer. */
interface Server {
  readonly type: ServerType
  readonly socket: SocketBase
  readonly good: SocketBase
  readonly address: string
  /** Proves the good peer is still served; `n` makes each probe's message unique. */
  probe(n: number): Promise<void>
}

/** Everything the socket target keeps between inputs. */
class World {
  readonly network = new MemoryNetwork()
  readonly context: Context
  readonly raw: Transport
  readonly servers = new Map<ServerType, Server>()
  /** Connections accepted since the last `take()`. */
  accepted: WatchedConnection[] = []
  /** The first exception that came out of a connection handler since the last `take()`. */
  thrown: unknown
  probes = 0

  constructor() {
    const inner = memory({ network: this.network })
    this.context = new Context({
      transports: [(ctx) => this.watch(inner(ctx))],
      allocate: (size) => {
        if (size > ALLOCATION_LIMIT) throw new RangeError("allocation refused by the fuzz allocator")
        return new Uint8Array(size)
      },
    })
    this.raw = memory({ network: this.network })(createTransportContext())
  }

  guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.thrown ??= err
    }
  }

  /** The memory transport with every accepted connection watched. */
  private watch(inner: Transport): Transport {
    return {
      [Symbol.toStringTag]: "WatchedMemoryTransport",
      [transportSymbol]: true,
      specVersion: inner.specVersion,
      schemes: inner.schemes,
      framing: inner.framing,
      listen: (address, onConnection, options) =>
        inner.listen(
          address,
          (connection) => {
            const watched = new WatchedConnection(connection, this)
            this.accepted.push(watched)
            onConnection(watched)
          },
          options,
        ),
      dial: (address, options) => inner.dial(address, options),
    }
  }

  async setup(): Promise<void> {
    for (const type of SERVER_TYPES) this.servers.set(type, await this.server(type))
    this.accepted = []
  }

  /** Binds a socket of `type`, connects its good peer and waits for the handshake. */
  private async server(type: ServerType): Promise<Server> {
    const c = this.context
    const address = `fuzz-${type.toLowerCase()}`
    const make = (): { socket: SocketBase; good: SocketBase } => {
      switch (type) {
        case "ROUTER":
          return { socket: new RouterSocket(c), good: new DealerSocket(c, { routingId: latin1("good") }) }
        case "PUB":
          return { socket: new PublisherSocket(c), good: new SubscriberSocket(c) }
        case "XPUB":
          return { socket: new XPublisherSocket(c), good: new SubscriberSocket(c) }
        case "SUB":
          return { socket: new SubscriberSocket(c), good: new PublisherSocket(c) }
        case "REP":
          return { socket: new ReplySocket(c), good: new RequestSocket(c) }
        case "PULL":
          return { socket: new PullSocket(c), good: new PushSocket(c) }
        case "DEALER":
          return { socket: new DealerSocket(c), good: new DealerSocket(c) }
        case "PAIR":
          return { socket: new PairSocket(c), good: new PairSocket(c) }
      }
    }
    const { socket, good } = make()
    await socket.bind(`memory://${address}`)
    let ready = false
    good.addEventListener((e) => {
      if (e.type === "handshake") ready = true
    })
    good.connect(`memory://${address}`)
    if (good instanceof SubscriberSocket) good.subscribe(latin1("good"))
    if (socket instanceof SubscriberSocket) socket.subscribe(new Uint8Array(0))
    for (let i = 0; !ready; i++) {
      check(i < MAX_TURNS, `the good peer of ${type} did not connect`)
      await turn()
    }
    const server: Server = { type, socket, good, address, probe: (n) => this.probe(server, n) }
    // Subscriptions travel after the handshake: wait until a published message gets through.
    await server.probe(0)
    return server
  }

  /**
   * Receives on `socket` until `want` matches, handling everything else that arrives (`other`) and
   * calling `retry` every 64 turns (a publisher drops what it sends before the subscription arrived).
   */
  private async until(
    socket: SocketBase,
    what: string,
    want: (m: Uint8Array[]) => boolean,
    other?: () => Promise<void>,
    retry?: () => void,
  ): Promise<void> {
    for (let i = 0; ; i++) {
      check(i < MAX_TURNS, `${what}: not served within ${MAX_TURNS} turns`)
      const m = socket.readable ? await take(socket) : undefined
      if (m !== undefined && want(m)) return
      await other?.()
      if (m === undefined) {
        if (i % 64 === 63) retry?.()
        await turn()
      }
    }
  }

  private async probe(server: Server, n: number): Promise<void> {
    const tag = latin1(`good-${n}`)
    const is = (frame: Uint8Array | undefined): boolean =>
      frame !== undefined && frame.length === tag.length && frame.every((b, i) => b === tag[i])
    const { socket, good, type } = server
    switch (type) {
      case "ROUTER":
        good.send([tag]).catch(() => {})
        await this.until(
          socket,
          "ROUTER from DEALER",
          (m) => m.length === 2 && is(m[1]) && String.fromCharCode(...m[0]!) === "good",
        )
        socket.send([latin1("good"), tag]).catch(() => {})
        await this.until(good, "DEALER from ROUTER", (m) => is(m[0]))
        return
      case "PUB":
      case "XPUB": {
        const send = (): void => void socket.send([tag]).catch(() => {})
        send()
        await this.until(
          good,
          `SUB from ${type}`,
          (m) => is(m[0]),
          () => this.drain(socket),
          send,
        )
        return
      }
      case "SUB": {
        const send = (): void => void good.send([tag]).catch(() => {})
        send()
        await this.until(socket, "SUB from PUB", (m) => is(m[0]), undefined, send)
        return
      }
      case "REP":
        good.send([tag]).catch(() => {})
        await this.until(
          good,
          "REQ from REP",
          (m) => is(m[0]),
          () => this.answer(socket),
        )
        return
      case "PULL":
        good.send([tag]).catch(() => {})
        await this.until(socket, "PULL from PUSH", (m) => is(m[0]))
        return
      case "DEALER":
        good.send([tag]).catch(() => {})
        await this.until(socket, "DEALER from DEALER", (m) => is(m[0]))
        return
      case "PAIR":
        good.send([tag]).catch(() => {})
        await this.until(socket, "PAIR from PAIR", (m) => is(m[0]))
        socket.send([tag]).catch(() => {})
        await this.until(good, "PAIR back", (m) => is(m[0]))
        return
    }
  }

  /** REP: takes the requests waiting (any peer's) and answers each with its own body. */
  private async answer(socket: SocketBase): Promise<void> {
    for (let i = 0; i < 1000 && socket.readable; i++) {
      const m = await take(socket)
      // A request may have an empty body; the reply still needs a frame.
      socket.send(m.length > 0 ? m : [new Uint8Array(0)]).catch(() => {})
    }
  }

  /** Takes what fuzz peers made the socket queue, so that no queue fills up between inputs. */
  async drain(socket: SocketBase): Promise<void> {
    if (socket instanceof ReplySocket) {
      await this.answer(socket)
      return
    }
    for (let i = 0; i < 1000 && socket.readable; i++) await take(socket)
  }

  /** What happened since the last call: connections accepted, and an exception if one escaped. */
  take(): { accepted: WatchedConnection[]; thrown: unknown } {
    const out = { accepted: this.accepted, thrown: this.thrown }
    this.accepted = []
    this.thrown = undefined
    return out
  }

  /**
   * Closes every socket with linger 0. A close that throws (a socket left broken by a crash) does not
   * stop the others from closing; the first such error is thrown at the end.
   */
  close(): void {
    let failure: unknown
    for (const s of this.servers.values()) {
      for (const socket of [s.socket, s.good]) {
        socket.options.linger = 0
        try {
          socket.close()
        } catch (err) {
          failure ??= err
        }
      }
    }
    this.context.close()
    if (failure !== undefined) throw failure
  }
}

let world: World | undefined

const target: Target = {
  name: "socket",
  description:
    "ROUTER, PUB, XPUB, SUB, REP, PULL, DEALER and PAIR sockets fed by raw peers, a good peer served throughout",
  async setup() {
    world = new World()
    await world.setup()
  },
  async teardown() {
    world?.close()
    world = undefined
    // Let the sockets' closes run out, so that nothing outlives the run.
    for (let i = 0; i < 10; i++) await turn()
  },
  generate(rng, context): FuzzInput {
    const seed = rng.next()
    const s = session(rng, {
      localType: serverType(seed),
      budget: sessionBudget(rng),
    })
    if (rng.chance(0.2)) return { data: s.bytes, seed }
    const other = context.recent.length > 0 && rng.chance(0.2) ? rng.pick(context.recent) : undefined
    return { data: mutate(rng, s, other), seed }
  },
  // An input here takes a millisecond or more: measuring one large input in two costs little.
  measureOneIn: 2,
  isKnown(input, known) {
    const type = serverType(input.seed)
    if (known.has("deep-topic") && (type === "PUB" || type === "XPUB") && hasLongTopic(input.data, 1024))
      return true
    if (known.has("long-multipart") && hasLongMultipart(input.data, 64, 1000)) return true
    return known.has("huge-property") && hasLargeReadyValue(input.data, 1024)
  },
  async run(input, context) {
    const w = world
    if (w === undefined) throw new Error("the socket target runs between setup() and teardown()")
    const server = w.servers.get(serverType(input.seed))!
    const rng = new Rng(input.seed)
    // Half the connections are accepted under a maxMessageSize, the setting for untrusted peers
    // (docs/limits.md): only those are measured, since nothing else bounds an incomplete message.
    const bounded = rng.chance(0.5)
    server.socket.options.maxMessageSize = bounded ? MAX_INPUT : -1
    w.take()
    const connection = await w.raw.dial(server.address)
    let closed = false
    connection.start({
      onData: () => {},
      onDrain: () => {},
      onClose: () => {
        closed = true
      },
    })
    for (const piece of chunks(rng, input.data)) {
      if (closed) break
      connection.writeSome([piece])
      // Sometimes let the socket read what came so far before more arrives.
      if (rng.chance(0.2)) await (rng.chance(0.5) ? Promise.resolve() : turn())
    }
    // Let the socket take everything in, then measure what the connection holds while it is open.
    for (let i = 0; i < 3; i++) await turn()
    await w.drain(server.socket)
    if (bounded) context.checkpoint()
    if (rng.chance(0.7)) connection.close()
    else connection.destroy()
    let accepted: WatchedConnection[] = []
    for (let i = 0; ; i++) {
      const now = w.take()
      accepted = accepted.concat(now.accepted)
      if (now.thrown !== undefined) throw now.thrown
      if (closed && accepted.length > 0 && accepted.every((c) => c.closed)) break
      check(
        i < MAX_TURNS,
        `the ${server.type} socket did not close the raw peer's connection within ${MAX_TURNS} turns`,
      )
      await w.drain(server.socket)
      await turn()
    }
    await w.drain(server.socket)
    await server.probe(++w.probes)
    const late = w.take()
    if (late.thrown !== undefined) throw late.thrown
    check(late.accepted.length === 0, "a connection was accepted that nobody dialled")
  },
}

export default target
