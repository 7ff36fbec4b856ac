/**
 * Messages the interop suites send, and the checks they apply to what arrives.
 *
 * Every message is built from fresh buffers: zeromq.js sends buffers above a small size without
 * copying, so a buffer reused after `await send()` can change a message that is still queued.
 */
import { expect } from "vitest"

/** A message: its frames, in order. */
export type Frames = Buffer[]

/** Frames from strings (UTF-8) or buffers. */
export function frames(...parts: Array<string | Buffer>): Frames {
  return parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part))
}

/** `size` deterministic pseudo-random bytes (a 32-bit LCG seeded by `seed`): reordering shows. */
export function patterned(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size)
  let x = seed >>> 0
  for (let i = 0; i < size; i += 1) {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0
    buf[i] = x >>> 24
  }
  return buf
}

/** Bytes every sequenced frame needs: the sequence number at the start and its complement at the end. */
export const SEQUENCED_MIN = 8

/**
 * A frame of `size` bytes (at least 8) carrying `seq`: the first four bytes hold `seq` and the last
 * four its complement (both big-endian), the bytes between hold `seq % 251`. A truncated, merged or
 * reordered frame fails `checkSequenced`.
 */
export function sequenced(seq: number, size: number): Buffer {
  const buf = Buffer.alloc(size, seq % 251)
  buf.writeUInt32BE(seq >>> 0, 0)
  buf.writeUInt32BE(~seq >>> 0, size - 4)
  return buf
}

/** Throws unless `frame` is exactly `sequenced(seq, size)` at its ends and length. */
export function checkSequenced(frame: Buffer | undefined, seq: number, size: number): void {
  if (frame === undefined) throw new Error(`message ${seq}: missing frame`)
  if (frame.length !== size) throw new Error(`message ${seq}: ${frame.length} bytes, expected ${size}`)
  const head = frame.readUInt32BE(0)
  if (head !== seq) throw new Error(`expected message ${seq}, got message ${head}`)
  if (frame.readUInt32BE(size - 4) !== ~seq >>> 0) throw new Error(`message ${seq}: corrupt tail`)
  if (size > SEQUENCED_MIN && frame[4] !== seq % 251) throw new Error(`message ${seq}: corrupt body`)
}

/** Frame sizes that vary per message and cross the 255/256-byte short/long frame boundary. */
function variedSize(seq: number): number {
  return SEQUENCED_MIN + ((seq * 37) % 300)
}

/**
 * Message `seq` of a varied stream: one to three frames; the first is sequenced with a size that
 * varies across the short/long frame boundary, the others are empty or small.
 */
export function varied(seq: number): Frames {
  const head = sequenced(seq, variedSize(seq))
  switch (seq % 3) {
    case 0:
      return [head]
    case 1:
      return [head, Buffer.alloc(0)]
    default:
      return [head, Buffer.from(`tail-${seq}`), Buffer.alloc(0)]
  }
}

/** Throws unless `got` is exactly `varied(seq)`. */
export function checkVaried(got: Frames, seq: number): void {
  const want = varied(seq)
  if (got.length !== want.length) {
    const head = got[0] !== undefined && got[0].length >= 4 ? got[0].readUInt32BE(0) : "?"
    throw new Error(`message ${seq}: ${got.length} frames, expected ${want.length} (head says ${head})`)
  }
  checkSequenced(got[0], seq, variedSize(seq))
  for (let i = 1; i < want.length; i += 1) {
    if (!got[i]!.equals(want[i]!)) throw new Error(`message ${seq}: frame ${i} differs`)
  }
}

/** A short description of frames for assertion messages. */
export function describeFrames(list: readonly Buffer[]): string {
  return `[${list
    .map((f) => (f.length <= 40 ? JSON.stringify(f.toString("latin1")) : `<${f.length} bytes>`))
    .join(", ")}]`
}

/** Asserts that `got` is a list of Buffers equal, frame by frame, to `want`. */
export function expectFrames(got: readonly unknown[], want: readonly Buffer[], what = "message"): void {
  for (const frame of got) expect(Buffer.isBuffer(frame), `${what}: every frame is a Buffer`).toBe(true)
  const buffers = got as Buffer[]
  expect(describeFrames(buffers), what).toBe(describeFrames(want))
  for (let i = 0; i < want.length; i += 1) {
    expect(buffers[i]!.equals(want[i]!), `${what}: frame ${i} content`).toBe(true)
  }
}

/** Multipart messages: few and many frames, distinct contents. */
export const MULTIPART: readonly Frames[] = [
  frames("a", "b"),
  frames("first", "second", "third", "fourth", "fifth"),
  Array.from({ length: 100 }, (_, i) => Buffer.from(`part-${i}`)),
  [patterned(300, 7), Buffer.from("x"), patterned(70, 8)],
]

/** Messages with empty frames first, last, in the middle and alone. */
export const EMPTY_FRAMES: readonly Frames[] = [
  frames(""),
  frames("", ""),
  frames("", "middle", ""),
  frames("head", ""),
  frames("a", "", "", "b"),
]

/** Frames around ZMTP's switch from a 1-byte to an 8-byte size field (255 -> 256 bytes). */
export const FRAME_BOUNDARY: readonly Frames[] = [
  [patterned(254, 1)],
  [patterned(255, 2)],
  [patterned(256, 3)],
  [patterned(257, 4)],
  [patterned(255, 5), patterned(256, 6), Buffer.alloc(0), patterned(255, 7)],
]

/** One 1 MiB frame, and the same size split over a multipart message. */
export const ONE_MIB: readonly Frames[] = [
  [patterned(1 << 20, 11)],
  [Buffer.from("header"), patterned(1 << 20, 12), Buffer.alloc(0)],
]
