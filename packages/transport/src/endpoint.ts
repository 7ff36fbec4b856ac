import { invalidArgument, TransportError, TransportErrorCode } from "./errors.js"

/**
 * An endpoint split at its `://`.
 *
 * @example
 * ```ts
 * const { scheme, address }: Endpoint = parseEndpoint("ipc:///tmp/feed.sock")
 * ```
 */
export interface Endpoint {
  /** The scheme, without `://`, lower-cased: `tcp`. */
  readonly scheme: string
  /** Everything after `://`, as given: `127.0.0.1:5555`. */
  readonly address: string
}

/**
 * A TCP address: what {@link parseTcpAddress} returns.
 *
 * @example
 * ```ts
 * const { host, port }: TcpAddress = parseTcpAddress("*:*", { bind: true }) // host "", port 0
 * ```
 */
export interface TcpAddress {
  /**
   * The host without brackets: an IPv4 or IPv6 literal (possibly with a `%zone`), or a DNS name.
   * `""` means any address (a bind to `*`).
   */
  readonly host: string
  /** The port; `0` means an ephemeral port chosen by the system (a bind to `*` or `0`). */
  readonly port: number
}

/**
 * Options of {@link parseTcpAddress}.
 *
 * @example
 * ```ts
 * parseTcpAddress("127.0.0.1:*", { bind: true })
 * ```
 */
export interface ParseTcpOptions {
  /** True for a bind (`*` and port `0` allowed), false for a connect (a concrete host and port required). */
  readonly bind: boolean
}

/**
 * An ipc address: what {@link parseIpcAddress} returns.
 *
 * @example
 * ```ts
 * const { path, abstract }: IpcAddress = parseIpcAddress("@feed") // "\0feed", true
 * ```
 */
export interface IpcAddress {
  /** The path to bind or connect. For an abstract socket, `"\0"` followed by the name. */
  readonly path: string
  /** True for a Linux abstract socket (`ipc://@name`), which has no file. */
  readonly abstract: boolean
}

const MAX_PORT = 65_535
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/
const PORT = /^[0-9]{1,5}$/
const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/
// Hex groups, `::`, an optional embedded IPv4 tail and an optional `%zone` (RFC 4007 section 11).
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/
// RFC 1123 host names; `_` is tolerated because service discovery names use it.
const DNS_LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/
const MAX_DNS_NAME = 253

/**
 * Splits `scheme://address`. Both parts must be non-empty, as in libzmq.
 *
 * @throws TransportError `EINVAL` when there is no `://`, or the scheme or address is empty.
 * @example
 * ```ts
 * parseEndpoint("tcp://127.0.0.1:5555") // { scheme: "tcp", address: "127.0.0.1:5555" }
 * ```
 */
export function parseEndpoint(endpoint: string): Endpoint {
  const at = endpoint.indexOf("://")
  if (at < 0) throw invalidArgument(`endpoint ${JSON.stringify(endpoint)} has no "://"`)
  const scheme = endpoint.slice(0, at)
  const address = endpoint.slice(at + 3)
  if (!SCHEME.test(scheme))
    throw invalidArgument(`endpoint ${JSON.stringify(endpoint)} has an invalid scheme`)
  if (address === "") throw invalidArgument(`endpoint ${JSON.stringify(endpoint)} has an empty address`)
  return { scheme: scheme.toLowerCase(), address }
}

/**
 * Parses the address part of a `tcp://` (or `tls://`) endpoint, as libzmq does:
 *
 * - `host:port`, with `host` an IPv4 literal, a DNS name or an IPv6 literal (`[::1]:5555`; the
 *   brackets are optional, the port being after the last `:`, and a `%zone` is kept);
 * - bind only: `*:port` for any address (`host` is then `""`), and `host:*` or `host:0` for an
 *   ephemeral port (`port` is then `0`);
 * - connect: a concrete host and a port in 1..65535.
 *
 * libzmq's `source;destination` connect syntax and interface names are not supported.
 *
 * @throws TransportError `EINVAL` for anything else.
 * @example
 * ```ts
 * parseTcpAddress("*:*", { bind: true })              // { host: "", port: 0 }
 * parseTcpAddress("[::1]:5555", { bind: false })      // { host: "::1", port: 5555 }
 * parseTcpAddress("example.org:80", { bind: false })  // { host: "example.org", port: 80 }
 * ```
 */
