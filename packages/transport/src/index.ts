/**
 * @zl/transport: the zlink transport contract. Interfaces, endpoint parsing, the per-context
 * registry and an in-memory transport for tests. No I/O and no platform imports.
 *
 * @packageDocumentation
 */
export {
  type Endpoint,
  formatTcpEndpoint,
  type IpcAddress,
  type ParseTcpOptions,
  parseEndpoint,
  parseIpcAddress,
  parseTcpAddress,
  type TcpAddress,
} from "./endpoint.js"
export { TransportError, TransportErrorCode } from "./errors.js"
export {
  MemoryConnection,
  MemoryNetwork,
  type MemoryOptions,
  MemoryTransport,
  memory,
} from "./memory.js"
export { createTransportContext, TransportRegistry } from "./registry.js"
export {
  type Connection,
  type ConnectionHandlers,
  type DialOptions,
  isTransport,
  type Listener,
  type ListenOptions,
  TRANSPORT_SPEC_VERSION,
  type Transport,
  type TransportContext,
  type TransportFactory,
  type TransportOptions,
  transportSymbol,
  type WriteResult,
} from "./types.js"

/**
 * The version of this package.
 *
 * @example
 * ```ts
 * console.log(`@zl/transport ${version}`)
 * ```
 */
export const version: string = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev"
