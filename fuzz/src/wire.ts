/**
 * Structure-aware generation of ZMTP 3.x wire input (RFC 23 and RFC 37, rfc.zeromq.org/spec/23 and
 * /spec/37): greetings, frames, commands and metadata built by hand, independently of the codec's
 * own encoders, so that a bug shared by encoder and decoder cannot hide itself.
 *
 * Every generated stream records where its length and flags fields sit (`Field`), so that the
 * mutators can rewrite exactly those fields to boundary values, which is where parsers break.
 */
import { DEFAULT_MAX_PROPERTIES } from "@zl/codec"
import { MAX_ROUTING_ID } from "@zl/engine"
import { latin1 } from "./bytes.js"
import type { Rng } from "./prng.js"

/**
 * The largest input the harness feeds: 64 KiB of content, plus room for the headers of a frame with
 * a 65 536-octet body (one of the boundary sizes), so that boundary is reachable.
 */
export const MAX_INPUT = 64 * 1024 + 128

/** Frame flag bits (RFC 37 "Framing"). */
export const Flag = { MORE: 0x01, LONG: 0x02, COMMAND: 0x04 } as const
/** Bits 3-7 of the flags octet: reserved, ignored by libzmq. */
export const RESERVED_FLAGS = 0xf8

/** Body sizes where the short/long framing switches or a 16-bit counter would overflow. */
export const BOUNDARY_SIZES = [0, 1, 254, 255, 256, 257, 65_535, 65_536] as const

/** What a field of a generated stream holds. */
export type FieldKind =
  | "flags"
  | "frame-size"
  | "name-size"
  | "value-size"
  | "reason-size"
  | "ping-ttl"
  | "greeting-major"
  | "greeting-minor"

/** A field inside a generated stream: `width` octets at `offset`, big-endian. */
export interface Field {
  readonly offset: number
  readonly width: 1 | 2 | 4 | 8
  readonly kind: FieldKind
}

/** Octets with the fields inside them. */
export interface Piece {
  readonly bytes: Uint8Array
  readonly fields: readonly Field[]
}

