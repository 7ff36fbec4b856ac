import type { SocketOptions, SubscriberSocket, XPublisherSocket } from "@zl/sockets"
import { parseTcpAddressMask, type TcpAddressMask } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"
import {
  type ArgumentCheck,
  type ContextState,
  contextStateOf,
  isNumber,
  isStringLike,
  type NumberCast,
  type SocketState,
  socketTypes,
  stateOf,
  toBytes,
  toNumber,
  unsupported,
  validateArguments,
} from "./internal.js"
import type { SocketType } from "./socket.js"
import { warnNoEffect } from "./warnings.js"

/**
 * Every socket option of the `zeromq` v6 API, as one table per group of socket classes, and the
 * options of a context. A row says what libzmq calls the option (its number), its C type (which
 * decides how a JavaScript value is checked and converted), where the value lives, and whether it
 * applies at once. The accessors on the socket and context classes, the option types, the protected
 * raw-number methods and the options a constructor takes all come from these rows, and so does
 * every check of a value: the `TypeError`s of zeromq's binding, then libzmq's `EINVAL`.
 */

/** The C type of an option: how `zmq_setsockopt` would receive it from zeromq's binding. */
export type OptionKind = "bool" | NumberCast | "string"

/**
 * How libzmq takes a C int set by number for a boolean option. `strict`: 0 or 1, anything else is
 * `EINVAL` (the core options `ZMQ_IMMEDIATE`, `ZMQ_IPV6`, `ZMQ_CONFLATE`...). `relaxed`: any value,
 * non-zero is true (`ZMQ_INVERT_MATCHING`, `ZMQ_LOOPBACK_FASTPATH`, `ZMQ_ZAP_ENFORCE_DOMAIN`).
 * `nonNegative`: negatives are `EINVAL`, other values non-zero is true (the options of one socket
 * type, `ZMQ_ROUTER_MANDATORY`..., and a context's `ZMQ_IPV6` and `ZMQ_BLOCKY`).
 */
export type IntAsBool = "strict" | "relaxed" | "nonNegative"

interface BaseRow<V, S> {
  /** libzmq's option number (`ZMQ_LINGER` is 17), which the raw-number methods look rows up by. */
  readonly id: number
  readonly kind: OptionKind
  /**
   * Reads the value, once the socket is known to be open. Absent for an option libzmq cannot read
   * (`ZMQ_SUBSCRIBE`): reading it by number is `EINVAL`.
   */
  readonly get?: (state: S) => V
  /** False for a row reached by its name only, not by its number (`verbosity`, two options in libzmq). */
  readonly numbered?: false
  /**
   * libzmq cannot read it back (an option of one socket type, which libzmq sets with `xsetsockopt`
   * and has no getter for): reading it by number is `EINVAL`. The property reads what was set.
   */
  readonly unreadableByNumber?: true
  /** The JavaScript values of the C ints 0, 1, 2..., where the property shows a name for the number. */
  readonly values?: readonly unknown[]
}

/** An option that can only be read (`ZMQ_TYPE`, `ZMQ_LAST_ENDPOINT`...). */
export interface ReadOnlyRow<V, S = SocketState> extends BaseRow<V, S> {
  readonly get: (state: S) => V
  readonly set?: undefined
}

/** An option that can be set. */
export interface WritableRow<V, S = SocketState> extends BaseRow<V, S> {
  /**
   * Stores a value already converted to the option's C type; throws `EINVAL` where libzmq refuses
   * it. `value` is a number, a boolean, or bytes (`null` for none), after `kind`.
   */
  readonly set: (state: S, value: never) => void
  /** The option applies at once: setting it after a bind or connect does not warn. */
  readonly immediate?: boolean
  /** False for a value zeromq ignores without a word (an unknown `verbosity`). */
  readonly accepts?: (value: unknown) => boolean
  /** A boolean option set by number with a C int: see {@link IntAsBool}; `strict` unless given. */
  readonly intAsBool?: IntAsBool
  /** The property has a setter only, as zeromq's write-only options: reading it gives undefined. */
  readonly writeOnly?: boolean
}

export type OptionRow<V = unknown, S = SocketState> = ReadOnlyRow<V, S> | WritableRow<V, S>
export type OptionTable<S = SocketState> = Readonly<Record<string, OptionRow<unknown, S>>>

