import { isIPv6 } from "node:net"
import { networkInterfaces } from "node:os"
import { TransportError } from "@zl/transport"

/**
 * One entry of an accept filter (`ZMQ_TCP_ACCEPT_FILTER`): an address and how many of its leading
 * bits a peer's address must share with it. Built by {@link parseTcpAddressMask}.
 *
 * @example
 * ```ts
 * const mask: TcpAddressMask = parseTcpAddressMask("10.0.0.0/8")
 * // { family: 4, bytes: Uint8Array [10, 0, 0, 0], prefix: 8 }
 * ```
 */
export interface TcpAddressMask {
  /** 4 or 6: a peer's address of the other family never matches. */
  readonly family: 4 | 6
  /** The address, 4 or 16 octets in network order. */
  readonly bytes: Uint8Array
  /** Leading bits compared: 0 matches every address of the family. */
  readonly prefix: number
}

/**
 * Parses an accept filter entry as libzmq 4.3.5's `tcp_address_mask_t::resolve` does: a numeric
 * address (no DNS, no interface names), optionally in brackets and with a `%zone`, optionally
 * followed by `/bits`. Without `ipv6`, an address is IPv4 (`127.0.0.1`, and the short and octal or
 * hexadecimal forms `getaddrinfo` takes, `127.1`, `0x7f.1`; an IPv4-mapped IPv6 address stands for
 * its IPv4 address); with `ipv6`, an IPv4 address becomes its IPv4-mapped IPv6 address, so that it
 * matches peers of a dual-stack listener. The bits are read as `strtol` reads them (`/24abc` is 24),
 * `/0` matches the whole family, and a missing, zero or too large count is refused. Throws
 * `EINVAL` for anything else.
 *
 * @example
 * ```ts
 * parseTcpAddressMask("192.168.1.0/24") // { family: 4, bytes: [192, 168, 1, 0], prefix: 24 }
 * parseTcpAddressMask("127.0.0.1", { ipv6: true }) // { family: 6, bytes: ::ffff:127.0.0.1, prefix: 128 }
 * ```
 */
export function parseTcpAddressMask(text: string, options: { readonly ipv6?: boolean } = {}): TcpAddressMask {
  let address = text
  let maskText: string | undefined
  const slash = text.lastIndexOf("/")
  if (slash >= 0) {
    address = text.slice(0, slash)
    maskText = text.slice(slash + 1)
    if (maskText === "") throw invalid(text)
  }
  if (address.length >= 2 && address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1)
  const percent = address.lastIndexOf("%")
  if (percent >= 0) {
    const zone = address.slice(percent + 1)
    if (!validZone(zone)) throw invalid(text)
    address = address.slice(0, percent)
  }
  const resolved = numericAddress(address, options.ipv6 ?? false)
  if (resolved === undefined) throw invalid(text)
  const full = resolved.length * 8
  let prefix = full
  if (maskText !== undefined) {
    if (maskText === "0") prefix = 0
    else {
      prefix = strtol(maskText)
      if (prefix < 1 || prefix > full) throw invalid(text)
    }
  }
  return { family: resolved.length === 4 ? 4 : 6, bytes: resolved, prefix }
}

/**
 * True when a peer's address (as Node reports it: `remoteAddress`, `remoteFamily`) is matched by
 * `mask`: the same family, and the same leading `prefix` bits, as libzmq's
 * `tcp_address_mask_t::match_address`.
 *
 * @example
 * ```ts
 * matchesTcpAddressMask(parseTcpAddressMask("10.0.0.0/8"), "10.1.2.3") // true
 * ```
 */
export function matchesTcpAddressMask(mask: TcpAddressMask, address: string): boolean {
  const percent = address.indexOf("%")
  const bytes = numericPeer(percent >= 0 ? address.slice(0, percent) : address)
  if (bytes === undefined || bytes.length !== mask.bytes.length) return false
  const whole = mask.prefix >> 3
  for (let i = 0; i < whole; i++) if (bytes[i] !== mask.bytes[i]) return false
  const bits = mask.prefix & 7
  if (bits === 0) return true
  const keep = (0xff << (8 - bits)) & 0xff
  return ((bytes[whole]! ^ mask.bytes[whole]!) & keep) === 0
}

