import { constants } from "node:os"

/**
 * Errors at the API boundary, shaped as the `zeromq` package shapes them: a plain `Error` with
 * `errno` (the Linux value, or libzmq's own for its codes), `code` (the errno name), `message`
 * (zeromq's text for the code) and, for bind/unbind/connect/disconnect, `address`. The error zlink
 * raised internally is kept as `cause`, and `ZlError.isInstance(error)` (or `instanceof ZlError`)
 * still recognises it as a zlink error.
 */
export interface ZmqError extends Error {
  errno: number
  code: string
  address?: string
}

/** The marker by which `ZlError.isInstance` recognises the errors of every copy of zlink. */
const kZlError = Symbol.for("zlink.error")

/** libzmq's own error numbers start at `ZMQ_HAUSNUMERO`. */
const HAUSNUMERO = 156_384_712

/**
 * errno and message of every code zlink can raise: the Linux errno and glibc's `strerror` text,
 * except where zeromq.js or libzmq's `zmq_strerror` word it themselves.
 */
const ERRNO: Readonly<Record<string, readonly [errno: number, message: string]>> = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such endpoint"],
  EINTR: [4, "Interrupted system call"],
  EIO: [5, "Input/output error"],
  EBADF: [9, "Socket is closed"],
  EAGAIN: [11, "Operation was not possible or timed out"],
  ENOMEM: [12, "Cannot allocate memory"],
  EACCES: [13, "Permission denied"],
  EFAULT: [14, "Context is closed"],
  EBUSY: [16, "Socket is busy"],
  EEXIST: [17, "File exists"],
  ENODEV: [19, "No such device"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENFILE: [23, "Too many open files in system"],
  EMFILE: [24, "Too many open file descriptors"],
  ENOSPC: [28, "No space left on device"],
  EROFS: [30, "Read-only file system"],
  EPIPE: [32, "Broken pipe"],
  ENAMETOOLONG: [36, "File name too long"],
  ENOSYS: [38, "Function not implemented"],
  ELOOP: [40, "Too many levels of symbolic links"],
  EPROTO: [71, "Protocol error"],
  ENOTSOCK: [88, "Socket operation on non-socket"],
  EDESTADDRREQ: [89, "Destination address required"],
  EMSGSIZE: [90, "Message too long"],
  EPROTOTYPE: [91, "Protocol wrong type for socket"],
  ENOPROTOOPT: [92, "Protocol not available"],
  EPROTONOSUPPORT: [93, "Protocol not supported"],
  ENOTSUP: [95, "Operation not supported"],
  EOPNOTSUPP: [95, "Operation not supported"],
  EAFNOSUPPORT: [97, "Address family not supported by protocol"],
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  ENETDOWN: [100, "Network is down"],
  ENETUNREACH: [101, "Network is unreachable"],
  ENETRESET: [102, "Network dropped connection on reset"],
  ECONNABORTED: [103, "Software caused connection abort"],
  ECONNRESET: [104, "Connection reset by peer"],
  ENOBUFS: [105, "No buffer space available"],
  EISCONN: [106, "Transport endpoint is already connected"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTDOWN: [112, "Host is down"],
  EHOSTUNREACH: [113, "Host unreachable"],
  EALREADY: [114, "Operation already in progress"],
  EINPROGRESS: [115, "Operation now in progress"],
  ECANCELED: [125, "Operation canceled"],
  EFSM: [HAUSNUMERO + 51, "Operation cannot be accomplished in current state"],
  ENOCOMPATPROTO: [HAUSNUMERO + 52, "The protocol is not compatible with the socket type"],
  ETERM: [HAUSNUMERO + 53, "Context was terminated"],
  EMTHREAD: [HAUSNUMERO + 54, "No thread available"],
}

const osErrno = constants.errno as Readonly<Record<string, number | undefined>>

/** The errors made here: mapping them again changes nothing. */
const mapped = new WeakSet<object>()

/**
 * A new API error for `code`, with zeromq's message unless `message` is given (zeromq words a few
 * errors itself: "Socket is blocked by a bind or unbind operation").
 */
export function zmqError(
  code: string,
  options: { message?: string; address?: string; cause?: unknown } = {},
): ZmqError {
  const known = ERRNO[code]
  const message = options.message ?? known?.[1] ?? code
  const error = new Error(
    message,
    options.cause === undefined ? undefined : { cause: options.cause },
  ) as ZmqError
  Object.defineProperty(error, kZlError, { value: true })
  // In zeromq's order: errno, code, address.
  error.errno = known?.[0] ?? osErrno[code] ?? -1
  error.code = code
  if (options.address !== undefined) error.address = options.address
  mapped.add(error)
  return error as ZmqError
}

/**
 * Maps whatever zlink raised to the error the `zeromq` package raises for the same condition,
 * keeping the original as `cause`. Errors without an errno `code` (a `TypeError`), errors already
 * mapped, and zlink's protocol errors (`ZMTP_ERR_*`) are returned as they are.
 */
export function toZmqError(error: unknown, address?: string): unknown {
  if (typeof error !== "object" || error === null) return error
  const { code } = error as { code?: unknown }
  if (typeof code !== "string" || code.startsWith("ZMTP_ERR_")) return error
  if (mapped.has(error) && (address === undefined || (error as { address?: unknown }).address === address)) {
    return error
  }
  const known = ERRNO[code] !== undefined || osErrno[code] !== undefined
  return zmqError(code, {
    ...(known ? {} : { message: (error as { message?: string }).message ?? code }),
    ...(address !== undefined ? { address } : {}),
    cause: error,
  })
}

/** Rethrows `error` mapped by {@link toZmqError}: for `promise.catch(rethrow)`. */
export function rethrow(error: unknown): never {
  throw toZmqError(error)
}

/** A failed handshake's fault as zeromq reports it: no errno, and the code libzmq names it by. */
export interface ProtocolError extends Error {
  code: string
}

/**
 * The error of a `handshake:error:protocol` event, as zeromq makes it: the message "ZMTP protocol
 * error" (or "ZAP protocol error") and `code` the `ZMQ_PROTOCOL_ERROR_*` name (`ERR_ZMTP_*`,
 * `ERR_ZAP_*`). What zlink found, with its own code and a precise message, is the `cause`.
 */
export function protocolError(code: string, cause: unknown): ProtocolError {
  const family = code.startsWith("ERR_ZAP_") ? "ZAP" : "ZMTP"
  const error = new Error(`${family} protocol error`, { cause }) as ProtocolError
  Object.defineProperty(error, kZlError, { value: true })
  error.code = code
  mapped.add(error)
  return error
}
