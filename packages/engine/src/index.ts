/**
 * @zl/engine: one ZMTP 3.1 connection's session on top of any `@zl/transport` connection.
 *
 * @packageDocumentation
 */
export { defaultSchedule, Engine, type EngineHandler, type EngineOptions, type PeerInfo } from "./engine.js"
export { EngineError, EngineErrorCode } from "./errors.js"
export { isCompatible, SocketType, sendsIdentity } from "./socket-type.js"
