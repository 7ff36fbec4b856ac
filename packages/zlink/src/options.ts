import type { SocketOptions } from "@zl/sockets"
import { parseTcpAddressMask, type TcpAddressMask } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"
import { type NumberCast, type SocketState, stateOf, toBytes, toNumber, unsupported } from "./internal.js"
import type { SocketType } from "./socket.js"
import { warnNoEffect } from "./warnings.js"

/**
 * Every socket option of the `zeromq` v6 API, as one table per group of socket classes. A row says
 * what libzmq calls the option (its number), its C type (which decides how a JavaScript value is
 * checked and converted), where the value lives, and whether it applies at once. The accessors on
 * the socket classes, the option types, the protected raw-number methods and the options a
 * constructor takes all come from these rows.
 */

/** The C type of an option: how `zmq_setsockopt` would receive it from zeromq's binding. */
export type OptionKind = "bool" | NumberCast | "string"

interface BaseRow<V> {
  /** libzmq's option number (`ZMQ_LINGER` is 17), which the raw-number methods look rows up by. */
  readonly id: number
  readonly kind: OptionKind
  /** Reads the value, once the socket is known to be open. */
  readonly get: (state: SocketState) => V
}

/** An option that can only be read (`ZMQ_TYPE`, `ZMQ_LAST_ENDPOINT`...). */
export interface ReadOnlyRow<V> extends BaseRow<V> {
  readonly set?: undefined
}

/** An option that can be set. */
export interface WritableRow<V> extends BaseRow<V> {
  /**
   * Stores a value already converted to the option's C type; throws `EINVAL` where libzmq refuses
   * it. `value` is a number, a boolean, or bytes (`null` for none), after `kind`.
   */
  readonly set: (state: SocketState, value: never) => void
  /** The option applies at once: setting it after a bind or connect does not warn. */
  readonly immediate?: boolean
  /** False for a value zeromq ignores without a word (an unknown `verbosity`). */
  readonly accepts?: (value: unknown) => boolean
}

export type OptionRow<V = unknown> = ReadOnlyRow<V> | WritableRow<V>
export type OptionTable = Readonly<Record<string, OptionRow>>

type ValueOf<R> = R extends BaseRow<infer V> ? V : never
type ReadOnlyNames<T extends OptionTable> = {
  [K in keyof T]: T[K] extends WritableRow<unknown> ? never : K
}[keyof T]
type WritableNames<T extends OptionTable> = Exclude<keyof T, ReadOnlyNames<T>>

/** The properties a table gives a socket class: one per row, read-only where the row has no setter. */
export type Options<T extends OptionTable> = {
  -readonly [K in keyof Pick<T, WritableNames<T>>]: ValueOf<T[K]>
} & { readonly [K in keyof Pick<T, ReadOnlyNames<T>>]: ValueOf<T[K]> }

// ---- row builders ------------------------------------------------------------------------------------

type NumberKeys = {
  [K in keyof SocketOptions]: SocketOptions[K] extends number ? K : never
}[keyof SocketOptions]
type BooleanKeys = {
  [K in keyof SocketOptions]: SocketOptions[K] extends boolean ? K : never
}[keyof SocketOptions]

interface Timing {
  readonly immediate?: boolean
}

/** A numeric option of the core socket, checked as libzmq checks it. */
function coreNumber(
  key: NumberKeys,
  id: number,
  kind: NumberCast,
  valid: (value: number) => boolean,
  timing: Timing = {},
): WritableRow<number> {
  return {
    id,
    kind,
    get: (state) => state.core.options[key],
    set: (state, value: number) => {
      if (!valid(value)) throw zmqError("EINVAL")
      state.core.options[key] = value
    },
    ...timing,
  }
}

/** A boolean option of the core socket. */
function coreBoolean(key: BooleanKeys, id: number, timing: Timing = {}): WritableRow<boolean> {
  return {
    id,
    kind: "bool",
    get: (state) => state.core.options[key],
    set: (state, value: boolean) => {
      state.core.options[key] = value
    },
    ...timing,
  }
}

/**
 * An option that tunes something zlink does not have (multicast, kernel buffers, I/O threads): kept
 * and checked as libzmq checks it, read back as set, without effect.
 */
