import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net"
import {
  type Connection,
  type DialOptions,
  formatTcpEndpoint,
  type Listener,
  type ListenOptions,
  parseTcpAddress,
  TRANSPORT_SPEC_VERSION,
  type Transport,
  type TransportContext,
  TransportError,
  type TransportOptions,
  transportSymbol,
} from "@zl/transport"
import { acceptStream, StreamSocketConnection, whenConnected } from "@zl/transport/internal"
import { matchesTcpAddressMask, parseTcpAddressMask, type TcpAddressMask } from "./address-mask.js"
import { socksHandshake } from "./socks.js"

const NAMESPACE = "zl:tcp"

/**
 * Options of {@link tcp}. Each is a default: the same name in a socket's options
 * (`DialOptions.options`, `ListenOptions.options`) overrides it for that bind or connect.
 *
 * @example
 * ```ts
 * const factory = tcp({ ipv6: true, tcpKeepalive: 1, tcpKeepaliveIdle: 60 })
 * await transport.dial("example.org:5555", { options: { tcpKeepalive: 0 } }) // overrides, for this connect
 * ```
 */
export interface TcpOptions {
  /**
   * `ZMQ_IPV6`: a bind to `*` listens on `::` (IPv6 and, where the system allows, IPv4) instead of
   * `0.0.0.0`. Default `false`.
   */
  readonly ipv6?: boolean
  /**
   * `ZMQ_TCP_KEEPALIVE`: `-1` leaves the system default, `0` turns keepalive off, `1` on.
   * Default `-1`.
   */
  readonly tcpKeepalive?: -1 | 0 | 1
  /**
   * `ZMQ_TCP_KEEPALIVE_IDLE`: seconds of idleness before the first keepalive probe, when
   * `tcpKeepalive` is `1`; `-1` leaves the system default. Default `-1`.
   */
  readonly tcpKeepaliveIdle?: number
  /** `ZMQ_BACKLOG`: the queue of connections not yet accepted. Default `100`, as libzmq. */
  readonly backlog?: number
  /**
   * `ZMQ_TCP_ACCEPT_FILTER`: when not empty, a listener accepts only peers whose address one entry
   * matches, and closes the others as soon as they are accepted, before a byte is sent. Entries are
   * {@link TcpAddressMask}s or their text (`"10.0.0.0/8"`, parsed by {@link parseTcpAddressMask}
   * with this bind's `ipv6`). Default empty: every peer is accepted.
   */
  readonly tcpAcceptFilter?: readonly (TcpAddressMask | string)[]
  /**
   * `ZMQ_SOCKS_PROXY`: `host:port` of a SOCKS5 proxy that every dial goes through (no
   * authentication, as zeromq v6); the target's host is sent as it is written, a name unresolved.
   * `null` (the default) or `""` dials directly.
   */
  readonly socksProxy?: string | null
  /**
   * How long (ms) the SOCKS5 exchange with the proxy may take; 0 for no limit. Read from the
   * socket's `handshakeInterval` (`ZMQ_HANDSHAKE_IVL`), default 30,000, so that a proxy that
   * accepts and never answers cannot hold a connect forever.
   */
  readonly handshakeInterval?: number
  /**
   * `ZMQ_BINDTODEVICE`: Node cannot bind a socket to a network device, so a bind or dial with an
   * interface named fails with `ENOTSUP`, as with the libzmq zeromq 6.8.0 ships, which is built
   * without `SO_BINDTODEVICE`. `null` (the default) or `""` for none.
   */
  readonly interface?: string | null
}

interface Settings {
  readonly ipv6: boolean
  readonly tcpKeepalive: -1 | 0 | 1
  readonly tcpKeepaliveIdle: number
  readonly backlog: number
  readonly tcpAcceptFilter: readonly (TcpAddressMask | string)[]
  readonly socksProxy: string | null
  readonly handshakeInterval: number
  readonly interface: string | null
}

const DEFAULTS: Settings = {
  ipv6: false,
  tcpKeepalive: -1,
  tcpKeepaliveIdle: -1,
  backlog: 100,
  tcpAcceptFilter: [],
  socksProxy: null,
  handshakeInterval: 30_000,
  interface: null,
}

/**
 * The `tcp://` transport, on `node:net`. Endpoints as libzmq: `tcp://host:port` to connect;
 * `tcp://*:port`, `tcp://host:*` (ephemeral port) and `tcp://[::1]:port` to bind. Every connection
 * has `TCP_NODELAY` set.
 *
 * @example
 * ```ts
 * import { createTransportContext, TransportRegistry } from "@zl/transport"
 * import { tcp } from "@zl/transport-tcp"
 *
 * const registry = new TransportRegistry(createTransportContext(), [tcp({ tcpKeepalive: 1 })])
 * const transport = registry.get("tcp")
 * const listener = await transport.listen("127.0.0.1:*", (connection) => connection.start(handlers))
 * console.log(listener.endpoint) // tcp://127.0.0.1:41234
 * ```
 */