type ValueOf<R> = R extends BaseRow<infer V, never> ? V : never
type ReadOnlyNames<T extends OptionTable<never>> = {
  [K in keyof T]: T[K] extends WritableRow<unknown, never> ? never : K
}[keyof T]
type WritableNames<T extends OptionTable<never>> = Exclude<keyof T, ReadOnlyNames<T>>

/** The properties a table gives a socket class: one per row, read-only where the row has no setter. */
export type Options<T extends OptionTable<never>> = {
  -readonly [K in keyof Pick<T, WritableNames<T>>]: ValueOf<T[K]>
} & { readonly [K in keyof Pick<T, ReadOnlyNames<T>>]: ValueOf<T[K]> }

// ---- row builders ------------------------------------------------------------------------------------

type NumberKeys = {
  [K in keyof SocketOptions]: SocketOptions[K] extends number ? K : never
}[keyof SocketOptions]
type BooleanKeys = {
  [K in keyof SocketOptions]: SocketOptions[K] extends boolean ? K : never
}[keyof SocketOptions]

/** What a row builder may add: whether the option applies at once, and how it takes a C int. */
interface Traits {
  readonly immediate?: boolean
  readonly intAsBool?: IntAsBool
  readonly unreadableByNumber?: true
}

/** A numeric option of the core socket, checked as libzmq checks it. */
function coreNumber(
  key: NumberKeys,
  id: number,
  kind: NumberCast,
  valid: (value: number) => boolean,
  traits: Traits = {},
): WritableRow<number> {
  return {
    id,
    kind,
    get: (state) => state.core.options[key],
    set: (state, value: number) => {
      if (!valid(value)) throw zmqError("EINVAL")
      state.core.options[key] = value
    },
    ...traits,
  }
}

/** A boolean option of the core socket. */
function coreBoolean(key: BooleanKeys, id: number, traits: Traits = {}): WritableRow<boolean> {
  return {
    id,
    kind: "bool",
    get: (state) => state.core.options[key],
    set: (state, value: boolean) => {
      state.core.options[key] = value
    },
    ...traits,
  }
}

/**
 * An option that tunes something zlink does not have (multicast, kernel buffers, I/O threads): kept
 * and checked as libzmq checks it, read back as set, without effect.
 */
/** `number` for a numeric default such as `100`, so that the option takes any number. */
type Widened<V> = V extends boolean ? boolean : number

function tuning<V extends number | boolean>(
  name: string,
  id: number,
  kind: "bool" | NumberCast,
  fallback: V,
  valid: (value: number) => boolean = () => true,
  traits: Traits = {},
): WritableRow<Widened<V>> {
  return {
    id,
    kind,
    get: (state) => (state.tuning.get(name) as Widened<V> | undefined) ?? (fallback as Widened<V>),
    set: (state, value: V) => {
      if (typeof value === "number" && !valid(value)) throw zmqError("EINVAL")
      state.tuning.set(name, value)
    },
    ...traits,
  }
}

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

/**
 * An option whose feature zlink does not have yet: its default (false, or null or empty, which
 * libzmq takes as none) is accepted, anything else is `ENOTSUP`.
 */
function notYet(name: string, id: number, kind: "bool", traits?: Traits): WritableRow<boolean>
function notYet(name: string, id: number, kind: "string", traits?: Traits): WritableRow<string | null>
function notYet(
  name: string,
  id: number,
  kind: "bool" | "string",
  traits: Traits = {},
): WritableRow<unknown> {
  return {
    id,
    kind,
    get: () => (kind === "bool" ? false : null),
    set: (_state, value: boolean | Uint8Array | null) => {
      if (value !== false && value !== null && !(value instanceof Uint8Array && value.length === 0)) {
        unsupported(name)
      }
    },
    ...traits,
  }
}

/** A read-only option with a fixed value. */
function fixed<V>(id: number, kind: OptionKind, value: V, values?: readonly V[]): ReadOnlyRow<V> {
  return { id, kind, get: () => value, ...(values === undefined ? {} : { values }) }
}

/** The options of one socket type, by number: negatives are `EINVAL`, and libzmq cannot read them. */
const PER_TYPE: Traits = { intAsBool: "nonNegative", unreadableByNumber: true }