function tuning<V extends number | boolean>(
  name: string,
  id: number,
  kind: "bool" | NumberCast,
  fallback: V,
  valid: (value: number) => boolean = () => true,
): WritableRow<Widened<V>> {
  const row: WritableRow<V> = {
    id,
    kind,
    get: (state) => (state.tuning.get(name) as V | undefined) ?? fallback,
    set: (state, value: V) => {
      if (typeof value === "number" && !valid(value)) throw zmqError("EINVAL")
      state.tuning.set(name, value)
    },
  }
  return row as unknown as WritableRow<Widened<V>>
}

/** The option's type is number or boolean, not the literal type of its default (`rate: 100`). */
type Widened<V extends number | boolean> = V extends number ? number : boolean

/**
 * An option that libzmq hands to the operating system and Node 20 gives no way to set: kept, checked
 * and read back as libzmq does, with the one-time warning (see `warnNoEffect`) when it is set to
 * anything but its default. `reason` says what is missing.
 */
function noEffect<V extends number | boolean>(
  name: string,
  id: number,
  kind: "bool" | NumberCast,
  fallback: V,
  reason: string,
  valid: (value: number) => boolean = () => true,
): WritableRow<Widened<V>> {
  const row = tuning(name, id, kind, fallback, valid)
  return {
    ...row,
    set: (state, value: Widened<V>) => {
      ;(row.set as (state: SocketState, value: Widened<V>) => void)(state, value)
      if (value !== fallback) warnNoEffect(name, reason)
    },
  }
}

/**
 * A transport option the core socket does not know (`tcpKeepaliveIdle`): kept among the core
 * socket's options, which every bind and connect hands to its transport (`ListenOptions.options`,
 * `DialOptions.options`), so that the transport applies it from the next bind or connect on, as
 * libzmq does.
 */
function transportNumber(
  key: string,
  id: number,
  kind: NumberCast,
  fallback: number,
  valid: (value: number) => boolean,
): WritableRow<number> {
  return {
    id,
    kind,
    get: (state) => (transportOptionsOf(state)[key] as number | undefined) ?? fallback,
    set: (state, value: number) => {
      if (!valid(value)) throw zmqError("EINVAL")
      transportOptionsOf(state)[key] = value
    },
  }
}

function transportOptionsOf(state: SocketState): Record<string, unknown> {
  return state.core.options as unknown as Record<string, unknown>
}

/** An option whose feature zlink does not have yet: its default is accepted, anything else is `ENOTSUP`. */
function notYet(name: string, id: number, kind: "bool", timing?: Timing): WritableRow<boolean>
function notYet(name: string, id: number, kind: "string", timing?: Timing): WritableRow<string | null>
function notYet(
  name: string,
  id: number,
  kind: "bool" | "string",
  timing: Timing = {},
): WritableRow<unknown> {
  return {
    id,
    kind,
    get: () => (kind === "bool" ? false : null),
    set: (_state, value: boolean | Uint8Array | null) => {
      if (value !== false && value !== null) unsupported(name)
    },
    ...timing,
  }
}

/** A read-only option with a fixed value. */
function fixed<V>(id: number, kind: OptionKind, value: V): ReadOnlyRow<V> {
  return { id, kind, get: () => value }
}

/** A VMCI option: as libzmq built without VMCI, reading and writing fail with `EINVAL`. */
function vmci(id: number, kind: NumberCast): WritableRow<number> {
  const fail = (): never => {
    throw zmqError("EINVAL")
  }
  return { id, kind, get: fail, set: fail }
}

const utf8 = new TextDecoder()

function text(bytes: Uint8Array | null): string | null {
  return bytes === null || bytes.length === 0 ? null : utf8.decode(bytes)
}

const NO_IO_THREADS = "zlink runs every socket on Node's event loop and has no I/O threads to choose from"

// ---- the tables ----------------------------------------------------------------------------------------