export function tcp(options: TcpOptions = {}): (context: TransportContext) => TcpTransport {
  const defaults = settings(DEFAULTS, options)
  return (context) => new TcpTransport(context, defaults)
}

/**
 * The transport built by {@link tcp}.
 *
 * @example
 * ```ts
 * const transport: TcpTransport = tcp()(createTransportContext())
 * const listener = await transport.listen("127.0.0.1:*", (connection) => connection.start(handlers))
 * ```
 */
export class TcpTransport implements Transport {
  readonly [Symbol.toStringTag] = "TcpTransport"
  readonly [transportSymbol] = true as const
  readonly specVersion = TRANSPORT_SPEC_VERSION
  readonly schemes: readonly string[] = ["tcp"]
  readonly framing = "stream" as const
  /** A TCP connect is in progress before it completes: sockets report `connect:delay`, as libzmq. */
  readonly delayedConnect = true
  private readonly context: TransportContext
  private readonly defaults: Settings

  /** @internal Built by {@link tcp}. */
  constructor(context: TransportContext, defaults: Settings) {
    this.context = context
    this.defaults = defaults
  }

  /** Checks `host:port` syntax and port range: `EINVAL`. */
  validate(address: string, purpose: "listen" | "dial"): void {
    parseTcpAddress(address, { bind: purpose === "listen" })
  }

  /**
   * Binds `host:port` (`*` for any address, port `*` or `0` for an ephemeral one). Resolves with the
   * real endpoint: `tcp://127.0.0.1:*` becomes `tcp://127.0.0.1:41234`, `tcp://*:5555` becomes
   * `tcp://0.0.0.0:5555` (`tcp://[::]:5555` with `ipv6`). Rejects with `EINVAL`, `EADDRINUSE`,
   * `EADDRNOTAVAIL`, `EACCES`, ...
   */
  async listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options: ListenOptions = {},
  ): Promise<Listener> {
    const config = settings(this.defaults, options.options)
    const { host, port } = parseTcpAddress(address, { bind: true })
    refuseDevice(config)
    const filter = config.tcpAcceptFilter.map((entry) =>
      typeof entry === "string" ? parseTcpAddressMask(entry, { ipv6: config.ipv6 }) : entry,
    )
    // The server sets TCP_NODELAY (and keepalive, when asked) on each accepted handle itself, before
    // the socket reaches us; only turning keepalive off needs a call of ours.
    const server = createServer({
      noDelay: true,
      ...(config.tcpKeepalive === 1
        ? { keepAlive: true, keepAliveInitialDelay: Math.max(0, config.tcpKeepaliveIdle) * 1000 }
        : {}),
    })
    const log = (message: string) => this.context.log("error", NAMESPACE, message)
    // The peer's address is read when asked for (ZAP), not with a getpeername() per accept.
    const prepare =
      config.tcpKeepalive === 0
        ? (socket: Socket) => {
            socket.setKeepAlive(false)
            return () => socket.remoteAddress ?? ""
          }
        : (socket: Socket) => () => socket.remoteAddress ?? ""
    if (filter.length === 0) {
      server.on("connection", (socket) => acceptStream(socket, () => prepare(socket), onConnection, log))
    } else {
      // As libzmq's tcp_listener: a peer no entry matches is closed as soon as it is accepted; it
      // never reaches the socket, so no greeting is sent to it.
      server.on("connection", (socket) => {
        const peer = socket.remoteAddress ?? ""
        if (!filter.some((mask) => matchesTcpAddressMask(mask, peer))) {
          this.context.log("debug", NAMESPACE, `refused a connection from ${peer} (accept filter)`)
          socket.destroy()
          return
        }
        acceptStream(socket, () => prepare(socket), onConnection, log)
      })
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(
        { host: host === "" ? (config.ipv6 ? "::" : "0.0.0.0") : host, port, backlog: config.backlog },
        () => {
          server.off("error", reject)
          resolve()
        },
      )
    }).catch((err: unknown) => {
      server.close()
      throw TransportError.from(err)
    })
    // After the bind, an error (EMFILE while accepting, for example) must not crash the process.
    server.on("error", (err) => this.context.log("error", NAMESPACE, `listener error: ${err.message}`))
    // A listener never keeps the process alive by itself (the `Listener` contract).
    server.unref()
    const bound = server.address() as AddressInfo
    const endpoint = formatTcpEndpoint("tcp", bound.address, bound.port)
    this.context.log("debug", NAMESPACE, `listening on ${endpoint}`)
    return new TcpListener(endpoint, server)
  }

  /**
   * Connects to `host:port` (a concrete host and a port in 1..65535). Rejects with `EINVAL`,
   * `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, ..., or with the signal's reason when aborted.
   */
  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    const config = settings(this.defaults, options.options)
    const { host, port } = parseTcpAddress(address, { bind: false })
    refuseDevice(config)
    const proxy =
      config.socksProxy === null || config.socksProxy === ""
        ? undefined
        : parseTcpAddress(config.socksProxy, { bind: false })
    const signal = options.signal
    signal?.throwIfAborted()
    const socket = netConnect(proxy ?? { host, port })
    await whenConnected(socket, signal)
    try {
      configure(socket, config)
    } catch (err) {
      socket.destroy()
      throw TransportError.from(err)
    }
    // As libzmq's socks_connecter: the proxy connection gets the socket's tcp options, then the
    // SOCKS5 exchange, then the same connection carries ZMTP.
    if (proxy !== undefined) await socksHandshake(socket, host, port, config.handshakeInterval, signal)
    try {
      return new StreamSocketConnection(socket, socket.remoteAddress ?? host)
    } catch (err) {
      socket.destroy()
      throw TransportError.from(err)
    }
  }
}

