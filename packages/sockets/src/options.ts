import { ZlError } from "@zl/codec"

/**
 * Socket options, named as the `zeromq` v6 package names them, with libzmq 4.3.5's defaults.
 * Times are in milliseconds.
 */
export interface SocketOptions {
  /** `ZMQ_LINGER`: how long `close()` keeps flushing queued messages; -1 forever, 0 not at all. */
  linger: number
  /** `ZMQ_SNDHWM`: messages queued per peer before sends block or drop; 0 for no limit. */
  sendHighWaterMark: number
  /** `ZMQ_RCVHWM`: messages queued per peer before reading from it stops; 0 for no limit. */
  receiveHighWaterMark: number
  /** `ZMQ_SNDTIMEO`: how long a send may wait; -1 forever, 0 fail at once with `EAGAIN`. */
  sendTimeout: number
  /** `ZMQ_RCVTIMEO`: how long a receive may wait; -1 forever, 0 fail at once with `EAGAIN`. */
  receiveTimeout: number
  /** `ZMQ_RECONNECT_IVL`: first delay before reconnecting; -1 never reconnects. */
  reconnectInterval: number
  /** `ZMQ_RECONNECT_IVL_MAX`: when above 0, reconnect delays double up to this. */
  reconnectMaxInterval: number
  /** `ZMQ_CONNECT_TIMEOUT`: how long a connect attempt may take; 0 for the OS default. */
  connectTimeout: number
  /** `ZMQ_MAXMSGSIZE`: the largest frame accepted from a peer; -1 for no limit. */
  maxMessageSize: number
  /** `ZMQ_HANDSHAKE_IVL`: time allowed for the ZMTP handshake; 0 for no limit. */
  handshakeInterval: number
  /** `ZMQ_HEARTBEAT_IVL`: interval between PINGs; 0 turns heartbeats off. */
  heartbeatInterval: number
  /** `ZMQ_HEARTBEAT_TIMEOUT`: how long to wait for traffic after a PING; -1 means the interval. */
  heartbeatTimeout: number
  /** `ZMQ_HEARTBEAT_TTL`: the TTL announced to the peer. */
  heartbeatTimeToLive: number
  /** `ZMQ_IMMEDIATE`: queue messages only for completed connections. */
  immediate: boolean
  /** `ZMQ_ROUTING_ID`: the identity this socket presents to ROUTER peers. */
  routingId: Uint8Array | null
  /** `ZMQ_IPV6`: bind `*` to IPv6 and IPv4. */
  ipv6: boolean
  /** `ZMQ_TCP_KEEPALIVE`: -1 OS default, 0 off, 1 on. */
  tcpKeepalive: number
  /** `ZMQ_BACKLOG`: pending connections queue length of listeners. */
  backlog: number
  /** `ZMQ_ROUTER_MANDATORY`: ROUTER fails sends to unknown peers with `EHOSTUNREACH` instead of dropping them. */
  mandatory: boolean
  /** `ZMQ_ROUTER_HANDOVER`: a new peer presenting a routing id in use takes it over. */
  handover: boolean
  /** `ZMQ_XPUB_NODROP`: PUB/XPUB block (or fail with `EAGAIN`) instead of dropping at the high-water mark. */
  noDrop: boolean
  /** `ZMQ_XPUB_VERBOSE` / `ZMQ_XPUB_VERBOSER`: which subscription messages XPUB passes up. */
  verbosity: null | "allSubs" | "allSubsUnsubs"
  /** `ZMQ_INVERT_MATCHING`: PUB sends to, and SUB accepts, only messages that do not match. */
  invertMatching: boolean
  /**
   * `ZMQ_CONFLATE`: each pipe keeps only its newest message, both ways, and the high-water marks do
   * not apply. Effective for DEALER, PULL, PUSH, PUB and SUB (see {@link conflates}), as in libzmq.
   */
  conflate: boolean
  /** `ZMQ_PROBE_ROUTER`: DEALER, REQ and ROUTER send an empty message first on each new pipe. */
  probeRouter: boolean
  /** `ZMQ_REQ_RELAXED`: a REQ may send a new request before the reply to the last one. */
  relaxed: boolean
  /** `ZMQ_REQ_CORRELATE`: a REQ prefixes each request with a request id and drops replies without it. */
  correlate: boolean
  /** `ZMQ_XPUB_MANUAL`: XPUB passes every subscription up and applies none; see `subscribeLast`. */
  manual: boolean
  /** `ZMQ_XPUB_WELCOME_MSG`: the message XPUB sends each subscriber as it attaches; null for none. */
  welcomeMessage: Uint8Array | null
}