/** Options of every socket. */
export const socketOptions = {
  /** `ZMQ_TYPE`: the libzmq socket type number. */
  type: { id: 16, kind: "int32", get: (state) => state.type as SocketType } as ReadOnlyRow<SocketType>,
  /** `ZMQ_LAST_ENDPOINT`: the resolved endpoint of the last bind or connect. */
  lastEndpoint: { id: 32, kind: "string", get: (state) => state.core.lastEndpoint } as ReadOnlyRow<
    string | null
  >,
  /** `ZMQ_MECHANISM`: null, as zlink speaks the NULL mechanism. */
  securityMechanism: fixed<null | "plain" | "curve" | "gssapi">(43, "int32", null),
  /** `ZMQ_THREAD_SAFE`: false, as libzmq's classic sockets. */
  threadSafe: fixed(81, "bool", false),
  /** `ZMQ_LINGER`: how long `close()` keeps flushing (ms); -1 forever. */
  linger: coreNumber("linger", 17, "int32", (v) => v >= -1, { immediate: true }),
  /** `ZMQ_RECONNECT_IVL` (ms); -1 never reconnects. */
  reconnectInterval: coreNumber("reconnectInterval", 18, "int32", (v) => v >= -1),
  /** `ZMQ_RECONNECT_IVL_MAX` (ms); 0 for no back-off. */
  reconnectMaxInterval: coreNumber("reconnectMaxInterval", 21, "int32", (v) => v >= 0),
  /** `ZMQ_BACKLOG`. */
  backlog: coreNumber("backlog", 19, "int32", (v) => v >= 0),
  /** `ZMQ_MAXMSGSIZE`: the largest message accepted from a peer; negative for no limit (docs/limits.md). */
  maxMessageSize: coreNumber("maxMessageSize", 22, "int64", () => true),
  /**
   * `ZMQ_TCP_KEEPALIVE`: -1 leaves the OS default, 0 turns `SO_KEEPALIVE` off, 1 on, on every
   * connection bound or connected after it is set (Node's `setKeepAlive`).
   */
  tcpKeepalive: coreNumber("tcpKeepalive", 34, "int32", (v) => v >= -1 && v <= 1),
  /** `ZMQ_IMMEDIATE`: queue messages only for completed connections. */
  immediate: coreBoolean("immediate", 39),
  /** `ZMQ_IPV6`. */
  ipv6: coreBoolean("ipv6", 42),
  /** `ZMQ_HANDSHAKE_IVL` (ms); 0 for no limit. */
  handshakeInterval: coreNumber("handshakeInterval", 66, "int32", (v) => v >= 0),
  /** `ZMQ_HEARTBEAT_IVL` (ms); 0 turns heartbeats off. */
  heartbeatInterval: coreNumber("heartbeatInterval", 75, "int32", (v) => v >= 0),
  /** `ZMQ_HEARTBEAT_TTL` (ms), kept in deciseconds as libzmq does: up to 6,553,500. */
  heartbeatTimeToLive: {
    id: 76,
    kind: "int32",
    get: (state) => state.core.options.heartbeatTimeToLive,
    set: (state, value: number) => {
      const deciseconds = Math.trunc(value / 100)
      if (deciseconds < 0 || deciseconds > 0xffff) throw zmqError("EINVAL")
      state.core.options.heartbeatTimeToLive = deciseconds * 100 + 0
    },
  } as WritableRow<number>,
  /** `ZMQ_HEARTBEAT_TIMEOUT` (ms); -1 (the default) means the heartbeat interval. */
  heartbeatTimeout: coreNumber("heartbeatTimeout", 77, "int32", (v) => v >= 0),
  /** `ZMQ_CONNECT_TIMEOUT` (ms); 0 for the OS default. */
  connectTimeout: coreNumber("connectTimeout", 79, "int32", (v) => v >= 0),
  /** `ZMQ_AFFINITY`: accepted and read back, without effect (warned once): no I/O threads. */
  affinity: noEffect("affinity", 4, "uint64", 0, NO_IO_THREADS),
  /** `ZMQ_RATE`: accepted, without effect (no multicast). */
  rate: tuning("rate", 8, "int32", 100, (v) => v > 0),
  /** `ZMQ_RECOVERY_IVL`: accepted, without effect (no multicast). */
  recoveryInterval: tuning("recoveryInterval", 9, "int32", 10_000, (v) => v >= 0),
  /** `ZMQ_MULTICAST_MAXTPDU`: accepted, without effect (no multicast). */
  multicastMaxTransportDataUnit: tuning("multicastMaxTransportDataUnit", 84, "int32", 1500, (v) => v > 0),
  /** `ZMQ_TOS`: accepted and read back, without effect (warned once): Node cannot set `IP_TOS`. */
  typeOfService: noEffect(
    "typeOfService",
    57,
    "int32",
    0,
    "Node 20's net sockets cannot set IP_TOS",
    (v) => v >= 0,
  ),
  /**
   * `ZMQ_TCP_KEEPALIVE_CNT`: accepted and read back, without effect (warned once): Node cannot set
   * `TCP_KEEPCNT`.
   */
  tcpKeepaliveCount: noEffect(
    "tcpKeepaliveCount",
    35,
    "int32",
    -1,
    "Node 20's net sockets cannot set TCP_KEEPCNT (when tcpKeepaliveIdle is set, libuv sets it to 10)",
    (v) => v >= -1,
  ),
  /**
   * `ZMQ_TCP_KEEPALIVE_IDLE`: seconds of idleness before the first keepalive probe, on connections
   * bound or connected with `tcpKeepalive` 1 after it is set; -1 (and 0) leave the OS default.
   */
  tcpKeepaliveIdle: transportNumber("tcpKeepaliveIdle", 36, "int32", -1, (v) => v >= -1),
  /**
   * `ZMQ_TCP_KEEPALIVE_INTVL`: accepted and read back, without effect (warned once): Node cannot set
   * `TCP_KEEPINTVL`.
   */
  tcpKeepaliveInterval: noEffect(
    "tcpKeepaliveInterval",
    37,
    "int32",
    -1,
    "Node 20's net sockets cannot set TCP_KEEPINTVL (when tcpKeepaliveIdle is set, libuv sets it to 1 s)",
    (v) => v >= -1,
  ),
  /**
   * `ZMQ_TCP_MAXRT`: accepted and read back, without effect (warned once): Node cannot set
   * `TCP_USER_TIMEOUT`.
   */
  tcpMaxRetransmitTimeout: noEffect(
    "tcpMaxRetransmitTimeout",
    80,
    "int32",
    0,
    "Node 20's net sockets cannot set TCP_USER_TIMEOUT",
    (v) => v >= 0,
  ),
  /** `ZMQ_LOOPBACK_FASTPATH`: accepted, without effect (Windows only in libzmq). */
  loopbackFastPath: tuning("loopbackFastPath", 94, "bool", false),
  /** `ZMQ_VMCI_BUFFER_SIZE`: fails with `EINVAL` (no VMCI transport). */
  vmciBufferSize: vmci(85, "uint64"),
  /** `ZMQ_VMCI_BUFFER_MIN_SIZE`: fails with `EINVAL` (no VMCI transport). */
  vmciBufferMinSize: vmci(86, "uint64"),
  /** `ZMQ_VMCI_BUFFER_MAX_SIZE`: fails with `EINVAL` (no VMCI transport). */
  vmciBufferMaxSize: vmci(87, "uint64"),
  /** `ZMQ_VMCI_CONNECT_TIMEOUT`: fails with `EINVAL` (no VMCI transport). */
  vmciConnectTimeout: vmci(88, "int32"),
  /** `ZMQ_PLAIN_SERVER`: PLAIN is not supported yet; only false is accepted. */
  plainServer: notYet("plainServer", 44, "bool"),
  /** `ZMQ_PLAIN_USERNAME`: PLAIN is not supported yet; only null is accepted. */
  plainUsername: notYet("plainUsername", 45, "string"),
  /** `ZMQ_PLAIN_PASSWORD`: PLAIN is not supported yet; only null is accepted. */
  plainPassword: notYet("plainPassword", 46, "string"),
  /** `ZMQ_CURVE_SERVER`: CURVE is not supported yet; only false is accepted. */
  curveServer: notYet("curveServer", 47, "bool"),
  /** `ZMQ_CURVE_PUBLICKEY`: CURVE is not supported yet; only null is accepted. */
  curvePublicKey: notYet("curvePublicKey", 48, "string"),
  /** `ZMQ_CURVE_SECRETKEY`: CURVE is not supported yet; only null is accepted. */
  curveSecretKey: notYet("curveSecretKey", 49, "string"),
  /** `ZMQ_CURVE_SERVERKEY`: CURVE is not supported yet; only null is accepted. */
  curveServerKey: notYet("curveServerKey", 50, "string"),
  /** `ZMQ_ZAP_DOMAIN`: ZAP is not supported yet; only null is accepted. */
  zapDomain: notYet("zapDomain", 55, "string"),
  /** `ZMQ_ZAP_ENFORCE_DOMAIN`: ZAP is not supported yet; only false is accepted. */
  zapEnforceDomain: notYet("zapEnforceDomain", 93, "bool"),
  /**
   * `ZMQ_SOCKS_PROXY`: `host:port` of a SOCKS5 proxy that tcp connects made afterwards go through,
   * without authentication as in zeromq v6; null connects directly. As libzmq, `""` is refused.
   */
  socksProxy: {
    id: 68,
    kind: "string",
    get: (state) => (transportOptionsOf(state).socksProxy as string | null | undefined) ?? null,
    set: (state, bytes: Uint8Array | null) => {
      if (bytes !== null && bytes.length === 0) throw zmqError("EINVAL")
      transportOptionsOf(state).socksProxy = text(bytes)
    },
  } as WritableRow<string | null>,
  /**
   * `ZMQ_TCP_ACCEPT_FILTER`: each value set adds an address (`"10.0.0.0/8"`, read with the socket's
   * `ipv6` at that moment) to the list a tcp bind made afterwards checks every peer against; null
   * empties the list. Write-only, as in libzmq: reading it fails with `EINVAL`.
   */
  tcpAcceptFilter: {
    id: 38,
    kind: "string",
    get: () => {
      throw zmqError("EINVAL")
    },
    set: (state, bytes: Uint8Array | null) => {
      const options = transportOptionsOf(state)
      if (bytes === null) {
        options.tcpAcceptFilter = []
        return
      }
      // libzmq takes 1 to 255 octets, read up to a NUL as C reads the string.
      if (bytes.length === 0 || bytes.length > 255) throw zmqError("EINVAL")
      const end = bytes.indexOf(0)
      let mask: TcpAddressMask
      try {
        mask = parseTcpAddressMask(utf8.decode(end < 0 ? bytes : bytes.subarray(0, end)), {
          ipv6: state.core.options.ipv6,
        })
      } catch {
        throw zmqError("EINVAL")
      }
      const list = (options.tcpAcceptFilter as readonly TcpAddressMask[] | undefined) ?? []
      options.tcpAcceptFilter = [...list, mask]
    },
  } as WritableRow<string | null>,
  /**
   * `ZMQ_BINDTODEVICE`: a network interface name of up to 16 octets, read back as set; null for
   * none. Node cannot bind a socket to a device, and neither can the libzmq that zeromq 6.8.0 ships
   * (built without `SO_BINDTODEVICE`): as there, a tcp bind made while it is set fails with
   * `ENOTSUP` and a tcp connect keeps failing and retrying; ipc and inproc ignore it.
   */
  interface: {
    id: 92,
    kind: "string",
    get: (state) => (transportOptionsOf(state).interface as string | null | undefined) ?? null,
    set: (state, bytes: Uint8Array | null) => {
      if (bytes !== null && (bytes.length === 0 || bytes.length > 16)) throw zmqError("EINVAL")
      transportOptionsOf(state).interface = text(bytes)
    },
  } as WritableRow<string | null>,
} as const satisfies OptionTable