class TcpListener implements Listener {
  readonly endpoint: string
  private readonly server: Server
  private closed = false

  constructor(endpoint: string, server: Server) {
    this.endpoint = endpoint
    this.server = server
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // server.close() closes the listening socket at once; its callback would wait for every
    // accepted connection to end, which a listener close must not do.
    this.server.close()
  }
}

/**
 * Options every dialled connection gets (an accepted one gets the same from its server: see
 * `listen`).
 */
function configure(socket: Socket, config: Settings): void {
  // ZMTP frames are small and latency matters more than segment count (libzmq sets it too).
  socket.setNoDelay(true)
  if (config.tcpKeepalive === 1) {
    socket.setKeepAlive(true, config.tcpKeepaliveIdle > 0 ? config.tcpKeepaliveIdle * 1000 : 0)
  } else if (config.tcpKeepalive === 0) {
    socket.setKeepAlive(false)
  }
}

/** Merges `options` (socket options or factory options) over `base`, checking each value. */
function settings(base: Settings, options: TransportOptions | TcpOptions | undefined): Settings {
  if (options === undefined) return base
  const source = options as Readonly<Record<string, unknown>>
  const ipv6 = source.ipv6 ?? base.ipv6
  if (typeof ipv6 !== "boolean") throw invalid("ipv6", ipv6)
  const tcpKeepalive = source.tcpKeepalive ?? base.tcpKeepalive
  if (tcpKeepalive !== -1 && tcpKeepalive !== 0 && tcpKeepalive !== 1)
    throw invalid("tcpKeepalive", tcpKeepalive)
  const tcpKeepaliveIdle = source.tcpKeepaliveIdle ?? base.tcpKeepaliveIdle
  if (!Number.isInteger(tcpKeepaliveIdle) || (tcpKeepaliveIdle as number) < -1) {
    throw invalid("tcpKeepaliveIdle", tcpKeepaliveIdle)
  }
  const backlog = source.backlog ?? base.backlog
  if (!Number.isInteger(backlog) || (backlog as number) < 0) throw invalid("backlog", backlog)
  const socksProxy = source.socksProxy === undefined ? base.socksProxy : source.socksProxy
  if (socksProxy !== null && typeof socksProxy !== "string") throw invalid("socksProxy", socksProxy)
  const handshakeInterval = source.handshakeInterval ?? base.handshakeInterval
  if (!Number.isInteger(handshakeInterval) || (handshakeInterval as number) < 0) {
    throw invalid("handshakeInterval", handshakeInterval)
  }
  const device = source.interface === undefined ? base.interface : source.interface
  if (device !== null && typeof device !== "string") throw invalid("interface", device)
  const tcpAcceptFilter = source.tcpAcceptFilter ?? base.tcpAcceptFilter
  if (!Array.isArray(tcpAcceptFilter) || !tcpAcceptFilter.every(isFilterEntry)) {
    throw invalid("tcpAcceptFilter", tcpAcceptFilter)
  }
  return {
    ipv6,
    tcpKeepalive,
    tcpKeepaliveIdle: tcpKeepaliveIdle as number,
    backlog: backlog as number,
    tcpAcceptFilter,
    socksProxy,
    handshakeInterval: handshakeInterval as number,
    interface: device,
  }
}

/** `ENOTSUP` for a bind or dial with a device named: see {@link TcpOptions.interface}. */
function refuseDevice(config: Settings): void {
  if (config.interface !== null && config.interface !== "") {
    throw new TransportError(
      "ENOTSUP",
      `cannot bind a socket to the device ${JSON.stringify(config.interface)}: Node has no SO_BINDTODEVICE`,
    )
  }
}

function isFilterEntry(entry: unknown): entry is TcpAddressMask | string {
  if (typeof entry === "string") return true
  if (typeof entry !== "object" || entry === null) return false
  const { family, bytes, prefix } = entry as Partial<TcpAddressMask>
  return (
    (family === 4 || family === 6) &&
    bytes instanceof Uint8Array &&
    bytes.length === (family === 4 ? 4 : 16) &&
    Number.isInteger(prefix) &&
    (prefix as number) >= 0 &&
    (prefix as number) <= bytes.length * 8
  )
}

function invalid(name: string, value: unknown): TransportError {
  return new TransportError("EINVAL", `tcp option ${name} has an invalid value ${String(value)}`)
}