function invalid(text: string): TransportError {
  return new TransportError("EINVAL", `invalid tcp accept filter ${JSON.stringify(text)}`)
}

/** A zone as libzmq takes it: an interface's name, or a number that `atoi` reads as not 0. */
function validZone(zone: string): boolean {
  if (zone === "") return false
  if (/^[A-Za-z]/.test(zone)) return Object.hasOwn(networkInterfaces(), zone)
  return atoi(zone) !== 0
}

/** `getaddrinfo` with `AI_NUMERICHOST`, for `AF_INET` or (with `ipv6`) `AF_INET6 | AI_V4MAPPED`. */
function numericAddress(text: string, ipv6: boolean): Uint8Array | undefined {
  const v4 = inetAton(text)
  if (v4 !== undefined) return ipv6 ? mapped(v4) : v4
  const v6 = inet6(text)
  if (v6 === undefined) return undefined
  if (ipv6) return v6
  // glibc: an IPv4-mapped address asked for as AF_INET is its IPv4 address.
  return isMapped(v6) ? v6.slice(12) : undefined
}

/** The address Node reports for a peer: dotted IPv4, or IPv6 text. */
function numericPeer(text: string): Uint8Array | undefined {
  return inetAton(text) ?? inet6(text)
}

function mapped(v4: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16)
  bytes[10] = 0xff
  bytes[11] = 0xff
  bytes.set(v4, 12)
  return bytes
}

function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false
  return bytes[10] === 0xff && bytes[11] === 0xff
}

/**
 * glibc's `inet_aton` as `getaddrinfo` uses it (the whole text, nothing after): one to four parts,
 * each decimal, octal (leading 0) or hexadecimal (0x); the last part fills the octets left.
 */
export function inetAton(text: string): Uint8Array | undefined {
  const parts = text.split(".")
  if (parts.length > 4) return undefined
  const values: number[] = []
  for (const part of parts) {
    const value = cNumber(part)
    if (value === undefined) return undefined
    values.push(value)
  }
  const last = values.pop()!
  if (values.some((value) => value > 0xff)) return undefined
  if (last >= 2 ** (8 * (4 - values.length))) return undefined
  const bytes = new Uint8Array(4)
  values.forEach((value, i) => {
    bytes[i] = value
  })
  for (let i = 3, rest = last; i >= values.length; i--, rest = Math.floor(rest / 256)) bytes[i] = rest & 0xff
  return bytes
}

/** One part of an `inet_aton` address: `strtoul` in base 0, digits only, at most 32 bits. */
function cNumber(part: string): number | undefined {
  let value: number
  if (/^0[xX][0-9a-fA-F]+$/.test(part)) value = Number.parseInt(part.slice(2), 16)
  else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0 : Number.parseInt(part.slice(1), 8)
  else if (/^[1-9][0-9]*$/.test(part)) value = Number(part)
  else return undefined
  return value <= 0xffffffff ? value : undefined
}

/**
 * `inet_pton(AF_INET6)`: Node's `isIPv6` checks the syntax (eight groups of up to four hex digits,
 * at most one `::`, a dotted IPv4 tail), then the groups are laid out.
 */
export function inet6(text: string): Uint8Array | undefined {
  if (text.includes("%") || !isIPv6(text)) return undefined
  const groups = (half: string): number[] => {
    if (half === "") return []
    const out: number[] = []
    for (const piece of half.split(":")) {
      if (piece.includes(".")) {
        const [a, b, c, d] = piece.split(".").map(Number) as [number, number, number, number]
        out.push((a << 8) | b, (c << 8) | d)
      } else out.push(Number.parseInt(piece, 16))
    }
    return out
  }
  const [first, second] = text.split("::") as [string, string | undefined]
  const head = groups(first)
  const tail = second === undefined ? [] : groups(second)
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  if (all.length !== 8) return undefined
  const bytes = new Uint8Array(16)
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8
    bytes[2 * i + 1] = group & 0xff
  })
  return bytes
}

/** C's `strtol` in base 10, as libzmq reads the mask: leading space and a sign, then digits. */
function strtol(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(text)!
  const digits = match[2]!
  if (digits === "") return 0
  const value = Number(digits)
  return match[1] === "-" ? -value : value
}

/** C's `atoi`. */
function atoi(text: string): number {
  return strtol(text)
}