export function parseTcpAddress(address: string, options: ParseTcpOptions): TcpAddress {
  const fail = (why: string): TransportError =>
    invalidArgument(`tcp address ${JSON.stringify(address)}: ${why}`)
  const colon = address.lastIndexOf(":")
  if (colon < 0) throw fail("no port")
  let host = address.slice(0, colon)
  const portText = address.slice(colon + 1)

  let port: number
  if (portText === "*") {
    if (!options.bind) throw fail("a connect needs a concrete port")
    port = 0
  } else {
    if (!PORT.test(portText)) throw fail("the port is not a number")
    port = Number(portText)
    if (port > MAX_PORT) throw fail(`the port is above ${MAX_PORT}`)
    if (port === 0 && !options.bind) throw fail("a connect needs a port in 1..65535")
  }

  let bracketed = false
  if (host.startsWith("[") || host.endsWith("]")) {
    if (!(host.startsWith("[") && host.endsWith("]"))) throw fail("unbalanced brackets")
    host = host.slice(1, -1)
    bracketed = true
  }
  if (host === "") throw fail("no host")
  if (host === "*") {
    if (bracketed) throw fail("a bracketed host must be an IPv6 address")
    if (!options.bind) throw fail("a connect needs a concrete host")
    return { host: "", port }
  }
  if (host.includes(":")) {
    if (!IPV6.test(host)) throw fail("an invalid IPv6 address")
    return { host, port }
  }
  if (bracketed) throw fail("a bracketed host must be an IPv6 address")
  if (IPV4.test(host) || isDnsName(host)) return { host, port }
  throw fail("an invalid host")
}

function isDnsName(host: string): boolean {
  // A trailing dot marks a fully qualified name.
  const name = host.endsWith(".") ? host.slice(0, -1) : host
  if (name === "" || name.length > MAX_DNS_NAME) return false
  // A name of digits and dots only that is not a valid IPv4 literal (`256.1.1.1`) is a mistake.
  if (/^[0-9.]+$/.test(name)) return false
  return name.split(".").every((label) => DNS_LABEL.test(label))
}

/**
 * Formats `scheme://host:port`, bracketing an IPv6 host as URIs require (RFC 3986 section 3.2.2).
 *
 * @example
 * ```ts
 * formatTcpEndpoint("tcp", "::1", 5555)     // "tcp://[::1]:5555"
 * formatTcpEndpoint("tcp", "127.0.0.1", 80) // "tcp://127.0.0.1:80"
 * ```
 */
export function formatTcpEndpoint(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`
}

/**
 * Parses the address part of an `ipc://` endpoint: a file system path, or `@name` for a Linux
 * abstract socket (returned as the path `"\0name"`, with `abstract: true`). Length limits depend on
 * the platform and are checked by the transport.
 *
 * @throws TransportError `EINVAL` for an empty path, an empty abstract name, a NUL in the path, or
 * `*` (libzmq's generated path is not supported yet).
 * @example
 * ```ts
 * parseIpcAddress("/tmp/feed.sock") // { path: "/tmp/feed.sock", abstract: false }
 * parseIpcAddress("@feed")          // { path: "\0feed", abstract: true }
 * ```
 */
export function parseIpcAddress(address: string): IpcAddress {
  if (address === "") throw invalidArgument("ipc address is empty")
  if (address === "*") throw new TransportError(TransportErrorCode.EINVAL, "ipc://* is not supported")
  if (address.startsWith("@")) {
    const name = address.slice(1)
    if (name === "") throw invalidArgument("ipc abstract socket name is empty")
    return { path: `\0${name}`, abstract: true }
  }
  if (address.includes("\0")) throw invalidArgument("ipc path contains a NUL character")
  return { path: address, abstract: false }
}
