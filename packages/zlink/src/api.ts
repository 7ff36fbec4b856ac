/** Everything zlink exports by name; `index.ts` adds the default export. */
import { ZlError } from "@zl/codec"
import { zmqError } from "./errors.js"

export { ZlError } from "@zl/codec"
export { Context, type ContextOptions, context } from "./context.js"
export type { Message, MessageLike } from "./message.js"
export {
  type AuthError,
  type ErrnoError,
  type Event,
  type EventAddress,
  type EventError,
  type EventFor,
  type EventInterval,
  type EventOfType,
  type EventSubscriber,
  type EventType,
  Observer,
  type ProtoError,
  type ProtoErrorCode,
} from "./observer.js"
export { Proxy } from "./proxy.js"
export {
  type Readable,
  Socket,
  type SocketConstructorOptions,
  type SocketOptions,
  SocketType,
  type Writable,
} from "./socket.js"
export {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  type RouterConnectOptions,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "./sockets.js"

/**
 * The libzmq version whose wire protocol and behaviour zlink matches, as the `zeromq` package reports
 * the version of the libzmq it carries: programs and test suites gate features on it.
 */
export const version = "4.3.5"

/** The version of zlink itself. */
export const zlinkVersion: string =
  typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev"

/** What this build supports, with the keys of the `zeromq` package. */
export const capability: Readonly<
  Record<"ipc" | "pgm" | "tipc" | "norm" | "curve" | "gssapi" | "draft", boolean>
> = Object.freeze({
  ipc: true,
  pgm: false,
  tipc: false,
  norm: false,
  curve: false,
  gssapi: false,
  draft: false,
})

/**
 * Generates a CURVE key pair. CURVE is not available in zlink yet: this fails with `ENOTSUP`.
 */
export function curveKeyPair(): { publicKey: string; secretKey: string } {
  throw zmqError("ENOTSUP", { cause: new ZlError("ENOTSUP", "CURVE is not supported by zlink yet") })
}