/** Options of the sockets that send. */
export const writableOptions = {
  /** `ZMQ_MULTICAST_HOPS`: accepted, without effect (no multicast). */
  multicastHops: tuning("multicastHops", 25, "int32", 1, (v) => v > 0),
  /** `ZMQ_SNDBUF`: accepted and read back, without effect (warned once): Node cannot set `SO_SNDBUF`. */
  sendBufferSize: noEffect(
    "sendBufferSize",
    11,
    "int32",
    -1,
    "Node 20's net sockets cannot set SO_SNDBUF",
    (v) => v >= -1,
  ),
  /** `ZMQ_SNDHWM`: messages queued per peer before sends wait or drop; 0 for no limit. */
  sendHighWaterMark: coreNumber("sendHighWaterMark", 23, "int32", (v) => v >= 0, { immediate: true }),
  /** `ZMQ_SNDTIMEO` (ms); -1 waits forever, 0 fails at once with `EAGAIN`. */
  sendTimeout: coreNumber("sendTimeout", 28, "int32", (v) => v >= -1, { immediate: true }),
} as const satisfies OptionTable

/** Options of the sockets that receive. */
export const readableOptions = {
  /** `ZMQ_RCVBUF`: accepted and read back, without effect (warned once): Node cannot set `SO_RCVBUF`. */
  receiveBufferSize: noEffect(
    "receiveBufferSize",
    12,
    "int32",
    -1,
    "Node 20's net sockets cannot set SO_RCVBUF",
    (v) => v >= -1,
  ),
  /** `ZMQ_RCVHWM`: messages queued per peer before reading from it stops; 0 for no limit. */
  receiveHighWaterMark: coreNumber("receiveHighWaterMark", 24, "int32", (v) => v >= 0, { immediate: true }),
  /** `ZMQ_RCVTIMEO` (ms); -1 waits forever, 0 fails at once with `EAGAIN`. */
  receiveTimeout: coreNumber("receiveTimeout", 27, "int32", (v) => v >= -1, { immediate: true }),
} as const satisfies OptionTable

