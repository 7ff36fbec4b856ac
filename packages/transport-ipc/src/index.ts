/**
 * @zl/transport-ipc: `ipc://` for zlink, on `node:net` over Unix domain sockets.
 *
 * @packageDocumentation
 */
export { type IpcOptions, IpcTransport, ipc } from "./ipc.js"

/**
 * The version of this package.
 *
 * @example
 * ```ts
 * console.log(`@zl/transport-ipc ${version}`)
 * ```
 */
export const version: string = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev"