/** The socket types of RFC 37 and which peer types each accepts (libzmq `mechanism_t::check_socket_type`). */
export const SOCKET_PEERS = {
  PAIR: ["PAIR"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PULL: ["PUSH"],
  PUSH: ["PULL"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
} as const satisfies Record<string, readonly string[]>

export type SocketTypeName = keyof typeof SOCKET_PEERS
export const SOCKET_TYPES = Object.keys(SOCKET_PEERS) as SocketTypeName[]

/** Mechanism names a greeting may carry: the three of RFC 37 and some a peer might invent. */
export const MECHANISMS = ["NULL", "PLAIN", "CURVE", "GSSAPI", "ZAP", "X", "NULL-2", "A.B_C+D"] as const

/** Collects pieces and keeps their fields' offsets relative to the whole stream. */
export class StreamBuilder {
  private readonly parts: Uint8Array[] = []
  private readonly fieldList: Field[] = []
  private size = 0

  /** Octets so far. */
  get length(): number {
    return this.size
  }

  /** Appends a piece. */
  push(piece: Piece): this {
    for (const f of piece.fields) this.fieldList.push({ ...f, offset: f.offset + this.size })
    this.parts.push(piece.bytes)
    this.size += piece.bytes.length
    return this
  }

  /** The stream and its fields. */
  build(): Piece {
    const out = new Uint8Array(this.size)
    let pos = 0
    for (const p of this.parts) {
      out.set(p, pos)
      pos += p.length
    }
    return { bytes: out, fields: this.fieldList }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoders, built by hand from RFC 37

/** What a greeting says. `padding` overrides octets 1-8, which RFC 37 says are not significant. */
export interface GreetingSpec {
  readonly major: number
  readonly minor: number
  readonly mechanism: string
  readonly asServer: number
  readonly padding?: Uint8Array
  readonly filler?: Uint8Array
}

/** The 64-octet greeting (RFC 37 "Version Negotiation"). */
export function greeting(spec: GreetingSpec): Piece {
  const out = new Uint8Array(64)
  out[0] = 0xff
  if (spec.padding !== undefined) out.set(spec.padding.subarray(0, 8), 1)
  else out[8] = 0x01
  out[9] = 0x7f
  out[10] = spec.major
  out[11] = spec.minor
  for (let i = 0; i < spec.mechanism.length && i < 20; i++) out[12 + i] = spec.mechanism.charCodeAt(i)
  out[32] = spec.asServer
  if (spec.filler !== undefined) out.set(spec.filler.subarray(0, 31), 33)
  return {
    bytes: out,
    fields: [
      { offset: 10, width: 1, kind: "greeting-major" },
      { offset: 11, width: 1, kind: "greeting-minor" },
    ],
  }
}

/** A frame: flags, a 1- or 8-octet size, the body. `long` forces the 8-octet size on a small body. */
export function frame(flags: number, body: Piece | Uint8Array, long = false): Piece {
  const b = body instanceof Uint8Array ? { bytes: body, fields: [] } : body
  const size = b.bytes.length
  const isLong = long || size > 255
  const header = isLong ? 9 : 2
  const out = new Uint8Array(header + size)
  out[0] = isLong ? flags | Flag.LONG : flags & ~Flag.LONG
  if (isLong) {
    const view = new DataView(out.buffer)
    view.setUint32(1, Math.floor(size / 2 ** 32))
    view.setUint32(5, size >>> 0)
  } else {
    out[1] = size
  }
  out.set(b.bytes, header)
  const fields: Field[] = [
    { offset: 0, width: 1, kind: "flags" },
    { offset: 1, width: isLong ? 8 : 1, kind: "frame-size" },
  ]
  for (const f of b.fields) fields.push({ ...f, offset: f.offset + header })
  return { bytes: out, fields }
}

/** A command body: `name-size name data` (RFC 37 "Commands"). The name is taken as Latin-1. */
export function commandBody(name: string, data: Piece | Uint8Array = new Uint8Array(0)): Piece {
  const d = data instanceof Uint8Array ? { bytes: data, fields: [] } : data
  const out = new Uint8Array(1 + name.length + d.bytes.length)
  out[0] = name.length
  out.set(latin1(name), 1)
  out.set(d.bytes, 1 + name.length)
  const fields: Field[] = [{ offset: 0, width: 1, kind: "name-size" }]
  for (const f of d.fields) fields.push({ ...f, offset: f.offset + 1 + name.length })
  return { bytes: out, fields }
}

/** A metadata property: a raw name (any octets, so that invalid names can be sent) and value. */
export interface Property {
  readonly name: Uint8Array
  readonly value: Uint8Array
}

/** Metadata: `name-size name value-size(4) value` per property (RFC 37 "The NULL Security Mechanism"). */
export function metadata(props: readonly Property[]): Piece {
  let size = 0
  for (const p of props) size += 1 + p.name.length + 4 + p.value.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  const fields: Field[] = []
  let pos = 0
  for (const p of props) {
    fields.push({ offset: pos, width: 1, kind: "name-size" })
    out[pos++] = p.name.length
    out.set(p.name, pos)
    pos += p.name.length
    fields.push({ offset: pos, width: 4, kind: "value-size" })
    view.setUint32(pos, p.value.length)
    pos += 4
    out.set(p.value, pos)
    pos += p.value.length
  }
  return { bytes: out, fields }
}

/** A property with an ASCII name and value. */
export function prop(name: string, value: string | Uint8Array): Property {
  return { name: latin1(name), value: typeof value === "string" ? latin1(value) : value }
}

/** PING data: `ttl(2) context` (RFC 37 "Connection Heartbeating"). */
export function pingData(ttl: number, context: Uint8Array): Piece {
  const out = new Uint8Array(2 + context.length)
  out[0] = ttl >>> 8
  out[1] = ttl & 0xff
  out.set(context, 2)
  return { bytes: out, fields: [{ offset: 0, width: 2, kind: "ping-ttl" }] }
}

/** ERROR data: `reason-size(1) reason` (RFC 37 "Error Command"). */
export function errorData(reason: Uint8Array): Piece {
  const out = new Uint8Array(1 + reason.length)
  out[0] = reason.length
  out.set(reason, 1)
  return { bytes: out, fields: [{ offset: 0, width: 1, kind: "reason-size" }] }
}

/** A whole command frame. */
export function commandFrame(name: string, data?: Piece | Uint8Array, long = false): Piece {
  return frame(Flag.COMMAND, commandBody(name, data), long)
}

// ---------------------------------------------------------------------------------------------
// Random content

/** A body of `size` octets in one of several shapes: random, zero, one repeated octet, ASCII text. */
export function body(rng: Rng, wanted: number): Uint8Array {
  const size = Math.max(0, Math.floor(wanted))
  switch (rng.below(4)) {
    case 0:
      return rng.bytes(size)
    case 1:
      return new Uint8Array(size)
    case 2:
      return new Uint8Array(size).fill(rng.below(256))
    default: {
      const out = new Uint8Array(size)
      for (let i = 0; i < size; i++) out[i] = 0x20 + rng.below(95)
      return out
    }
  }
}

/** A frame body size: a boundary size one time in eight, else small-biased up to `max`. */
export function frameSize(rng: Rng, max: number): number {
  if (rng.chance(0.125)) {
    const boundary = rng.pick(BOUNDARY_SIZES)
    if (boundary <= max) return boundary
  }
  return rng.size(Math.max(0, max))
}

/** A flags octet for a data frame: MORE as given, sometimes reserved bits (which libzmq ignores). */
function dataFlags(rng: Rng, more: boolean): number {
  let flags = more ? Flag.MORE : 0
  if (rng.chance(0.05)) flags |= rng.below(256) & RESERVED_FLAGS
  return flags
}

/** Frames of one message, with MORE on all but the last; the first frame is `first` when given. */
export function message(
  rng: Rng,
  budget: number,
  first?: Uint8Array,
): { piece: Piece; frames: Uint8Array[] } {
  // One message in a hundred is a long MORE chain of tiny frames: thousands of parts held at once.
  const chain = rng.chance(0.01)
  const count = chain ? rng.int(1000, 30_000) : 1 + rng.size(rng.chance(0.1) ? 64 : 6)
  const b = new StreamBuilder()
  const frames: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const more = i < count - 1
    const size = chain ? rng.size(4) : frameSize(rng, budget - b.length - 9)
    const content = i === 0 && first !== undefined ? first : body(rng, size)
    if (b.length + content.length + 9 > budget && i > 0) {
      // Out of room: end the message here with an empty last frame.
      b.push(frame(dataFlags(rng, false), new Uint8Array(0)))
      frames.push(new Uint8Array(0))
      break
    }
    b.push(frame(dataFlags(rng, more), content, rng.chance(0.1)))
    frames.push(content)
  }
  return { piece: b.build(), frames }
}

/** A random command or property name of valid characters (`A-Z a-z 0-9 - _ . +`, RFC 37). */
export function validName(rng: Rng, max = 255): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+"
  const length = 1 + rng.size(max - 1)
  let s = ""
  for (let i = 0; i < length; i++) s += chars[rng.below(chars.length)]
  return s
}

/**
 * A property name: a standard one in some casing, an `X-` one, a random one, or an invalid one.
 * `standard` false leaves out the names the engine reads (Socket-Type, Identity).
 */
function propertyName(rng: Rng, standard: boolean): Uint8Array {
  switch (standard ? rng.below(6) : 2 + rng.below(4)) {
    case 0:
      return latin1(rng.pick(["Socket-Type", "socket-type", "SOCKET-TYPE", "Socket-type"]))
    case 1:
      return latin1(rng.pick(["Identity", "identity", "Resource", "User-Id"]))
    case 2:
      return latin1(`X-${validName(rng, 40)}`)
    case 3:
      return latin1(validName(rng))
    case 4:
      // Octets outside the name alphabet, NUL and 0xFF included.
      return rng.bytes(1 + rng.size(20))
    default:
      return latin1(validName(rng, 8))
  }
}

/**
 * A property value size: small mostly, a boundary size sometimes, and now and then most of the
 * room left, so that a READY with a single huge property is generated too.
 */
function valueSize(rng: Rng, room: number): number {
  if (room <= 0) return 0
  if (rng.chance(0.03)) return rng.int(Math.floor(room / 2), room)
  return Math.min(room, frameSize(rng, 300))
}

/** The routing-id value of an `Identity` property: empty, libzmq-sized (up to 255) or oversized. */
function identityValue(rng: Rng, room: number): Uint8Array {
  if (rng.chance(0.3)) return new Uint8Array(0)
  // libzmq refuses an Identity over 255 octets; one in twenty takes most of the room instead.
  if (rng.chance(0.05) && room > 0) return body(rng, rng.int(Math.floor(room / 2), room))
  return body(rng, Math.min(Math.max(room, 0), valueSize(rng, Math.min(room, rng.chance(0.9) ? 255 : room))))
}

/** Options of {@link readyProperties}. */
export interface ReadyOptions {
  /** The Socket-Type to announce, or undefined for none. */
  readonly socketType: string | undefined
  /** Room for the whole metadata, in octets. */
  readonly budget: number
  /** Extra properties may also be named Socket-Type or Identity (in any casing), overriding the real ones. */
  readonly shadow?: boolean
}

/** The properties of a READY: Socket-Type, maybe Identity, and some others, in random order. */
export function readyProperties(rng: Rng, options: ReadyOptions): Property[] {
  const props: Property[] = []
  let room = options.budget - 64
  if (options.socketType !== undefined) {
    props.push(
      prop(rng.chance(0.9) ? "Socket-Type" : rng.pick(["socket-type", "SOCKET-TYPE"]), options.socketType),
    )
  }
  if (rng.chance(0.5)) {
    const value = identityValue(rng, room)
    room -= value.length
    props.push(prop("Identity", value))
  }
  const extra = rng.chance(0.5) ? 0 : rng.size(rng.chance(0.05) ? 200 : 4)
  for (let i = 0; i < extra && room > 0; i++) {
    const name = propertyName(rng, options.shadow ?? true)
    const value = body(rng, valueSize(rng, room - name.length - 5))
    room -= name.length + 5 + value.length
    props.push({ name, value })
  }
  // Order carries no meaning (RFC 37); shuffle so that Socket-Type is not always first.
  for (let i = props.length - 1; i > 0; i--) {
    const j = rng.below(i + 1)
    ;[props[i], props[j]] = [props[j]!, props[i]!]
  }
  return props
}

/** A greeting a peer might send: mostly ZMTP 3.1 or 3.0, sometimes a later version or odd padding. */
export function randomGreeting(rng: Rng, mechanism?: string): GreetingSpec {
  const major = rng.chance(0.9) ? 3 : rng.int(3, 255)
  const minor = rng.chance(0.45) ? 1 : rng.chance(0.8) ? 0 : rng.below(256)
  return {
    major,
    minor,
    mechanism: mechanism ?? rng.pick(MECHANISMS),
    asServer: rng.chance(0.8) ? 0 : rng.chance(0.5) ? 1 : rng.below(256),
    ...(rng.chance(0.2) ? { padding: rng.bytes(8) } : {}),
    ...(rng.chance(0.1) ? { filler: rng.bytes(31) } : {}),
  }
}

// ---------------------------------------------------------------------------------------------
// Streams

/** What a generated stream must produce when fed unmutated: each decoded unit in order. */
export type WireEvent =
  | { readonly kind: "message"; readonly frames: readonly Uint8Array[] }
  | { readonly kind: "command"; readonly body: Uint8Array }

/** Topic sizes for SUBSCRIBE and CANCEL: short mostly, sometimes long enough to build a deep trie. */
function topicSize(rng: Rng, room: number): number {
  if (rng.chance(0.02)) return Math.max(0, Math.min(room, rng.int(1024, 8192)))
  return Math.max(0, Math.min(room, frameSize(rng, 64)))
}

/** Names of commands a session may carry after READY: RFC 37's, the security mechanisms', made-up ones. */
const COMMAND_NAMES = [
  "PING",
  "PONG",
  "SUBSCRIBE",
  "CANCEL",
  "ERROR",
  "READY",
  "HELLO",
  "WELCOME",
  "INITIATE",
  "MESSAGE",
] as const

/** A command's name and data as a session peer might send them, after READY. */
export function randomCommand(rng: Rng, room: number): { name: string; data: Piece } {
  const name = rng.chance(0.85) ? rng.pick(COMMAND_NAMES) : validName(rng, rng.chance(0.1) ? 255 : 12)
  let data: Piece
  switch (name) {
    case "PING":
      data = pingData(
        rng.chance(0.5) ? 0 : rng.below(0x10000),
        body(rng, rng.size(rng.chance(0.9) ? 16 : 40)),
      )
      break
    case "PONG":
      data = { bytes: body(rng, rng.size(16)), fields: [] }
      break
    case "SUBSCRIBE":
    case "CANCEL":
      data = { bytes: body(rng, topicSize(rng, room - 20)), fields: [] }
      break
    case "ERROR":
      data = errorData(body(rng, rng.size(255)))
      break
    case "READY":
      data = metadata(
        readyProperties(rng, { socketType: rng.pick(SOCKET_TYPES), budget: Math.min(room, 4096) }),
      )
      break
    default:
      data = { bytes: body(rng, frameSize(rng, Math.min(room - 300, 4096))), fields: [] }
  }
  return { name, data }
}

/** One command frame as a session peer would send it, and its body. */
export function sessionCommand(rng: Rng, room: number): { piece: Piece; body: Uint8Array; name: string } {
  const long = rng.chance(0.05)
  const { name, data } = randomCommand(rng, room)
  const piece = commandFrame(name, data, long)
  return { piece, body: piece.bytes.subarray(piece.bytes.length - 1 - name.length - data.bytes.length), name }
}

/**
 * A stream of frames for the decoder alone: messages (MORE chains) and command frames with random
 * bodies (the decoder does not look inside commands), up to `budget` octets.
 */
export function frameStream(rng: Rng, budget: number): Piece & { events: WireEvent[]; open: boolean } {
  const b = new StreamBuilder()
  const events: WireEvent[] = []
  // One stream in fifty ends inside a long multipart message, as a peer that never sends the last
  // part: the decoder holds every part it read.
  if (rng.chance(0.02)) {
    const room = Math.max(budget, rng.int(16 * 1024, MAX_INPUT))
    for (let i = 0, n = rng.int(1000, 30_000); i < n && b.length + 6 <= room; i++) {
      b.push(frame(Flag.MORE, body(rng, rng.size(4))))
    }
    return { ...b.build(), events, open: true }
  }
  const units = 1 + rng.size(rng.chance(0.1) ? 200 : 12)
  for (let i = 0; i < units && b.length < budget - 16; i++) {
    const room = budget - b.length
    if (rng.chance(0.3)) {
      const size = Math.min(frameSize(rng, room - 9), room - 9)
      const content = body(rng, size)
      b.push(
        frame(
          Flag.COMMAND | (rng.chance(0.05) ? rng.below(256) & RESERVED_FLAGS : 0),
          content,
          rng.chance(0.1),
        ),
      )
      events.push({ kind: "command", body: content })
    } else {
      const m = message(rng, room)
      b.push(m.piece)
      events.push({ kind: "message", frames: m.frames })
    }
  }
  return { ...b.build(), events, open: false }
}

/** What an engine must do with a session stream that was not mutated. */
export interface SessionExpectation {
  /** Messages delivered, subscriptions as `\x01topic` / `\x00topic`, in order. */
  readonly messages: readonly (readonly Uint8Array[])[]
  /** PING contexts, each echoed (its first 16 octets) by a PONG. */
  readonly pongs: readonly Uint8Array[]
  /** The code the session must end with, or undefined for none. */
  readonly failure: string | undefined
}

/**
 * The room for a session: small mostly (most bugs show there), large one time in ten, and one time
 * in twenty at least 16 KiB, where what the input costs in memory is measured.
 */
export function sessionBudget(rng: Rng): number {
  if (rng.chance(0.05)) return rng.int(16 * 1024, MAX_INPUT - 256)
  return 64 + 16 + rng.size(rng.chance(0.1) ? MAX_INPUT - 256 : 2048)
}

/** Options of {@link session}. */
export interface SessionOptions {
  /** The socket type of the side that reads this stream. */
  readonly localType: SocketTypeName
  readonly budget: number
  /** Only what a correct peer may send: no ERROR, no security command, no second READY. */
  readonly polite?: boolean
}

/**
 * A whole session as a peer sends it: greeting (NULL mechanism, ZMTP 3.0 or 3.1), READY with a
 * Socket-Type the local side accepts, then messages and commands.
 */
export function session(rng: Rng, options: SessionOptions): Piece & { expect: SessionExpectation } {
  const b = new StreamBuilder()
  const g = randomGreeting(rng, "NULL")
  b.push(greeting(g))
  const minor = g.major > 3 ? 1 : g.minor
  const peerType = rng.pick(SOCKET_PEERS[options.localType])
  // One session in twenty is a subscriber at work: SUBSCRIBE and CANCEL (or their ZMTP 3.0 message
  // form), some topics long enough to build a deep trie, with the room to send them.
  const subscriber = rng.chance(0.05)
  // One in thirty sends a READY with one huge property (an Identity, a Resource, an X- one),
  // large enough for what it costs in memory to show over the runner's slack.
  const bigReady = !subscriber && rng.chance(0.03)
  let budget = options.budget
  if (subscriber) budget = Math.max(budget, rng.int(4096, MAX_INPUT - 256))
  if (bigReady) budget = Math.max(budget, rng.int(32 * 1024, MAX_INPUT - 256))
  const props = bigReady
    ? [
        prop("Socket-Type", peerType),
        prop(
          rng.pick(["Identity", "Resource", "X-Big"]),
          body(rng, rng.int((budget * 3) >> 2, budget - 200)),
        ),
      ]
    : readyProperties(rng, {
        socketType: peerType,
        // Now and then a READY as large as the input allows: one huge property, or many.
        budget: Math.min(budget - 64, rng.chance(0.1) ? MAX_INPUT : 4096),
        shadow: false,
      })
  b.push(frame(Flag.COMMAND, commandBody("READY", metadata(props)), rng.chance(0.05)))
  // What a READY may carry (docs/limits.md): at most 64 properties, an Identity of 255 octets.
  // Past either, the session ends there.
  const identity = props.find((p) => String.fromCharCode(...p.name) === "Identity")
  const refused =
    props.length > DEFAULT_MAX_PROPERTIES
      ? "ZMTP_ERR_METADATA_LIMIT"
      : identity !== undefined && identity.value.length > MAX_ROUTING_ID
        ? "ZMTP_ERR_BAD_ROUTING_ID"
        : undefined
  if (refused !== undefined) return { ...b.build(), expect: { messages: [], pongs: [], failure: refused } }
  const messages: Uint8Array[][] = []
  const pongs: Uint8Array[] = []
  const topics: Uint8Array[] = []
  let failure: string | undefined
  const units = subscriber ? 1 + rng.size(200) : rng.size(rng.chance(0.1) ? 100 : 10)
  for (let i = 0; i < units && b.length < budget - 32; i++) {
    const room = budget - b.length
    if (subscriber) {
      const cancel = topics.length > 0 && rng.chance(0.3)
      const topic =
        cancel && rng.chance(0.7) ? rng.pick(topics) : body(rng, subscriberTopicSize(rng, room - 20))
      if (!cancel) topics.push(topic)
      const m = new Uint8Array(topic.length + 1)
      m[0] = cancel ? 0 : 1
      m.set(topic, 1)
      b.push(
        minor >= 1 && rng.chance(0.7) ? commandFrame(cancel ? "CANCEL" : "SUBSCRIBE", topic) : frame(0, m),
      )
      messages.push([m])
    } else if (rng.chance(0.35)) {
      const c = sessionCommand(rng, room)
      const name = c.name
      const data = c.body.subarray(1 + name.length)
      if (options.polite && !["PING", "PONG", "SUBSCRIBE", "CANCEL"].includes(name)) continue
      if (name === "PING" && data.length < 2) continue
      b.push(c.piece)
      if (name === "PING") pongs.push(data.subarray(2, 2 + 16))
      else if (name === "SUBSCRIBE" || name === "CANCEL") {
        const m = new Uint8Array(data.length + 1)
        m[0] = name === "SUBSCRIBE" ? 1 : 0
        m.set(data, 1)
        messages.push([m])
      } else if (name === "READY") {
        failure = "ZMTP_ERR_UNEXPECTED_COMMAND"
        break
      }
      // An ERROR after the handshake is ignored, as libzmq ignores it.
    } else if (minor === 0 && rng.chance(0.3)) {
      // A ZMTP 3.0 peer subscribes with a message: `\x01topic` or `\x00topic`.
      const topic = body(rng, topicSize(rng, room - 20))
      const m = new Uint8Array(topic.length + 1)
      m[0] = rng.below(2)
      m.set(topic, 1)
      b.push(frame(0, m))
      messages.push([m])
    } else {
      const m = message(rng, room)
      b.push(m.piece)
      messages.push(m.frames)
    }
  }
  return { ...b.build(), expect: { messages, pongs, failure } }
}

/** A subscriber's topic: short mostly, one in four between 1 and 8 KiB. */
function subscriberTopicSize(rng: Rng, room: number): number {
  const size = rng.chance(0.25) ? rng.int(1024, 8192) : frameSize(rng, 64)
  return Math.max(0, Math.min(room, size))
}

// ---------------------------------------------------------------------------------------------
// Lenient reading, to classify inputs (`--skip-known`)

/** One frame read leniently: its flags and body (a view). */
export interface ScannedFrame {
  readonly flags: number
  readonly body: Uint8Array
}

/**
 * The complete frames of `bytes` from `from`, read as a decoder would, stopping at the first frame
 * that runs past the end or has an impossible size. Never throws.
 */
export function scanFrames(bytes: Uint8Array, from: number): ScannedFrame[] {
  const out: ScannedFrame[] = []
  let pos = from
  while (pos + 2 <= bytes.length) {
    const flags = bytes[pos]!
    let size: number
    let start: number
    if ((flags & Flag.LONG) === 0) {
      size = bytes[pos + 1]!
      start = pos + 2
    } else {
      if (pos + 9 > bytes.length) break
      const view = new DataView(bytes.buffer, bytes.byteOffset + pos + 1, 8)
      size = view.getUint32(0) * 2 ** 32 + view.getUint32(4)
      start = pos + 9
    }
    if (start + size > bytes.length) break
    out.push({ flags, body: bytes.subarray(start, start + size) })
    pos = start + size
  }
  return out
}

/** The name and data of a command body, or undefined when the name runs past it. */
function splitCommand(body: Uint8Array): { name: string; data: Uint8Array } | undefined {
  const n = body[0] ?? 0
  if (n === 0 || 1 + n > body.length) return undefined
  let name = ""
  for (let i = 1; i <= n; i++) name += String.fromCharCode(body[i]!)
  return { name, data: body.subarray(1 + n) }
}

/** True when a READY in the stream (after the 64-octet greeting) declares a property value over `limit`. */
export function hasLargeReadyValue(bytes: Uint8Array, limit: number): boolean {
  for (const f of scanFrames(bytes, 64)) {
    if ((f.flags & Flag.COMMAND) === 0) continue
    const c = splitCommand(f.body)
    if (c === undefined || c.name !== "READY") continue
    const data = c.data
    let pos = 0
    while (pos < data.length) {
      pos += 1 + data[pos]!
      if (pos + 4 > data.length) break
      const size = new DataView(data.buffer, data.byteOffset + pos, 4).getUint32(0)
      if (size > limit) return true
      pos += 4 + size
    }
  }
  return false
}

/**
 * True when the subscriptions in the stream (after the greeting) have topics adding up to more than
 * `limit` octets: SUBSCRIBE and CANCEL commands, and messages whose first frame starts with 0x01 or
 * 0x00 (the ZMTP 3.0 form, which PUB and XPUB take from any peer).
 */
export function hasLongTopic(bytes: Uint8Array, limit: number): boolean {
  let first = true
  let total = 0
  for (const f of scanFrames(bytes, 64)) {
    if ((f.flags & Flag.COMMAND) !== 0) {
      const c = splitCommand(f.body)
      if (c !== undefined && (c.name === "SUBSCRIBE" || c.name === "CANCEL")) total += c.data.length
    } else {
      if (first && f.body.length > 0 && (f.body[0] === 0 || f.body[0] === 1)) total += f.body.length - 1
      first = (f.flags & Flag.MORE) === 0
    }
    if (total > limit) return true
  }
  return false
}

/** True when the stream (from `from`) holds a multipart message of more than `limit` frames. */
export function hasLongMultipart(bytes: Uint8Array, from: number, limit: number): boolean {
  let run = 0
  for (const f of scanFrames(bytes, from)) {
    if ((f.flags & Flag.COMMAND) !== 0) continue
    run = (f.flags & Flag.MORE) !== 0 ? run + 1 : 0
    if (run > limit) return true
  }
  return false
}

/**
 * Reads the commands out of a ZMTP stream as it goes by, in chunks of any size, after a 64-octet
 * greeting: message bodies are skipped, not kept, so it follows megabytes of output in constant
 * space. Stops at the first impossible size.
 */
export class CommandReader {
  /** The command bodies kept so far: those `keep` accepted. */
  readonly commands: Uint8Array[] = []
  private readonly keep: (name: string) => boolean
  private skip = 64
  private readonly header = new Uint8Array(9)
  private have = 0
  private body: Uint8Array | undefined
  private filled = 0
  private discard = 0
  private broken = false

  /** `keep` decides, by command name, which bodies are kept (all by default). */
  constructor(keep: (name: string) => boolean = () => true) {
    this.keep = keep
  }

  private found(body: Uint8Array): void {
    const c = splitCommand(body)
    if (c === undefined || this.keep(c.name)) this.commands.push(body)
  }

  push(chunk: Uint8Array): void {
    let pos = 0
    while (pos < chunk.length && !this.broken) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos)
        this.skip -= n
        pos += n
      } else if (this.discard > 0) {
        const n = Math.min(this.discard, chunk.length - pos)
        this.discard -= n
        pos += n
      } else if (this.body !== undefined) {
        const n = Math.min(this.body.length - this.filled, chunk.length - pos)
        this.body.set(chunk.subarray(pos, pos + n), this.filled)
        this.filled += n
        pos += n
        if (this.filled === this.body.length) {
          this.found(this.body)
          this.body = undefined
        }
      } else {
        this.header[this.have++] = chunk[pos++]!
        const long = (this.header[0]! & Flag.LONG) !== 0
        if (this.have < (long ? 9 : 2)) continue
        this.have = 0
        const h = this.header
        const size = long
          ? new DataView(h.buffer).getUint32(1) * 2 ** 32 + new DataView(h.buffer).getUint32(5)
          : h[1]!
        if (!Number.isSafeInteger(size) || size > 2 ** 32) {
          this.broken = true
          return
        }
        if ((h[0]! & Flag.COMMAND) === 0) this.discard = size
        else if (size === 0) this.found(new Uint8Array(0))
        else {
          this.body = new Uint8Array(size)
          this.filled = 0
        }
      }
    }
  }
}
