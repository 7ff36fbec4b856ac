import type { Socket } from "node:net"
import { TransportError } from "@zl/transport"
import { inet6, inetAton } from "./address-mask.js"

/**
 * The SOCKS5 client of `ZMQ_SOCKS_PROXY` (RFC 1928), speaking exactly what libzmq 4.3.5's
 * socks_connecter speaks, so that a proxy that works with libzmq works with zlink:
 *
 * - greeting `05 01 00`: one method, "no authentication" (zeromq v6 has no SOCKS credentials);
 * - the proxy's choice must start with 5 and pick method 0, or 2 (username/password), which libzmq
 *   answers with empty credentials (`01 00 00`) and a reply that must be `01 00`;
 * - CONNECT `05 01 00` with the target as an IPv4 address (type 1) or an IPv6 address (type 4)
 *   when the host is numeric, else as the name itself (type 3), unresolved, then the port;
 * - the reply is read octet by octet against 5, a code of at most 8, a zero, and an address type
 *   of 1, 3 or 4; once its bound address is complete, code 0 means connected.
 *
 * Anything else closes the connection and fails the dial, which the socket retries after its
 * reconnect interval, as libzmq does. Octets the proxy sends after its reply are the peer's first
 * ZMTP octets: they are handed back to the stream for the connection to read.
 */

const VERSION = 0x05
const NO_AUTH = 0x00
const USERNAME_PASSWORD = 0x02
const CONNECT = 0x01

/** RFC 1928 section 6 reply codes, as the errno names a failed dial reports. */
const REPLY_CODES: Readonly<Record<number, string>> = {
  1: "ECONNREFUSED", // general SOCKS server failure
  2: "EACCES", // connection not allowed by ruleset
  3: "ENETUNREACH",
  4: "EHOSTUNREACH",
  5: "ECONNREFUSED",
  6: "ETIMEDOUT", // TTL expired
  7: "EPROTO", // command not supported
  8: "EAFNOSUPPORT", // address type not supported
}

/** The CONNECT request for `host:port`, as libzmq's socks_request_encoder_t builds it. */
export function socksConnectRequest(host: string, port: number): Uint8Array {
  const v4 = inetAton(host)
  if (v4 !== undefined) return Uint8Array.of(VERSION, CONNECT, 0, 0x01, ...v4, port >> 8, port & 0xff)
  const percent = host.indexOf("%")
  const v6 = inet6(percent >= 0 ? host.slice(0, percent) : host)
  if (v6 !== undefined) return Uint8Array.of(VERSION, CONNECT, 0, 0x04, ...v6, port >> 8, port & 0xff)
  const name = Buffer.from(host, "utf8")
  if (name.length > 255) {
    throw new TransportError("EINVAL", `a SOCKS5 request cannot carry a host name of ${name.length} octets`)
  }
  return Uint8Array.of(VERSION, CONNECT, 0, 0x03, name.length, ...name, port >> 8, port & 0xff)
}

type Stage = "choice" | "auth" | "reply"

/**
 * Runs the SOCKS5 exchange on `socket`, connected to the proxy, for a connection to `host:port`.
 * Resolves once the proxy has connected it; rejects with a {@link TransportError} (`EPROTO` for a
 * reply that breaks the protocol, the reply's errno name for a refusal, `ECONNRESET` when the proxy
 * closes, `ETIMEDOUT` after `timeout` ms when above 0), or with the signal's reason. The socket is
 * destroyed on failure and left paused on success.
 */
export function socksHandshake(
  socket: Socket,
  host: string,
  port: number,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const request = socksConnectRequest(host, port)
  return new Promise<void>((resolve, reject) => {
    let stage: Stage = "choice"
    let input: Buffer = Buffer.alloc(0)
    const timer =
      timeout > 0
        ? setTimeout(
            () => fail(new TransportError("ETIMEDOUT", "the SOCKS5 proxy did not answer in time")),
            Math.min(timeout, 2 ** 31 - 1),
          )
        : undefined
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      socket.off("data", onData)
      socket.off("end", onEnd)
      socket.off("close", onEnd)
      socket.off("error", onError)
      signal?.removeEventListener("abort", onAbort)
    }
    const fail = (error: unknown): void => {
      cleanup()
      socket.destroy()
      reject(error)
    }
    const violation = (what: string): void =>
      fail(new TransportError("EPROTO", `the SOCKS5 proxy broke the protocol: ${what}`))
    const onEnd = (): void => fail(new TransportError("ECONNRESET", "the SOCKS5 proxy closed the connection"))
    const onError = (error: Error): void => fail(TransportError.from(error))
    const onAbort = (): void => fail(signal!.reason)
    const onData = (chunk: Buffer): void => {
      input = input.length === 0 ? chunk : Buffer.concat([input, chunk])
      for (;;) {
        if (stage === "choice") {
          if (input[0] !== VERSION) {
            violation(`version ${input[0]} in the method choice`)
            return
          }
          if (input.length < 2) return
          const method = input[1]
          input = input.subarray(2)
          if (method === NO_AUTH) {
            stage = "reply"
            socket.write(request)
          } else if (method === USERNAME_PASSWORD) {
            // libzmq without credentials still answers this choice, with empty ones (RFC 1929).
            stage = "auth"
            socket.write(Uint8Array.of(0x01, 0, 0))
          } else {
            violation(`method ${method} chosen, where 0 was offered`)
            return
          }
        } else if (stage === "auth") {
          if (input[0] !== 0x01) {
            violation(`version ${input[0]} in the authentication reply`)
            return
          }
          if (input.length < 2) return
          if (input[1] !== 0) {
            fail(new TransportError("EACCES", "the SOCKS5 proxy refused the credentials"))
            return
          }
          input = input.subarray(2)
          stage = "reply"
          socket.write(request)
        } else {
          const length = replyLength(input)
          if (typeof length === "string") {
            violation(length)
            return
          }
          if (length === undefined || input.length < length) return
          const code = input[1]!
          if (code !== 0) {
            fail(
              new TransportError(
                REPLY_CODES[code]!,
                `the SOCKS5 proxy refused the connection (reply ${code})`,
              ),
            )
            return
          }
          const rest = input.subarray(length)
          cleanup()
          socket.pause()
          if (rest.length > 0) socket.unshift(rest)
          resolve()
          return
        }
        if (input.length === 0) return
      }
    }
    socket.on("data", onData)
    socket.on("end", onEnd)
    socket.on("close", onEnd)
    socket.on("error", onError)
    if (signal?.aborted) {
      onAbort()
      return
    }
    signal?.addEventListener("abort", onAbort, { once: true })
    socket.write(Uint8Array.of(VERSION, 1, NO_AUTH))
  })
}

/**
 * The length of the reply `input` begins with, once its address type is known; undefined until
 * then; a string naming the violation when an octet read so far is one libzmq refuses.
 */
function replyLength(input: Buffer): number | string | undefined {
  if (input.length >= 1 && input[0] !== VERSION) return `version ${input[0]} in the reply`
  if (input.length >= 2 && input[1]! > 0x08) return `reply code ${input[1]}`
  if (input.length >= 3 && input[2] !== 0) return `reserved octet ${input[2]} in the reply`
  if (input.length < 4) return undefined
  const type = input[3]
  if (type === 0x01) return 10
  if (type === 0x04) return 22
  if (type !== 0x03) return `address type ${type} in the reply`
  return input.length < 5 ? undefined : 4 + 1 + input[4]! + 2
}
