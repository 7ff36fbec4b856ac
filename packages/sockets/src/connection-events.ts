import type { ZlError } from "@zl/codec"
import { socketError } from "./errors.js"
import type { SocketEvent } from "./events.js"

/**
 * The faults that libzmq 4.3.5 reports as `handshake:error:protocol` (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
 * each with the name of its `ZMQ_PROTOCOL_ERROR_*` code. libzmq signals these where the mechanism
 * finds them; every other fault of the handshake (a wrong greeting, a socket type that cannot talk
 * to ours, a frame over the size limit, malformed metadata) it reports only as `disconnect`.
 */
const PROTOCOL_ERRORS: Readonly<Record<string, string>> = {
  ZMTP_ERR_MECHANISM_MISMATCH: "ERR_ZMTP_MECHANISM_MISMATCH",
  ZMTP_ERR_UNEXPECTED_COMMAND: "ERR_ZMTP_UNEXPECTED_COMMAND",
  // A message before the peer's READY: libzmq's NULL mechanism takes it for a command it does not expect.
  ZMTP_ERR_UNEXPECTED_MESSAGE: "ERR_ZMTP_UNEXPECTED_COMMAND",
}

/**
 * The `ZMQ_PROTOCOL_ERROR_*` name (`ERR_ZMTP_*`, `ERR_ZAP_*`) under which libzmq reports `error` as
 * a failed handshake, or undefined when libzmq reports that fault only as a disconnect.
 */
export function protocolErrorName(error: ZlError): string | undefined {
  return PROTOCOL_ERRORS[error.code]
}

/**
 * The events for a connection that closed, in libzmq's order: a connection that never completed its
 * handshake first reports why (`handshake:error:protocol` for the faults in {@link PROTOCOL_ERRORS},
 * `handshake:error:other` with `EPIPE` when the peer closed, `EAGAIN` when the handshake timed out,
 * or the transport's own code), and every connection then reports `disconnect`, which carries the
 * fault that closed it, if any.
 *
 * @example
 * ```ts
 * closeEvents("tcp://127.0.0.1:5555", undefined, false)
 * // [{ type: "handshake:error:other", error: EPIPE }, { type: "disconnect" }]
 * ```
 */
export function closeEvents(address: string, error: ZlError | undefined, wasReady: boolean): SocketEvent[] {
  const disconnect: SocketEvent =
    error === undefined ? { type: "disconnect", address } : { type: "disconnect", address, error }
  if (wasReady) return [disconnect]
  if (error === undefined) {
    const closed = socketError("EPIPE", "the peer closed the connection during the handshake")
    return [{ type: "handshake:error:other", address, error: closed }, disconnect]
  }
  if (error.code === "ZMTP_ERR_HANDSHAKE_TIMEOUT") {
    const timedOut = socketError("EAGAIN", error.message, error)
    return [{ type: "handshake:error:other", address, error: timedOut }, disconnect]
  }
  if (protocolErrorName(error) !== undefined) {
    return [{ type: "handshake:error:protocol", address, error }, disconnect]
  }
  // A fault of the transport (a reset, for example) has an errno name of its own.
  if (!error.code.startsWith("ZMTP_ERR_")) {
    return [{ type: "handshake:error:other", address, error }, disconnect]
  }
  return [disconnect]
}
