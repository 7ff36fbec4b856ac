/**
 * @zl/transport-tcp: `tcp://` for zlink, on `node:net`.
 *
 * @packageDocumentation
 */
export { matchesTcpAddressMask, parseTcpAddressMask, type TcpAddressMask } from "./address-mask.js"
export { type TcpOptions, TcpTransport, tcp } from "./tcp.js"

/**
 * The version of this package.
 *
 * @example
 * ```ts
 * console.log(`@zl/transport-tcp ${version}`)
 * ```
 */
export const version: string = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev"