/** `ZMQ_ROUTING_ID`, of REQ, REP, DEALER and ROUTER: 1 to 255 octets. */
export const routingIdOptions = {
  /** `ZMQ_ROUTING_ID`: the identity this socket presents to ROUTER peers (1 to 255 octets). */
  routingId: {
    id: 5,
    kind: "string",
    get: (state) => text(state.core.options.routingId),
    set: (state, bytes: Uint8Array | null) => {
      if (bytes === null || bytes.length === 0 || bytes.length > 255) throw zmqError("EINVAL")
      state.core.options.routingId = bytes
    },
  } as WritableRow<string | null>,
} as const satisfies OptionTable

/** `ZMQ_CONFLATE`, of PUB, SUB, PUSH, PULL and DEALER. */
export const conflateOptions = {
  /** `ZMQ_CONFLATE`: not supported yet; only false is accepted. */
  conflate: notYet("conflate", 54, "bool"),
} as const satisfies OptionTable

/** `ZMQ_PROBE_ROUTER`, of REQ, DEALER and ROUTER. */
export const probeOptions = {
  /** `ZMQ_PROBE_ROUTER`: not supported yet; only false is accepted. */
  probeRouter: notYet("probeRouter", 51, "bool", { immediate: true }),
} as const satisfies OptionTable