/** A VMCI option: as libzmq built without VMCI, reading and writing fail with `EINVAL`. */
function vmci(id: number, kind: NumberCast): WritableRow<number> {
  const fail = (): never => {
    throw zmqError("EINVAL")
  }
  return { id, kind, get: fail, set: fail }
}

const utf8 = new TextDecoder()

/**
 * A string option as zeromq reads it: null when empty (or a lone NUL), otherwise the text up to the
 * first NUL, as the binding makes a JavaScript string of a C string.
 */
function text(bytes: Uint8Array | null): string | null {
  if (bytes === null || bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0)) return null
  const end = bytes.indexOf(0)
  return utf8.decode(end === -1 ? bytes : bytes.subarray(0, end))
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
  securityMechanism: fixed<null | "plain" | "curve" | "gssapi">(43, "int32", null, [
    null,
    "plain",
    "curve",
    "gssapi",
  ]),
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
  loopbackFastPath: tuning("loopbackFastPath", 94, "bool", false, undefined, { intAsBool: "relaxed" }),
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
  zapEnforceDomain: notYet("zapEnforceDomain", 93, "bool", { intAsBool: "relaxed" }),
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

/**
 * Options of every socket that zeromq reads by number only. zlink receives whole messages, so there
 * is never more to receive (`ZMQ_RCVMORE`); `ZMQ_EVENTS` is what `readable` and `writable` say.
 */
export const socketNumberedOptions = {
  receiveMore: fixed(13, "int32", 0),
  events: {
    id: 15,
    kind: "int32",
    get: (state) => (state.closed ? 0 : (state.core.readable ? 1 : 0) | (state.core.writable ? 2 : 0)),
  } as ReadOnlyRow<number>,
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
  /**
   * `ZMQ_CONFLATE`: each pipe keeps only its newest message (of a multipart message, its last part),
   * both ways, and the high-water marks do not apply. A pipe keeps the setting it was made with.
   */
  conflate: coreBoolean("conflate", 54),
} as const satisfies OptionTable

/** `ZMQ_PROBE_ROUTER`, of REQ, DEALER and ROUTER. */
export const probeOptions = {
  /**
   * `ZMQ_PROBE_ROUTER`: an empty message goes first on each new pipe, so that a ROUTER peer learns
   * this peer's routing id; sent once per pipe, as libzmq (see `sendProbe` in `@zl/sockets`).
   */
  probeRouter: coreBoolean("probeRouter", 51, { immediate: true, ...PER_TYPE }),
} as const satisfies OptionTable

/** `ZMQ_INVERT_MATCHING`, of PUB, SUB and XPUB. */
export const invertOptions = {
  /** `ZMQ_INVERT_MATCHING`: send to (PUB, XPUB) or accept (SUB) the messages that do not match. */
  invertMatching: coreBoolean("invertMatching", 74, { intAsBool: "relaxed" }),
} as const satisfies OptionTable

/** `ZMQ_XPUB_NODROP`, of PUB and XPUB. */
export const noDropOptions = {
  /** `ZMQ_XPUB_NODROP`: wait (or fail with `EAGAIN`) instead of dropping at the high-water mark. */
  noDrop: coreBoolean("noDrop", 69, PER_TYPE),
} as const satisfies OptionTable

/** REQ's own options. */
export const requestOptions = {
  /** `ZMQ_REQ_CORRELATE`: each request goes out after a 4-octet request id; replies must echo it. */
  correlate: coreBoolean("correlate", 52, { immediate: true, ...PER_TYPE }),
  /** `ZMQ_REQ_RELAXED`: a new request may go out before the reply to the last one, which is dropped. */
  relaxed: coreBoolean("relaxed", 53, { immediate: true, ...PER_TYPE }),
} as const satisfies OptionTable

/** ROUTER's own options. */
export const routerOptions = {
  /** `ZMQ_ROUTER_MANDATORY`: fail sends to unknown peers with `EHOSTUNREACH` instead of dropping them. */
  mandatory: coreBoolean("mandatory", 33, { immediate: true, ...PER_TYPE }),
  /** `ZMQ_ROUTER_HANDOVER`: a new peer with a routing id in use takes it over. */
  handover: coreBoolean("handover", 56, { immediate: true, ...PER_TYPE }),
} as const satisfies OptionTable

