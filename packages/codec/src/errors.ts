const kZlError = Symbol.for("zlink.error")

/**
 * The base of every error zlink throws or emits. `code` is a stable string: an errno name where libzmq
 * has one (`EAGAIN`, `EHOSTUNREACH`, `EFSM`, ...) and a `ZMTP_ERR_*` name for protocol faults.
 *
 * Identity goes through a `Symbol.for` marker rather than the prototype chain, so that an application
 * holding two copies of a zlink package still recognises every copy's errors.
 *
 * @example
 * ```ts
 * try { decoder.write(bytes) } catch (err) {
 *   if (ZlError.isInstance(err) && err.code === "ZMTP_ERR_FRAME_TOO_LARGE") dropPeer()
 * }
 * ```
 */
export class ZlError extends Error {
  /** A stable, machine-readable error code. Tests and applications compare this, never the message. */
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }

  override get name(): string {
    return "ZlError"
  }

  /** True for an error made by any copy of zlink. */
  static isInstance(value: unknown): value is ZlError {
    return (
      typeof value === "object" && value !== null && (value as { [kZlError]?: unknown })[kZlError] === true
    )
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!ZlError.isInstance(value)) return false
    // Subclasses keep their own identity; the base class answers for every copy.
    return this === ZlError || Function.prototype[Symbol.hasInstance].call(this, value)
  }
}
Object.defineProperty(ZlError.prototype, kZlError, { value: true })

/** The codes of protocol faults that the codec detects, each with its own meaning. */
export const ZmtpErrorCode = {
  /** The first octet of the greeting is not 0xFF, or the tenth has bit 0 clear (an unversioned ZMTP 1.0 peer). */
  BAD_SIGNATURE: "ZMTP_ERR_BAD_SIGNATURE",
  /** The peer's major version is below 3. */
  BAD_VERSION: "ZMTP_ERR_BAD_VERSION",
  /** The mechanism field is not an ASCII name padded with NUL octets. */
  BAD_MECHANISM: "ZMTP_ERR_BAD_MECHANISM",
  /** The stream ended before the 64-octet greeting was complete. */
  TRUNCATED_GREETING: "ZMTP_ERR_TRUNCATED_GREETING",
  /** A frame has an invalid combination of flags (a command with MORE set). */
  BAD_FLAGS: "ZMTP_ERR_BAD_FLAGS",
  /** A LONG size has its top bit set or exceeds 2^53 - 1. */
  BAD_SIZE: "ZMTP_ERR_BAD_SIZE",
  /** A frame is larger than `maxMessageSize` (or than the largest buffer the platform allocates). */
  FRAME_TOO_LARGE: "ZMTP_ERR_FRAME_TOO_LARGE",
  /** The stream ended inside a frame. */
  TRUNCATED_FRAME: "ZMTP_ERR_TRUNCATED_FRAME",
  /** A command body is empty or its name length runs past the frame. */
  MALFORMED_COMMAND: "ZMTP_ERR_MALFORMED_COMMAND",
  /** A metadata property is truncated or has an invalid name. */
  MALFORMED_METADATA: "ZMTP_ERR_MALFORMED_METADATA",
  /** A metadata block carries more properties than allowed. */
  METADATA_LIMIT: "ZMTP_ERR_METADATA_LIMIT",
  /** A multipart message grew larger than `maxMessageSize` before its last part arrived. */
  MESSAGE_TOO_LARGE: "ZMTP_ERR_MESSAGE_TOO_LARGE",
  /** A command's data does not have the shape its name requires (a PING without TTL, for example). */
  MALFORMED_COMMAND_DATA: "ZMTP_ERR_MALFORMED_COMMAND_DATA",
  /** Input after the decoder already failed. */
  DECODER_FAILED: "ZMTP_ERR_DECODER_FAILED",
} as const

export type ZmtpErrorCode = (typeof ZmtpErrorCode)[keyof typeof ZmtpErrorCode]

/** A violation of ZMTP by the peer. The connection it came from must be closed. */
export class ZmtpError extends ZlError {
  declare readonly code: ZmtpErrorCode

  override get name(): string {
    return "ZmtpError"
  }
}

/** The single place where the codec builds its protocol errors. */
export function zmtpError(code: ZmtpErrorCode, message: string): ZmtpError {
  return new ZmtpError(code, message)
}
