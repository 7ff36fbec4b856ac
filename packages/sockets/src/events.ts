import type { ZlError } from "@zl/codec"

/**
 * Monitor events, named as the `zeromq` v6 package names them (`socket.events`), each with the
 * endpoint it concerns.
 */
export type SocketEvent =
  | { readonly type: "bind"; readonly address: string }
  | { readonly type: "bind:error"; readonly address: string; readonly error: ZlError }
  | { readonly type: "accept"; readonly address: string }
  | { readonly type: "accept:error"; readonly address: string; readonly error: ZlError }
  | { readonly type: "connect"; readonly address: string }
  | { readonly type: "connect:delay"; readonly address: string }
  | { readonly type: "connect:retry"; readonly address: string; readonly interval: number }
  | { readonly type: "close"; readonly address: string }
  | { readonly type: "close:error"; readonly address: string; readonly error: ZlError }
  | { readonly type: "disconnect"; readonly address: string; readonly error?: ZlError }
  | { readonly type: "handshake"; readonly address: string }
  | { readonly type: "handshake:error:protocol"; readonly address: string; readonly error: ZlError }
  | { readonly type: "handshake:error:auth"; readonly address: string; readonly error: ZlError }
  | { readonly type: "handshake:error:other"; readonly address: string; readonly error: ZlError }
  | { readonly type: "end" }

export type SocketEventType = SocketEvent["type"]

/** Receives a socket's monitor events. */
export type SocketEventListener = (event: SocketEvent) => void
