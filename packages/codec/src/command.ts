import {
  Command,
  DEFAULT_MAX_PROPERTIES,
  MAX_ERROR_REASON,
  MAX_PING_CONTEXT,
  MAX_PROPERTY_NAME,
} from "./constants.js"
import { ZlError, ZmtpErrorCode, zmtpError } from "./errors.js"

/**
 * Command bodies (RFC 37 "Commands"): `name-size(1) name data`. These helpers build and take apart the
 * body of a COMMAND frame; the frame itself is the encoder's and decoder's business.
 */

/** A command taken apart: its name and a view of its data. */
export interface ParsedCommand {
  readonly name: string
  readonly data: Uint8Array
}

/** Metadata as the READY, INITIATE and ZAP messages carry it: property name to raw value. */
export type Metadata = Map<string, Uint8Array>

/** Values accepted when encoding metadata: raw bytes or a string (encoded as UTF-8). */
export type MetadataInput =
  | Iterable<readonly [string, Uint8Array | string]>
  | Record<string, Uint8Array | string>

const PROPERTY_NAME = /^[A-Za-z0-9\-_.+]+$/
const utf8 = new TextEncoder()

/** Reads `length` octets at `offset` as an ASCII/Latin-1 string. */
export function asciiString(bytes: Uint8Array, offset: number, length: number): string {
  let s = ""
  for (let i = offset; i < offset + length; i++) s += String.fromCharCode(bytes[i]!)
  return s
}

function writeAscii(target: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i)
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > MAX_PROPERTY_NAME || !PROPERTY_NAME.test(name)) {
    throw new ZlError("EINVAL", `invalid command or property name ${JSON.stringify(name)}`)
  }
}

/**
 * Builds a command body from a name and its data.
 *
 * @example
 * ```ts
 * encoder.command(encodeCommand("SUBSCRIBE", topic))
 * ```
 */
export function encodeCommand(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkName(name)
  const out = new Uint8Array(1 + name.length + data.length)
  out[0] = name.length
  writeAscii(out, 1, name)
  out.set(data, 1 + name.length)
  return out
}

/**
 * Takes a command body apart. The data is a view of `body`, not a copy.
 * Throws `ZMTP_ERR_MALFORMED_COMMAND` when the body is empty, the name is empty, or the name runs past the body.
 */
export function parseCommand(body: Uint8Array): ParsedCommand {
  const nameLength = body.length > 0 ? body[0]! : 0
  if (nameLength === 0 || 1 + nameLength > body.length) {
    throw zmtpError(
      ZmtpErrorCode.MALFORMED_COMMAND,
      body.length === 0
        ? "empty command frame"
        : `command name of ${nameLength} octets in a ${body.length}-octet frame`,
    )
  }
  return { name: asciiString(body, 1, nameLength), data: body.subarray(1 + nameLength) }
}

function entries(input: MetadataInput): Iterable<readonly [string, Uint8Array | string]> {
  return Symbol.iterator in input
    ? (input as Iterable<readonly [string, Uint8Array | string]>)
    : Object.entries(input)
}

/**
 * Encodes metadata properties: `name-size(1) name value-size(4, big-endian) value` each.
 * Names must be 1-255 characters of `A-Z a-z 0-9 - _ . +` (RFC 37); string values are UTF-8.
 */
export function encodeMetadata(input: MetadataInput): Uint8Array {
  const props: [string, Uint8Array][] = []
  let size = 0
  for (const [name, value] of entries(input)) {
    checkName(name)
    const bytes = typeof value === "string" ? utf8.encode(value) : value
    props.push([name, bytes])
    size += 1 + name.length + 4 + bytes.length
  }
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let pos = 0
  for (const [name, value] of props) {
    out[pos++] = name.length
    writeAscii(out, pos, name)
    pos += name.length
    view.setUint32(pos, value.length)
    pos += 4
    out.set(value, pos)
    pos += value.length
  }
  return out
}

/**
 * Parses metadata. Values are views of `data`. Names are kept with the peer's casing: libzmq compares
 * them case-sensitively, so look standard names up with the exact spelling of `Property`.
 * Throws `ZMTP_ERR_MALFORMED_METADATA` on an empty name or a property that runs past the data, and
 * `ZMTP_ERR_METADATA_LIMIT` when there are more than `maxProperties` properties (default
 * {@link DEFAULT_MAX_PROPERTIES}), before any of the surplus is decoded.
 */