/** XPUB's own options. */
export const xpublisherOptions = {
  /**
   * `ZMQ_XPUB_MANUAL`: every subscription and cancellation is received and none is applied; the
   * application applies one to the subscriber it came from with `setStringOption(6, topic)`
   * (`ZMQ_SUBSCRIBE`; 7, `ZMQ_UNSUBSCRIBE`, cancels), see {@link xpublisherNumberedOptions}.
   */
  manual: coreBoolean("manual", 71, PER_TYPE),
  /** `ZMQ_XPUB_WELCOME_MSG`: the message each subscriber gets as it connects; null or empty for none. */
  welcomeMessage: {
    id: 72,
    kind: "string",
    get: (state) => text(state.core.options.welcomeMessage),
    set: (state, bytes: Uint8Array | null) => {
      state.core.options.welcomeMessage = bytes === null || bytes.length === 0 ? null : bytes.slice()
    },
    unreadableByNumber: true,
  } as WritableRow<string | null>,
  /**
   * `ZMQ_XPUB_VERBOSE` ("allSubs") and `ZMQ_XPUB_VERBOSER` ("allSubsUnsubs"); as zeromq, any other
   * value is ignored. By number, these are the rows of {@link xpublisherNumberedOptions}.
   */
  verbosity: {
    id: 40,
    numbered: false,
    kind: "bool",
    get: (state) => state.core.options.verbosity,
    accepts: (value) => value === null || value === "allSubs" || value === "allSubsUnsubs",
    set: (state, value: null | "allSubs" | "allSubsUnsubs") => {
      state.core.options.verbosity = value
    },
    immediate: true,
  } as WritableRow<null | "allSubs" | "allSubsUnsubs">,
} as const satisfies OptionTable

/**
 * XPUB's options by number that zeromq sets through its `verbosity` property. libzmq cannot read
 * them back.
 */
export const xpublisherNumberedOptions = {
  /** `ZMQ_XPUB_VERBOSE`: 1 passes on every subscription ("allSubs"), 0 none twice (null). */
  xpubVerbose: {
    id: 40,
    kind: "bool",
    set: (state, on: boolean) => {
      state.core.options.verbosity = on ? "allSubs" : null
    },
    immediate: true,
    intAsBool: "nonNegative",
  } as WritableRow<boolean>,
  /** `ZMQ_XPUB_VERBOSER`: 1 passes on every subscription and cancellation ("allSubsUnsubs"). */
  xpubVerboser: {
    id: 78,
    kind: "bool",
    set: (state, on: boolean) => {
      state.core.options.verbosity = on ? "allSubsUnsubs" : null
    },
    immediate: true,
    intAsBool: "nonNegative",
  } as WritableRow<boolean>,
  /**
   * `ZMQ_SUBSCRIBE` on XPUB in manual mode: subscribes the subscriber of the last subscription
   * message received (libzmq's `_last_pipe`) to the topic. zeromq 6.8.0 has no method for it: the
   * protected `setStringOption(6, topic)` reaches it. `EINVAL` unless `manual` is set, as libzmq.
   */
  subscribe: manualSubscription(6, true),
  /** `ZMQ_UNSUBSCRIBE` on XPUB in manual mode: `setStringOption(7, topic)`. */
  unsubscribe: manualSubscription(7, false),
} as const satisfies OptionTable

/** XPUB's `ZMQ_SUBSCRIBE` and `ZMQ_UNSUBSCRIBE`, in manual mode only. */
function manualSubscription(id: number, subscribe: boolean): WritableRow<Uint8Array | null> {
  return {
    id,
    kind: "string",
    set: (state, prefix: Uint8Array | null) => {
      const core = state.core as XPublisherSocket
      if (!core.options.manual) throw zmqError("EINVAL")
      const bytes = prefix ?? new Uint8Array(0)
      if (subscribe) core.subscribeLast(bytes)
      else core.unsubscribeLast(bytes)
    },
    immediate: true,
  }
}

/** A subscription of SUB (`ZMQ_SUBSCRIBE`, `ZMQ_UNSUBSCRIBE`): a prefix, null or empty for all. */
function subscription(id: number, subscribe: boolean): WritableRow<Uint8Array | null> {
  return {
    id,
    kind: "string",
    set: (state, prefix: Uint8Array | null) => {
      const core = state.core as SubscriberSocket
      const bytes = prefix ?? new Uint8Array(0)
      if (subscribe) core.subscribe(bytes)
      else core.unsubscribe(bytes)
    },
    immediate: true,
  }
}

