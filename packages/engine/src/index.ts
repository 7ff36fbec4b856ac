/**
 * @zl/engine: one ZMTP 3.1 connection's session on top of any `@zl/transport` connection.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_CLOSE_GRACE,
  DEFAULT_MAX_HANDSHAKE_SIZE,
  defaultSchedule,
  Engine,
  type EngineHandler,
  type EngineOptions,
  MAX_ROUTING_ID,
  type PeerInfo,
  timerDelay,
} from "./engine.js"
export { EngineError, EngineErrorCode } from "./errors.js"
export { isCompatible, SocketType, sendsIdentity, socketTypeOf } from "./socket-type.js"