/** Defaults, as libzmq 4.3.5 sets them. */
export const defaultOptions: Readonly<SocketOptions> = {
  linger: -1,
  sendHighWaterMark: 1000,
  receiveHighWaterMark: 1000,
  sendTimeout: -1,
  receiveTimeout: -1,
  reconnectInterval: 100,
  reconnectMaxInterval: 0,
  connectTimeout: 0,
  maxMessageSize: -1,
  handshakeInterval: 30_000,
  heartbeatInterval: 0,
  heartbeatTimeout: -1,
  heartbeatTimeToLive: 0,
  immediate: false,
  routingId: null,
  ipv6: false,
  tcpKeepalive: -1,
  backlog: 100,
  mandatory: false,
  handover: false,
  noDrop: false,
  verbosity: null,
  invertMatching: false,
  conflate: false,
  probeRouter: false,
  relaxed: false,
  correlate: false,
  manual: false,
  welcomeMessage: null,
}

/** What a valid value of each option looks like. */
const checks: { readonly [K in keyof SocketOptions]: (value: unknown) => boolean } = {
  linger: integerFrom(-1),
  sendHighWaterMark: integerFrom(0),
  receiveHighWaterMark: integerFrom(0),
  sendTimeout: integerFrom(-1),
  receiveTimeout: integerFrom(-1),
  reconnectInterval: integerFrom(-1),
  reconnectMaxInterval: integerFrom(0),
  connectTimeout: integerFrom(0),
  maxMessageSize: (v) => Number.isSafeInteger(v),
  handshakeInterval: integerFrom(0),
  heartbeatInterval: integerFrom(0),
  heartbeatTimeout: integerFrom(-1),
  // Sent in deciseconds in two octets (RFC 37).
  heartbeatTimeToLive: (v) => integerFrom(0)(v) && (v as number) <= 0xffff * 100,
  immediate: isBoolean,
  routingId: (v) => v === null || (v instanceof Uint8Array && v.length >= 1 && v.length <= 255),
  ipv6: isBoolean,
  tcpKeepalive: (v) => v === -1 || v === 0 || v === 1,
  backlog: integerFrom(0),
  mandatory: isBoolean,
  handover: isBoolean,
  noDrop: isBoolean,
  verbosity: (v) => v === null || v === "allSubs" || v === "allSubsUnsubs",
  invertMatching: isBoolean,
  conflate: isBoolean,
  probeRouter: isBoolean,
  relaxed: isBoolean,
  correlate: isBoolean,
  manual: isBoolean,
  welcomeMessage: (v) => v === null || v instanceof Uint8Array,
}

function integerFrom(min: number): (value: unknown) => boolean {
  return (value) => Number.isSafeInteger(value) && (value as number) >= min
}

function isBoolean(value: unknown): boolean {
  return typeof value === "boolean"
}

/**
 * Checks option values as libzmq's `zmq_setsockopt` does; throws `EINVAL` naming the first bad one.
 * Keys that are not socket options (a transport's own) are left to whoever reads them.
 *
 * @example
 * ```ts
 * checkOptions({ linger: -2 }) // throws ZlError EINVAL
 * ```
 */
export function checkOptions(options: Partial<SocketOptions>): void {
  for (const [name, value] of Object.entries(options)) {
    const check = checks[name as keyof SocketOptions] as ((value: unknown) => boolean) | undefined
    if (check !== undefined && !check(value)) {
      throw new ZlError("EINVAL", `invalid value for the socket option ${name}: ${String(value)}`)
    }
  }
}

/** A high-water mark of 0 means no limit. */
export function limit(hwm: number): number {
  return hwm <= 0 ? Number.POSITIVE_INFINITY : hwm
}

/** The socket types on which libzmq's `ZMQ_CONFLATE` takes effect (`get_effective_conflate_option`). */
const CONFLATING_TYPES: ReadonlySet<string> = new Set(["DEALER", "PULL", "PUSH", "PUB", "SUB"])

/**
 * Whether a socket of `type` with these options makes conflating pipes. libzmq decides it when a
 * pipe is made, so a pipe keeps the setting it was made with.
 */
export function conflates(type: string, options: SocketOptions): boolean {
  return options.conflate && CONFLATING_TYPES.has(type)
}