/** SUB's options by number, which `subscribe()` and `unsubscribe()` set. libzmq cannot read them. */
export const subscriberNumberedOptions = {
  subscribe: subscription(6, true),
  unsubscribe: subscription(7, false),
} as const satisfies OptionTable

/** A numeric option of a context (`zmq_ctx_set`), checked as libzmq checks it. */
function contextNumber(
  key: "ioThreads" | "maxSockets" | "maxMessageSize" | "threadPriority" | "threadSchedulingPolicy",
  id: number,
  valid: (value: number) => boolean,
): WritableRow<number, ContextState> {
  return {
    id,
    kind: "int32",
    get: (state) => state[key],
    set: (state, value: number) => {
      if (!valid(value)) throw zmqError("EINVAL")
      state[key] = value
    },
  }
}

/** A context option without effect here: the one-time warning when set to anything but `fallback`. */
function warnedContextNumber(
  name: string,
  row: WritableRow<number, ContextState>,
  fallback: number,
  reason: string,
): WritableRow<number, ContextState> {
  return {
    ...row,
    set: (state, value: number) => {
      ;(row.set as (state: ContextState, value: number) => void)(state, value)
      if (value !== fallback) warnNoEffect(name, reason)
    },
  }
}

/** A boolean option of a context: libzmq takes any C int but negatives. */
function contextBoolean(key: "ipv6" | "blocky", id: number): WritableRow<boolean, ContextState> {
  return {
    id,
    kind: "bool",
    get: (state) => state[key],
    set: (state, value: boolean) => {
      state[key] = value
    },
    intAsBool: "nonNegative",
  }
}

/**
 * A context's options, with zeromq's names. zlink has no I/O threads: `ioThreads`, `maxSockets`,
 * `maxMessageSize` and the thread options are kept and checked as libzmq checks them, without
 * effect; `blocky` and `ipv6` are what new sockets start with.
 */
export const contextOptions = {
  /** `ZMQ_IO_THREADS`: 0 or more; without effect, warned once when not 1. */
  ioThreads: warnedContextNumber(
    "ioThreads",
    contextNumber("ioThreads", 1, (v) => v >= 0),
    1,
    "zlink runs every socket on Node's event loop and has no I/O threads",
  ),
  /** `ZMQ_MAX_SOCKETS`: 1 or more. */
  maxSockets: contextNumber("maxSockets", 2, (v) => v >= 1),
  /** `ZMQ_SOCKET_LIMIT`: the largest `maxSockets` libzmq allows. */
  maxSocketsLimit: { id: 3, kind: "int32", get: () => 65_535 } as ReadOnlyRow<number, ContextState>,
  /** `ZMQ_THREAD_PRIORITY`, write-only as in zeromq (libzmq reads number 3 as `ZMQ_SOCKET_LIMIT`). */
  threadPriority: {
    ...contextNumber("threadPriority", 3, (v) => v >= 0),
    get: undefined,
    writeOnly: true,
  } as WritableRow<number, ContextState>,
  /** `ZMQ_THREAD_SCHED_POLICY`: a write-only property as in zeromq; `zmq_ctx_get` (by number) reads it. */
  threadSchedulingPolicy: {
    ...contextNumber("threadSchedulingPolicy", 4, (v) => v >= 0),
    writeOnly: true,
  } as WritableRow<number, ContextState>,
  /** `ZMQ_MAX_MSGSZ`: 0 or more; `INT_MAX` by default. */
  maxMessageSize: contextNumber("maxMessageSize", 5, (v) => v >= 0),
  /** `ZMQ_IPV6`: new sockets start with `ipv6` set. */
  ipv6: contextBoolean("ipv6", 42),
  /** `ZMQ_BLOCKY`: when false, new sockets start with `linger` 0. */
  blocky: contextBoolean("blocky", 70),
} as const satisfies OptionTable<ContextState>

// ---- accessors ---------------------------------------------------------------------------------------

/** What the accessors need to know of the objects that have options: sockets and contexts. */
export interface OptionHost<S> {
  /** The state behind an API object; `TypeError` for anything else. */
  readonly state: (target: object) => S
  /** Where rows are looked up by number: the prototype of the class whose options `target` has. */
  readonly rows: (target: object, state: S) => object | null
  /** Before a value is stored: zeromq's warning for an option set too late to take effect. */
  readonly beforeWrite: (state: S, immediate: boolean) => void
  /** Before an option is read or stored: `ENOTSOCK` once a socket is closed. */
  readonly assertOpen: (state: S) => void
}

