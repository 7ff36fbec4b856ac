import { ZlError } from "@zl/codec"
import type { SocketBase, SocketOptions } from "@zl/sockets"
import type { Context } from "./context.js"
import { zmqError } from "./errors.js"

/**
 * `open`, `blocked` while a bind or unbind is in progress (as zeromq's native socket: most operations
 * then throw `EBUSY`, and `close()` waits for the operation to end), and `closed`.
 */
type Lifecycle = "open" | "blocked" | "closed"

const LATE_OPTION = "Socket option will not take effect until next connect/bind."
const BLOCKED = "Socket is blocked by a bind or unbind operation"

/**
 * What an API socket holds: its core socket and the `zeromq` package's bookkeeping around it. Kept
 * out of the socket object, which (sealed, as in zeromq) shows only the API.
 */
export class SocketState {
  readonly core: SocketBase
  readonly context: Context
  readonly type: number
  lifecycle: Lifecycle = "open"
  /** `close()` was called while blocked: close when the bind or unbind ends. */
  closeRequested = false
  /** zeromq's count of binds and connects, which decides whether setting an option warns. */
  endpoints = 0
  /** `socket.events`, created on first use. */
  observer: object | undefined = undefined
  /** Values of options that have no effect in zlink (multicast, kernel buffers, ...). */
  readonly tuning = new Map<string, unknown>()
  /**
   * ROUTER: the last routing id sent as a string, and its bytes. The routing id frame only selects
   * the peer and is never passed on, so a reply loop to one peer encodes its id once.
   */
  routeText: string | undefined = undefined
  routeBytes: Uint8Array | undefined = undefined

  constructor(core: SocketBase, context: Context, type: number) {
    this.core = core
    this.context = context
    this.type = type
  }

  get closed(): boolean {
    return this.lifecycle === "closed" || (this.lifecycle === "open" && this.core.closed)
  }

  /** zeromq's `ValidateOpen`: `EBUSY` while blocked, `EBADF` once closed, thrown synchronously. */
  validateOpen(): void {
    if (this.lifecycle === "blocked") throw zmqError("EBUSY", { message: BLOCKED })
    if (this.closed) throw zmqError("EBADF")
  }

  /** Reading or writing an option of a closed socket fails as `zmq_getsockopt` does. */
  assertSocket(): void {
    if (this.closed) throw zmqError("ENOTSOCK")
  }

  /** zeromq warns when an option that applies to new connections only is set after bind/connect. */
  warnUnlessImmediate(immediate: boolean): void {
    if (immediate || (this.endpoints === 0 && this.lifecycle === "open")) return
    process.emitWarning(LATE_OPTION)
  }

  /** A bind or unbind begins: the socket is blocked until it ends. */
  block(): void {
    this.lifecycle = "blocked"
  }

  /** A bind (+1) or unbind (-1) ended, successfully or not. */
  unblock(endpoints: number): void {
    this.lifecycle = "open"
    this.endpoints += endpoints
    if (this.closeRequested) this.close()
  }

  close(): void {
    this.closeRequested = false
    this.endpoints = 0
    this.observer = undefined
    this.lifecycle = "closed"
    this.core.close()
  }
}

const states = new WeakMap<object, SocketState>()

/** @internal Registers the state of a new API socket. */
export function registerState(socket: object, state: SocketState): void {
  states.set(socket, state)
}

/** @internal The state of an API socket; `TypeError` for anything else. */
export function stateOf(socket: object): SocketState {
  const state = states.get(socket)
  if (state === undefined) throw new TypeError("Socket must be a socket object")
  return state
}

/** How a socket type number becomes a socket: the class whose options it has, and its core socket. */
export interface SocketTypeEntry {
  /** The prototype of the class of this type (`Dealer.prototype` for 5): where its option rows are. */
  readonly prototype: object
  readonly make: (context: Context, options: Partial<SocketOptions>) => SocketBase
}

/** @internal Socket types by libzmq number, filled in by the socket classes. */
export const socketTypes = new Map<number, SocketTypeEntry>()

/** @internal The core socket of an API socket; undefined for anything else. */
export function coreOf(socket: unknown): SocketBase | undefined {
  return typeof socket === "object" && socket !== null ? states.get(socket)?.core : undefined
}

// ---- options -------------------------------------------------------------------------------------

/** How zeromq converts a JavaScript number for the option's C type. */
export type NumberCast = "int32" | "int64" | "uint64"

const INT64_LIMIT = 2 ** 63

/** Node-API's `napi_get_value_int32`: ECMAScript ToInt32 (wrapped to 32 bits; NaN and infinities are 0). */
function int32(value: number): number {
  return value | 0
}

