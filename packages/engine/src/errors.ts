import { ZlError } from "@zl/codec"

/** Codes of the faults the engine detects beyond the codec's `ZMTP_ERR_*` framing errors. */
export const EngineErrorCode = {
  /** The peer's greeting names another security mechanism. */
  MECHANISM_MISMATCH: "ZMTP_ERR_MECHANISM_MISMATCH",
  /** The peer's `Socket-Type` may not talk to ours, or is missing. */
  INCOMPATIBLE_SOCKET_TYPE: "ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE",
  /** The peer's `Identity` is longer than 255 octets (RFC 37, libzmq's routing-id limit). */
  BAD_ROUTING_ID: "ZMTP_ERR_BAD_ROUTING_ID",
  /** A message frame arrived before the handshake completed. */
  UNEXPECTED_MESSAGE: "ZMTP_ERR_UNEXPECTED_MESSAGE",
  /** A command arrived that the current state does not allow. */
  UNEXPECTED_COMMAND: "ZMTP_ERR_UNEXPECTED_COMMAND",
  /** The peer sent ERROR; its reason is in `reason`. */
  PEER_ERROR: "ZMTP_ERR_PEER_ERROR",
  /** The handshake did not complete within `handshakeInterval`. */
  HANDSHAKE_TIMEOUT: "ZMTP_ERR_HANDSHAKE_TIMEOUT",
  /** No traffic from the peer within the heartbeat timeout or the peer's TTL. */
  HEARTBEAT_TIMEOUT: "ZMTP_ERR_HEARTBEAT_TIMEOUT",
} as const

export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode]

/** An engine fault. `reason` holds a wire-level value: the reason of a peer's ERROR command. */
export class EngineError extends ZlError {
  readonly reason: string | undefined

  constructor(code: EngineErrorCode, message: string, reason?: string) {
    super(code, message)
    this.reason = reason
  }

  override get name(): string {
    return "EngineError"
  }
}