/**
 * Sockets. By number, a socket has the options of its libzmq type, whatever its class: a
 * `new Socket(5)` reaches DEALER's `ZMQ_ROUTING_ID` as `zmq_setsockopt` would.
 */
export const socketHost: OptionHost<SocketState> = {
  state: stateOf,
  rows: (target, state) => socketTypes.get(state.type)?.prototype ?? Object.getPrototypeOf(target),
  beforeWrite: (state, immediate) => state.warnUnlessImmediate(immediate),
  assertOpen: (state) => state.assertSocket(),
}

/** Contexts: no warning, and nothing closes them. */
export const contextHost: OptionHost<ContextState> = {
  state: contextStateOf,
  rows: (target) => Object.getPrototypeOf(target),
  beforeWrite: () => {},
  assertOpen: () => {},
}

/** Rows by libzmq option number, per prototype, for the raw-number methods. */
const rowsById = new WeakMap<object, Map<number, OptionRow<unknown, never>[]>>()

/** Reads an option: `ENOTSOCK` once the socket is closed. */
export function readRow<V, S>(host: OptionHost<S>, target: object, row: OptionRow<V, S>): V {
  const state = host.state(target)
  host.assertOpen(state)
  if (row.get === undefined) throw zmqError("EINVAL")
  return row.get(state)
}

const TYPE_ERRORS: Record<OptionKind, string> = {
  bool: "Option value must be a boolean",
  int32: "Option value must be a number",
  int64: "Option value must be a number",
  uint64: "Option value must be a number",
  string: "Option value must be a string or buffer",
}

/** Whether `value` has the JavaScript type zeromq's binding takes for an option of `kind`. */
function hasType(kind: OptionKind, value: unknown): boolean {
  if (kind === "bool") return typeof value === "boolean"
  if (kind === "string") return isStringLike(value)
  return typeof value === "number"
}

/**
 * Writes an option as zeromq does: `TypeError` for a value of the wrong JavaScript type, the
 * late-option warning, the C conversion, `ENOTSOCK` once closed, then `EINVAL` where libzmq refuses
 * the value.
 */
export function writeRow<S>(
  host: OptionHost<S>,
  target: object,
  row: WritableRow<unknown, S>,
  value: unknown,
): void {
  if (row.accepts !== undefined) {
    if (!row.accepts(value)) return
  } else if (!hasType(row.kind, value)) {
    throw new TypeError(TYPE_ERRORS[row.kind])
  }
  const state = host.state(target)
  host.beforeWrite(state, row.immediate ?? false)
  let converted = value
  if (row.accepts === undefined) {
    if (row.kind === "string") converted = toBytes(value as string | ArrayBufferView | null)
    else if (row.kind !== "bool") converted = toNumber(row.kind, value as number)
  }
  host.assertOpen(state)
  ;(row.set as (state: S, value: unknown) => void)(state, converted)
}

/**
 * Gives each class the accessors of a table's rows (unless `properties` is false: options reached
 * by number only), and registers the rows by number.
 */
export function defineOptions<S>(
  targets: readonly { prototype: object }[],
  table: OptionTable<S>,
  host: OptionHost<S>,
  { properties = true }: { properties?: boolean } = {},
): void {
  for (const target of targets) {
    let ids = rowsById.get(target.prototype)
    if (ids === undefined) {
      ids = new Map()
      rowsById.set(target.prototype, ids)
    }
    for (const [name, row] of Object.entries(table)) {
      if (row.numbered !== false) {
        const list = ids.get(row.id)
        if (list === undefined) ids.set(row.id, [row])
        else list.push(row)
      }
      if (!properties) continue
      const readable = row.get !== undefined && !(row.set !== undefined && row.writeOnly === true)
      Object.defineProperty(target.prototype, name, {
        configurable: true,
        enumerable: false,
        ...(readable
          ? {
              get(this: object) {
                return readRow(host, this, row)
              },
            }
          : {}),
        ...(row.set === undefined
          ? {}
          : {
              set(this: object, value: unknown) {
                writeRow(host, this, row, value)
              },
            }),
      })
    }
  }
}

