import { ZlError } from "@zl/codec"
import type { SocketBase } from "@zl/sockets"
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

/** A string option's value as bytes (UTF-8 for a string); null stays null. */
export function toBytes(value: string | Uint8Array | null): Uint8Array | null {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value
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
  if (typeof value !== "string" && !(value instanceof Uint8Array) && value !== null) {
    throw new TypeError("Option value must be a string or buffer")
  }
  const state = stateOf(socket)
  state.warnUnlessImmediate(immediate)
  state.assertSocket()
  const bytes = toBytes(value)
  if (!valid(bytes)) throw zmqError("EINVAL")
  return bytes
}

/** The `ENOTSUP` of an option whose feature zlink does not have yet. */
export function unsupported(name: string): never {
  const cause = new ZlError("ENOTSUP", `the ${name} option is not supported by zlink yet`)
  throw zmqError("ENOTSUP", { cause })
}
