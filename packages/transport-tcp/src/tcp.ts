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
}

interface Settings {
  readonly ipv6: boolean
  readonly tcpKeepalive: -1 | 0 | 1
  readonly tcpKeepaliveIdle: number
  readonly backlog: number
}

const DEFAULTS: Settings = { ipv6: false, tcpKeepalive: -1, tcpKeepaliveIdle: -1, backlog: 100 }

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
    server.on("connection", (socket) => acceptStream(socket, () => prepare(socket), onConnection, log))
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
    const signal = options.signal
    signal?.throwIfAborted()
    const socket = netConnect({ host, port })
    await whenConnected(socket, signal)
    try {
      configure(socket, config)
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
  return {
    ipv6,
    tcpKeepalive,
    tcpKeepaliveIdle: tcpKeepaliveIdle as number,
    backlog: backlog as number,
  }
}

function invalid(name: string, value: unknown): TransportError {
  return new TransportError("EINVAL", `tcp option ${name} has an invalid value ${String(value)}`)
}