// ---- options by number -------------------------------------------------------------------------------

/** The protected methods by number: `getInt32Option`, `setStringOption`... */
export type NumberedMethod = "Bool" | "Int32" | "Uint32" | "Int64" | "Uint64" | "String"

const ID_CHECK: ArgumentCheck = [isNumber, "Identifier must be a number"]
const VALUE_CHECKS: Record<NumberedMethod, ArgumentCheck> = {
  Bool: [(value) => typeof value === "boolean", TYPE_ERRORS.bool],
  Int32: [isNumber, TYPE_ERRORS.int32],
  Uint32: [isNumber, TYPE_ERRORS.int32],
  Int64: [isNumber, TYPE_ERRORS.int64],
  Uint64: [isNumber, TYPE_ERRORS.uint64],
  String: [isStringLike, TYPE_ERRORS.string],
}

/** Octets of the C value a method passes to libzmq; 0 for a string's bytes, of any length. */
const METHOD_WIDTH: Record<NumberedMethod, number> = {
  Bool: 4,
  Int32: 4,
  Uint32: 4,
  Int64: 8,
  Uint64: 8,
  String: 0,
}
const ROW_WIDTH: Record<OptionKind, number> = { bool: 4, int32: 4, int64: 8, uint64: 8, string: 0 }

/** The C value of a call or of a row: an integer of `width` octets, or bytes (null for none). */
type CValue =
  | { readonly width: 4 | 8; readonly bits: bigint }
  | { readonly width: 0; readonly bytes: Uint8Array | null }

const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/** A JavaScript number, already cast to a C integer, as a bigint (clamped where a double rounds up). */
function integer(value: number, max: bigint): bigint {
  const big = BigInt(value)
  return big > max ? max : big
}

/** Little-endian, as libzmq reads a C integer out of the bytes it is given on x86 and ARM. */
function fromBytes(bytes: Uint8Array): bigint {
  let bits = 0n
  for (let i = bytes.length - 1; i >= 0; i--) bits = (bits << 8n) | BigInt(bytes[i]!)
  return bits
}

