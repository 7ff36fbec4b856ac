const kZlError = Symbol.for("zlink.error")
const kTransportError = Symbol.for("zlink.transport-error")

/**
 * The codes this package itself raises. Transports add the operating system's errno names (`ECONNREFUSED`, ...).
 *
 * @example
 * ```ts
 * await expect(registry.get("foo")).rejects.toMatchObject({ code: TransportErrorCode.EPROTONOSUPPORT })
 * ```
 */
export const TransportErrorCode = {
  /** A malformed endpoint or address, or an option value out of range (libzmq's `EINVAL`). */
  EINVAL: "EINVAL",
  /** No transport is registered for the endpoint's scheme (libzmq's `EPROTONOSUPPORT`). */
  EPROTONOSUPPORT: "EPROTONOSUPPORT",
} as const

/**
 * An error from a transport or from endpoint parsing. `code` is an errno name: `EINVAL` and
 * `EPROTONOSUPPORT` from this package, and the operating system's own (`ECONNREFUSED`, `EADDRINUSE`,
 * `ENOENT`, ...) passed through by the Node transports, the original error kept as `cause`.
 *
 * It carries the `Symbol.for("zlink.error")` marker, so `ZlError.isInstance(err)` from `@zl/codec`
 * (and `err instanceof ZlError`) recognise it without this package depending on the codec.
 *
 * @example
 * ```ts
 * try {
 *   await transport.dial("127.0.0.1:1")
 * } catch (err) {
 *   if (TransportError.isInstance(err) && err.code === "ECONNREFUSED") scheduleReconnect()
 * }
 * ```
 */
export class TransportError extends Error {
  /** A stable errno name. Tests and applications compare this, never the message. */
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }

  override get name(): string {
    return "TransportError"
  }

  /**
   * Wraps any thrown value as a `TransportError`, keeping the original as `cause` and its string
   * `code` (a Node system error's errno name) when it has one; `fallbackCode` otherwise.
   * A `TransportError` is returned as it is.
   *
   * @example
   * ```ts
   * socket.on("error", (err) => fail(TransportError.from(err)))
   * ```
   */
  static from(error: unknown, fallbackCode = "EIO"): TransportError {
    if (TransportError.isInstance(error)) return error
    let code = (error as { code?: unknown } | null)?.code
    // A dial that tried several addresses (Node's autoSelectFamily) fails with an AggregateError
    // whose own code is missing: the first attempt's code is the meaningful one.
    if (code === undefined && error instanceof AggregateError)
      code = (error.errors[0] as { code?: unknown })?.code
    const message = error instanceof Error ? error.message : String(error)
    return new TransportError(typeof code === "string" && code !== "" ? code : fallbackCode, message, {
      cause: error,
    })
  }

  /**
   * True for a `TransportError` made by any copy of this package.
   *
   * @example
   * ```ts
   * if (TransportError.isInstance(err)) console.log(err.code)
   * ```
   */
  static isInstance(value: unknown): value is TransportError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [kTransportError]?: unknown })[kTransportError] === true
    )
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!TransportError.isInstance(value)) return false
    // Subclasses keep their own identity; the base class answers for every copy.
    return this === TransportError || Function.prototype[Symbol.hasInstance].call(this, value)
  }
}
Object.defineProperty(TransportError.prototype, kZlError, { value: true })
Object.defineProperty(TransportError.prototype, kTransportError, { value: true })

/** Builds a `TransportError` with code `EINVAL`. */
export function invalidArgument(message: string): TransportError {
  return new TransportError(TransportErrorCode.EINVAL, message)
}