/** Node-API's `napi_get_value_int64`: truncated, saturated at the int64 range; NaN and infinities are 0. */
function int64(value: number): number {
  if (!Number.isFinite(value)) return 0
  if (value >= INT64_LIMIT) return INT64_LIMIT
  if (value <= -INT64_LIMIT) return -INT64_LIMIT
  return Math.trunc(value) + 0
}

/** zeromq's `NumberCast<uint64_t>`: negatives become 0, and values past 2^53 warn. */
function uint64(value: number): number {
  if (Number.isNaN(value) || value < 0) return 0
  if (value > Number.MAX_SAFE_INTEGER) {
    process.emitWarning(
      "Value is larger than Number.MAX_SAFE_INTEGER and may have been rounded inaccurately.",
    )
  }
  return value >= 2 ** 64 ? 2 ** 64 - 1 : Math.trunc(value)
}

const casts: Record<NumberCast, (value: number) => number> = { int32, int64, uint64 }

/** Converts a number for an option's C type, as zeromq's binding does. */
export function toNumber(cast: NumberCast, value: number): number {
  return casts[cast](value)
}

/**
 * What zeromq takes for a string option: a string, null, or any typed array (Node-API's
 * `napi_is_buffer` accepts every `ArrayBufferView`).
 */
export function isStringLike(value: unknown): value is string | ArrayBufferView | null {
  return typeof value === "string" || value === null || ArrayBuffer.isView(value)
}

/**
 * A string option's value as bytes (UTF-8 for a string, the viewed octets of a typed array); null
 * stays null. A `DataView` passes zeromq's check but not its conversion to a buffer, which fails
 * with Node-API's plain `Error("Invalid argument")`, without a code.
 */
export function toBytes(value: string | ArrayBufferView | null): Uint8Array | null {
  if (typeof value === "string") return Buffer.from(value, "utf8")
  if (value === null || value instanceof Uint8Array) return value
  if (value instanceof DataView) throw new Error("Invalid argument")
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
}

/** A check of one argument, and the `TypeError` message when it fails. */
export type ArgumentCheck = readonly [test: (value: unknown) => boolean, message: string]

export const isNumber = (value: unknown): boolean => typeof value === "number"
export const isOptionalObject = (value: unknown): boolean =>
  value === undefined || (value !== null && (typeof value === "object" || typeof value === "function"))

/**
 * zeromq's argument validation of its native constructors and methods: each argument against its
 * check in order, then the count, each failure a `TypeError` with zeromq's message.
 */
export function validateArguments(args: ArrayLike<unknown>, checks: readonly ArgumentCheck[]): void {
  for (let i = 0; i < checks.length; i++) {
    const [test, message] = checks[i]!
    if (!test(args[i])) throw new TypeError(message)
  }
  if (args.length > checks.length) {
    const n = checks.length
    throw new TypeError(`Expected ${n} argument${n === 1 ? "" : "s"} but received ${args.length}`)
  }
}

/**
 * Checks a string-like value the way a string option is checked (a string, a buffer, or null) and
 * returns it as bytes: `TypeError` for anything else, the late-option warning, `ENOTSOCK` once
 * closed, then `EINVAL` unless `valid`.
 */
export function toBytesOption(
  socket: object,
  value: unknown,
  valid: (value: Uint8Array | null) => boolean,
  immediate = false,
): Uint8Array | null {
  if (!isStringLike(value)) throw new TypeError("Option value must be a string or buffer")
  const state = stateOf(socket)
  state.warnUnlessImmediate(immediate)
  state.assertSocket()
  const bytes = toBytes(value)
  if (!valid(bytes)) throw zmqError("EINVAL")
  return bytes
}

/** The `ENOTSUP` of an option (or socket type) whose feature zlink does not have yet. */
export function unsupported(name: string, what = "option"): never {
  const cause = new ZlError("ENOTSUP", `the ${name} ${what} is not supported by zlink yet`)
  throw zmqError("ENOTSUP", { cause })
}

// ---- contexts ------------------------------------------------------------------------------------

/**
 * The values of a context's options (`zmq_ctx_set`), with libzmq's defaults. Kept out of the context
 * object, which (sealed, as in zeromq) shows only the API.
 */
export class ContextState {
  ioThreads = 1
  maxSockets = 1023
  /** `ZMQ_MAX_MSGSZ`: libzmq's default is `INT_MAX`. */
  maxMessageSize = 2_147_483_647
  ipv6 = false
  blocky = true
  threadPriority = -1
  threadSchedulingPolicy = -1
}

const contextStates = new WeakMap<object, ContextState>()

/** @internal Registers the option values of a new context. */
export function registerContextState(context: object, state: ContextState): void {
  contextStates.set(context, state)
}

/** @internal The option values of a context; `TypeError` for anything else. */
export function contextStateOf(context: object): ContextState {
  const state = contextStates.get(context)
  if (state === undefined) throw new TypeError("Context must be a context object")
  return state
}