export function parseMetadata(data: Uint8Array, maxProperties = DEFAULT_MAX_PROPERTIES): Metadata {
  const props: Metadata = new Map()
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let pos = 0
  let count = 0
  while (pos < data.length) {
    if (++count > maxProperties) {
      throw zmtpError(ZmtpErrorCode.METADATA_LIMIT, `more than ${maxProperties} metadata properties`)
    }
    const nameLength = data[pos]!
    if (nameLength === 0) throw zmtpError(ZmtpErrorCode.MALFORMED_METADATA, "empty property name")
    if (pos + 1 + nameLength + 4 > data.length) {
      throw zmtpError(ZmtpErrorCode.MALFORMED_METADATA, "property header runs past the command")
    }
    const name = asciiString(data, pos + 1, nameLength)
    pos += 1 + nameLength
    const valueLength = view.getUint32(pos)
    pos += 4
    if (valueLength > data.length - pos) {
      throw zmtpError(
        ZmtpErrorCode.MALFORMED_METADATA,
        `property ${JSON.stringify(name)} declares ${valueLength} octets, ${data.length - pos} remain`,
      )
    }
    props.set(name, data.subarray(pos, pos + valueLength))
    pos += valueLength
  }
  return props
}

/** READY (RFC 37): the NULL mechanism's handshake command, carrying metadata. */
export function encodeReady(metadata: MetadataInput): Uint8Array {
  return encodeCommand(Command.READY, encodeMetadata(metadata))
}

/** ERROR (RFC 37): a fatal reason of 0-255 octets. */
export function encodeErrorCommand(reason: string): Uint8Array {
  const bytes = utf8.encode(reason)
  if (bytes.length > MAX_ERROR_REASON) throw new ZlError("EINVAL", "ERROR reason is longer than 255 octets")
  const data = new Uint8Array(1 + bytes.length)
  data[0] = bytes.length
  data.set(bytes, 1)
  return encodeCommand(Command.ERROR, data)
}

/** Reads the reason of an ERROR command's data. */
export function parseErrorCommand(data: Uint8Array): string {
  const length = data.length > 0 ? data[0]! : -1
  if (length < 0 || 1 + length > data.length) {
    throw zmtpError(ZmtpErrorCode.MALFORMED_COMMAND_DATA, "ERROR reason runs past the command")
  }
  return new TextDecoder().decode(data.subarray(1, 1 + length))
}

/** SUBSCRIBE (ZMTP 3.1): the topic prefix is the whole data. */
export function encodeSubscribe(topic: Uint8Array): Uint8Array {
  return encodeCommand(Command.SUBSCRIBE, topic)
}

/** CANCEL (ZMTP 3.1): the topic prefix is the whole data. */
export function encodeCancel(topic: Uint8Array): Uint8Array {
  return encodeCommand(Command.CANCEL, topic)
}

/** A PING's content: TTL in deciseconds (0 = none) and up to 16 octets of context. */
export interface Ping {
  readonly ttl: number
  readonly context: Uint8Array
}

/** PING (RFC 37): `ttl(2, big-endian, deciseconds) context(0-16)`. */
export function encodePing(ttlDeciseconds: number, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(ttlDeciseconds) || ttlDeciseconds < 0 || ttlDeciseconds > 0xffff) {
    throw new ZlError("EINVAL", `PING TTL ${ttlDeciseconds} is not within 0-65535 deciseconds`)
  }
  if (context.length > MAX_PING_CONTEXT) throw new ZlError("EINVAL", "PING context is longer than 16 octets")
  const data = new Uint8Array(2 + context.length)
  data[0] = ttlDeciseconds >>> 8
  data[1] = ttlDeciseconds & 0xff
  data.set(context, 2)
  return encodeCommand(Command.PING, data)
}

/** Reads a PING's data. A peer's context longer than 16 octets is kept; a PONG echoes the first 16. */
export function parsePing(data: Uint8Array): Ping {
  if (data.length < 2) throw zmtpError(ZmtpErrorCode.MALFORMED_COMMAND_DATA, "PING without a TTL")
  return { ttl: (data[0]! << 8) | data[1]!, context: data.subarray(2) }
}

/** PONG (RFC 37): echoes the PING's context, at most 16 octets of it (as libzmq does). */
export function encodePong(context: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeCommand(Command.PONG, context.subarray(0, MAX_PING_CONTEXT))
}