/** `ZMQ_INVERT_MATCHING`, of PUB, SUB and XPUB. */
export const invertOptions = {
  /** `ZMQ_INVERT_MATCHING`: send to (PUB, XPUB) or accept (SUB) the messages that do not match. */
  invertMatching: coreBoolean("invertMatching", 74),
} as const satisfies OptionTable

/** `ZMQ_XPUB_NODROP`, of PUB and XPUB. */
export const noDropOptions = {
  /** `ZMQ_XPUB_NODROP`: wait (or fail with `EAGAIN`) instead of dropping at the high-water mark. */
  noDrop: coreBoolean("noDrop", 69),
} as const satisfies OptionTable

/** REQ's own options. */
export const requestOptions = {
  /** `ZMQ_REQ_CORRELATE`: not supported yet; only false is accepted. */
  correlate: notYet("correlate", 52, "bool", { immediate: true }),
  /** `ZMQ_REQ_RELAXED`: not supported yet; only false is accepted. */
  relaxed: notYet("relaxed", 53, "bool", { immediate: true }),
} as const satisfies OptionTable

/** ROUTER's own options. */
export const routerOptions = {
  /** `ZMQ_ROUTER_MANDATORY`: fail sends to unknown peers with `EHOSTUNREACH` instead of dropping them. */
  mandatory: coreBoolean("mandatory", 33, { immediate: true }),
  /** `ZMQ_ROUTER_HANDOVER`: a new peer with a routing id in use takes it over. */
  handover: coreBoolean("handover", 56, { immediate: true }),
} as const satisfies OptionTable