function toLittleEndian(bits: bigint, width: 4 | 8): Uint8Array {
  const bytes = new Uint8Array(width)
  let rest = BigInt.asUintN(width * 8, bits)
  for (let i = 0; i < width; i++) {
    bytes[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

/** The C value zeromq's binding passes for `value` through `set<method>Option`. */
function callValue(method: NumberedMethod, value: unknown): CValue {
  switch (method) {
    case "Bool":
      return { width: 4, bits: value ? 1n : 0n }
    case "Int32":
      return { width: 4, bits: BigInt(toNumber("int32", value as number)) }
    case "Uint32":
      return { width: 4, bits: BigInt((value as number) >>> 0) }
    case "Int64":
      return { width: 8, bits: integer(toNumber("int64", value as number), INT64_MAX) }
    case "Uint64":
      return { width: 8, bits: integer(toNumber("uint64", value as number), UINT64_MAX) }
    case "String":
      return { width: 0, bytes: toBytes(value as string | ArrayBufferView | null) }
  }
}

/**
 * The value a row stores for the C value of a call, as libzmq's `zmq_setsockopt` reads it: an
 * integer option takes exactly its size in octets (a string of 4 octets sets a C int), a string
 * option takes any octets. `EINVAL` where the sizes differ, or a boolean's int is out of range.
 */
function rowValue(row: WritableRow<unknown, never>, call: CValue): unknown {
  const width = ROW_WIDTH[row.kind]
  if (width === 0) return call.width === 0 ? call.bytes : toLittleEndian(call.bits, call.width)
  let bits: bigint
  if (call.width === 0) {
    if (call.bytes === null || call.bytes.length !== width) throw zmqError("EINVAL")
    bits = fromBytes(call.bytes)
  } else {
    if (call.width !== width) throw zmqError("EINVAL")
    bits = call.bits
  }
  if (row.kind === "uint64") return Number(BigInt.asUintN(64, bits))
  const signed = BigInt.asIntN(width * 8, bits)
  if (row.kind !== "bool") return Number(signed)
  const rule = row.intAsBool ?? "strict"
  if (rule === "strict" ? signed !== 0n && signed !== 1n : rule === "nonNegative" && signed < 0n) {
    throw zmqError("EINVAL")
  }
  return signed !== 0n
}

/** The C value of what a row holds, as `zmq_getsockopt` writes it. */
function heldValue(kind: OptionKind, value: unknown): CValue {
  if (kind === "string") return { width: 0, bytes: toBytes(value as string | null) }
  if (kind === "bool") return { width: 4, bits: value ? 1n : 0n }
  if (kind === "int32") return { width: 4, bits: BigInt(value as number) }
  return { width: 8, bits: integer(value as number, kind === "uint64" ? UINT64_MAX : INT64_MAX) }
}

/**
 * What `get<method>Option` makes of the C value of a row: integers of the method's size, read
 * signed or unsigned; a string option read into an integer as the octets it holds (when they fit);
 * `EINVAL` otherwise, as libzmq fails a size it does not take.
 */
function callResult(method: NumberedMethod, kind: OptionKind, value: unknown): unknown {
  if (method === "String") {
    if (kind !== "string") throw zmqError("EINVAL")
    return value
  }
  const width = METHOD_WIDTH[method] as 4 | 8
  const held = heldValue(kind, value)
  let bits: bigint
  if (held.width === 0) {
    if (held.bytes !== null && held.bytes.length > width) throw zmqError("EINVAL")
    bits = held.bytes === null ? 0n : fromBytes(held.bytes)
  } else {
    if (held.width !== width) throw zmqError("EINVAL")
    bits = held.bits
  }
  switch (method) {
    case "Bool":
      return BigInt.asIntN(32, bits) !== 0n
    case "Int32":
      return Number(BigInt.asIntN(32, bits))
    case "Uint32":
      return Number(BigInt.asUintN(32, bits))
    case "Int64":
      return Number(BigInt.asIntN(64, bits))
    case "Uint64":
      return Number(BigInt.asUintN(64, bits))
  }
}

/** The first row for option `id` of `target` that can be read (or set); undefined when none. */
function findRow<S>(
  host: OptionHost<S>,
  target: object,
  state: S,
  id: number,
  use: "get" | "set",
): OptionRow<unknown, S> | undefined {
  for (let proto = host.rows(target, state); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const rows = rowsById.get(proto)?.get(id)
    const row = rows?.find(
      (candidate) => candidate[use] !== undefined && !(use === "get" && candidate.unreadableByNumber),
    )
    if (row !== undefined) return row as OptionRow<unknown, S>
  }
  return undefined
}

/**
 * `get<method>Option(id)` as zeromq's binding and libzmq's `zmq_getsockopt`: `TypeError` for bad
 * arguments, `ENOTSOCK` once closed, `EINVAL` for an option the socket type does not have (or cannot
 * read, or holds in another size).
 */
export function getByNumber<S>(
  host: OptionHost<S>,
  target: object,
  method: NumberedMethod,
  args: ArrayLike<unknown>,
): unknown {
  validateArguments(args, [ID_CHECK])
  const id = toNumber("int32", args[0] as number)
  const state = host.state(target)
  host.assertOpen(state)
  const row = findRow(host, target, state, id, "get")
  if (row?.get === undefined) throw zmqError("EINVAL")
  const value = row.get(state)
  return callResult(method, row.kind, row.values === undefined ? value : row.values.indexOf(value))
}

/**
 * `set<method>Option(id, value)` as zeromq's binding and libzmq's `zmq_setsockopt`: `TypeError` for
 * bad arguments, the late-option warning, `ENOTSOCK` once closed, `EINVAL` for an option the socket
 * type does not have (or that is read-only, or of another size), then the row's own checks.
 */
export function setByNumber<S>(
  host: OptionHost<S>,
  target: object,
  method: NumberedMethod,
  args: ArrayLike<unknown>,
): void {
  validateArguments(args, [ID_CHECK, VALUE_CHECKS[method]])
  const id = toNumber("int32", args[0] as number)
  const state = host.state(target)
  const row = findRow(host, target, state, id, "set") as WritableRow<unknown, S> | undefined
  host.beforeWrite(state, row?.immediate ?? false)
  const call = callValue(method, args[1])
  host.assertOpen(state)
  if (row === undefined) throw zmqError("EINVAL")
  ;(row.set as (state: S, value: unknown) => void)(state, rowValue(row as WritableRow<unknown, never>, call))
}
