/**
 * Helpers shared by the codec tests: hex fixtures, a recording decoder sink and error capture.
 * Not a test file itself (vitest only runs `*.test.ts`).
 */
import {
  Decoder,
  type DecoderOptions,
  type DecoderSink,
  parseCommand,
  parseErrorCommand,
  parseMetadata,
  parsePing,
  ZlError,
} from "../src/index.js"

/** Parses a hex fixture; whitespace is ignored so fixtures can be grouped by field. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "")
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex fixture: ${text}`)
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Lowercase hex without separators. */
export function toHex(bytes: Uint8Array): string {
  let s = ""
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, "0")
  return s
}

/** The octets of an ASCII string (one octet per character). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

/** Concatenates chunks into one fresh array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const c of chunks) size += c.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const c of chunks) {
    out.set(c, pos)
    pos += c.length
  }
  return out
}

/** Octet-by-octet equality, cheaper than `toEqual` inside property loops. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A deterministic body of `size` octets (xorshift32 from `seed`), so that misplaced octets show. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed | 0 || 0x9e3779b9
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** What a decoder delivered, in order. */
export type DecoderEvent =
  | { readonly kind: "message"; readonly frames: Uint8Array[] }
  | { readonly kind: "command"; readonly body: Uint8Array }

/** A sink that records everything; `stopAfter` makes it return false (backpressure) for chosen events. */
export class Recorder implements DecoderSink {
  readonly events: DecoderEvent[] = []
  stopWhen: (event: DecoderEvent, index: number) => boolean = () => false

  onMessage(frames: Uint8Array[]): boolean {
    const event: DecoderEvent = { kind: "message", frames }
    this.events.push(event)
    return !this.stopWhen(event, this.events.length - 1)
  }

  onCommand(body: Uint8Array): boolean {
    const event: DecoderEvent = { kind: "command", body }
    this.events.push(event)
    return !this.stopWhen(event, this.events.length - 1)
  }
}

/** Decodes `chunks` in order, then ends the stream; returns the events. */
export function decodeChunks(chunks: readonly Uint8Array[], options?: DecoderOptions): DecoderEvent[] {
  const recorder = new Recorder()
  const decoder = new Decoder(recorder, options)
  for (const chunk of chunks) expectFullWrite(decoder.write(chunk), chunk)
  decoder.end()
  return recorder.events
}

function expectFullWrite(returned: number, chunk: Uint8Array): void {
  if (returned !== chunk.length) throw new Error(`write() stopped at ${returned} of ${chunk.length}`)
}

/** Every way to cut `bytes` in two (including the empty pieces at both ends). */
export function* twoWaySplits(bytes: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
  for (let cut = 0; cut <= bytes.length; cut++) yield [bytes.subarray(0, cut), bytes.subarray(cut)]
}

/** `bytes` as 1-octet chunks. */
export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1))
  return out
}

/** A command body in a readable, comparable shape (name plus its parsed data). */
export function describeCommand(body: Uint8Array): Record<string, unknown> {
  const { name, data } = parseCommand(body)
  switch (name) {
    case "READY":
    case "INITIATE":
      return { name, metadata: [...parseMetadata(data)].map(([k, v]) => [k, toHex(v)]) }
    case "PING": {
      const ping = parsePing(data)
      return { name, ttl: ping.ttl, context: toHex(ping.context) }
    }
    case "ERROR":
      return { name, reason: parseErrorCommand(data) }
    default:
      return { name, data: toHex(data) }
  }
}

/** Events in a readable, comparable shape: message frames as hex, commands parsed. */
export function describeEvents(events: readonly DecoderEvent[]): unknown[] {
  return events.map((e) =>
    e.kind === "message" ? { message: e.frames.map(toHex) } : { command: describeCommand(e.body) },
  )
}

/** Runs `fn` and returns what it threw; fails when it does not throw. */
export function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error("expected an error, but nothing was thrown")
}

/** Runs `fn`, expects a zlink error, and returns its `code`. */
export function codeOf(fn: () => unknown): string {
  const err = caught(fn)
  if (!ZlError.isInstance(err)) throw new Error(`expected a ZlError, got ${String(err)}`, { cause: err })
  return err.code
}