/** XPUB's own options. */
export const xpublisherOptions = {
  /** `ZMQ_XPUB_MANUAL`: not supported yet; only false is accepted. */
  manual: notYet("manual", 71, "bool"),
  /** `ZMQ_XPUB_WELCOME_MSG`: not supported yet; only null is accepted. */
  welcomeMessage: notYet("welcomeMessage", 72, "string"),
  /**
   * `ZMQ_XPUB_VERBOSE` ("allSubs") and `ZMQ_XPUB_VERBOSER` ("allSubsUnsubs"); as zeromq, any other
   * value is ignored.
   */
  verbosity: {
    id: 40,
    kind: "bool",
    get: (state) => state.core.options.verbosity,
    accepts: (value) => value === null || value === "allSubs" || value === "allSubsUnsubs",
    set: (state, value: null | "allSubs" | "allSubsUnsubs") => {
      state.core.options.verbosity = value
    },
    immediate: true,
  } as WritableRow<null | "allSubs" | "allSubsUnsubs">,
} as const satisfies OptionTable

// ---- accessors ---------------------------------------------------------------------------------------

/** Rows by libzmq option number, per prototype, for the raw-number methods. */
const rowsById = new WeakMap<object, Map<number, OptionRow>>()

/** Reads an option: `ENOTSOCK` once the socket is closed. */
export function readRow<V>(socket: object, row: OptionRow<V>): V {
  const state = stateOf(socket)
  state.assertSocket()
  return row.get(state)
}

/**
 * Writes an option as zeromq does: `TypeError` for a value of the wrong JavaScript type, the
 * late-option warning, the C conversion, `ENOTSOCK` once closed, then `EINVAL` where libzmq refuses
 * the value.
 */
export function writeRow(socket: object, row: WritableRow<unknown>, value: unknown): void {
  if (row.accepts !== undefined) {
    if (!row.accepts(value)) return
  } else if (row.kind === "bool") {
    if (typeof value !== "boolean") throw new TypeError("Option value must be a boolean")
  } else if (row.kind === "string") {
    if (typeof value !== "string" && !(value instanceof Uint8Array) && value !== null) {
      throw new TypeError("Option value must be a string or buffer")
    }
  } else if (typeof value !== "number") {
    throw new TypeError("Option value must be a number")
  }
  const state = stateOf(socket)
  state.warnUnlessImmediate(row.immediate ?? false)
  let converted = value
  if (row.accepts === undefined) {
    if (row.kind === "string") converted = toBytes(value as string | Uint8Array | null)
    else if (row.kind !== "bool") converted = toNumber(row.kind, value as number)
  }
  state.assertSocket()
  ;(row.set as (state: SocketState, value: unknown) => void)(state, converted)
}

/** Gives each class the accessors of a table's rows. */
export function defineOptions(targets: readonly { prototype: object }[], table: OptionTable): void {
  for (const target of targets) {
    let ids = rowsById.get(target.prototype)
    if (ids === undefined) {
      ids = new Map()
      rowsById.set(target.prototype, ids)
    }
    for (const [name, row] of Object.entries(table)) {
      ids.set(row.id, row)
      const setter = row.set === undefined ? undefined : row
      Object.defineProperty(target.prototype, name, {
        configurable: true,
        enumerable: false,
        get(this: object) {
          return readRow(this, row)
        },
        ...(setter === undefined
          ? {}
          : {
              set(this: object, value: unknown) {
                writeRow(this, setter, value)
              },
            }),
      })
    }
  }
}

/**
 * The row of libzmq option `id` on `socket`'s class, for the raw-number methods; `EINVAL` when the
 * class has no such option or its C type is another, as `zmq_getsockopt` and `zmq_setsockopt` fail.
 */
export function rowById(socket: object, id: number, kinds: readonly OptionKind[]): OptionRow {
  for (let proto = Object.getPrototypeOf(socket); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const row = rowsById.get(proto)?.get(id)
    if (row !== undefined) {
      if (!kinds.includes(row.kind)) break
      return row
    }
  }
  throw zmqError("EINVAL")
}
