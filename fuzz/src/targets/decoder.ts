/**
 * The frame decoder (`@zl/codec` `Decoder`) on valid and mutated frame streams, cut into random
 * chunks (1-octet chunks included), with a sink that sometimes refuses a message (backpressure) and
 * a caller that resumes from the offset `write` returned.
 *
 * Beyond the invariant, the chunked run is compared with a run of the same octets in one chunk: the
 * same messages and commands, in the same order, and the same outcome. A valid stream must decode
 * to exactly the frames it was built from.
 */
import { Decoder, type DecoderSink } from "@zl/codec"
import { Hash } from "../bytes.js"
import { chunks } from "../chunks.js"
import { mutate } from "../mutate.js"
import { Rng } from "../prng.js"
import { check, expectTyped, type FuzzInput, type Target } from "../target.js"
import { frameStream, hasLongMultipart, MAX_INPUT, type WireEvent } from "../wire.js"

/** The largest body the fuzz allocator hands out: beyond it, it fails as a process out of memory would. */
const ALLOCATION_LIMIT = 64 * 1024 * 1024

/** Limits a run may use: none (the default of libzmq and zlink) or one at a framing boundary. */
const MAX_SIZES = [-1, -1, -1, -1, 0, 1, 255, 256, 1000, 65_535, 65_536] as const

/**
 * Adds one decoded unit to a running hash: kind, frame count and every frame's octets. A hash, not
 * a list: a stream of 30 000 empty frames would otherwise weigh more in the harness than in zlink.
 */
function addEvent(h: Hash, kind: number, frames: readonly Uint8Array[]): void {
  h.number(kind).number(frames.length)
  for (const f of frames) h.bytes(f)
}

/** The digest a valid stream's events must produce. */
export function expectedDigest(events: readonly WireEvent[]): { count: number; digest: string } {
  const h = new Hash()
  for (const e of events) {
    if (e.kind === "message") addEvent(h, 1, e.frames)
    else addEvent(h, 2, [e.body])
  }
  return { count: events.length, digest: h.hex() }
}

interface Outcome {
  readonly count: number
  readonly digest: string
  /** The code the decoder failed with, or "" when it took everything. */
  readonly failure: string
  /** What `end()` said afterwards: "" or its code. */
  readonly end: string
  readonly idle: boolean
}

/**
 * An allocator that refuses huge bodies and notes any size it should never have been asked for
 * (above `maxMessageSize`, or not a size). The note is checked after the decode: a check thrown
 * from here would be taken by the decoder for an allocation failure.
 */
function allocator(maxSize: number): { allocate: (size: number) => Uint8Array; wrong: string[] } {
  const wrong: string[] = []
  const allocate = (size: number): Uint8Array => {
    if (!(Number.isSafeInteger(size) && size >= 0)) wrong.push(`allocate(${size}): not a size`)
    else if (maxSize >= 0 && size > maxSize) wrong.push(`allocate(${size}) with maxMessageSize ${maxSize}`)
    if (size > ALLOCATION_LIMIT) throw new RangeError("allocation refused by the fuzz allocator")
    return new Uint8Array(size)
  }
  return { allocate, wrong }
}

/** Decodes `chunks`; `stall(i)` says whether the sink refuses its i-th event. */
function decode(
  pieces: Iterable<Uint8Array>,
  maxSize: number,
  defaultAllocator: boolean,
  stall: () => boolean,
  checkpoint?: () => void,
): Outcome {
  const events = new Hash()
  let count = 0
  let refused = false
  const take = (kind: number, frames: readonly Uint8Array[]): boolean => {
    check(!refused, "the decoder delivered after the sink refused, within one write()")
    addEvent(events, kind, frames)
    count++
    if (stall()) refused = true
    return !refused
  }
  const sink: DecoderSink = {
    onMessage: (frames) => {
      check(frames.length > 0, "a message without frames")
      return take(1, frames)
    },
    onCommand: (body) => take(2, [body]),
  }
  const fuzzAllocator = allocator(maxSize)
  const decoder = new Decoder(sink, {
    maxMessageSize: maxSize,
    ...(defaultAllocator ? {} : { allocate: fuzzAllocator.allocate }),
  })
  let failure = ""
  outer: for (const piece of pieces) {
    let pos = 0
    do {
      refused = false
      const r = expectTyped(() => decoder.write(piece, pos))
      if (!r.ok) {
        failure = r.code
        break outer
      }
      check(
        r.value >= pos && r.value <= piece.length,
        `write() returned ${r.value} for [${pos}, ${piece.length}]`,
      )
      check(r.value === piece.length || refused, `write() stopped at ${r.value} of ${piece.length} unasked`)
      check(r.value > pos || r.value === piece.length, "write() made no progress")
      pos = r.value
    } while (pos < piece.length)
  }
  if (failure !== "") {
    // A failed decoder stays failed, with the same code, whatever comes next.
    const again = expectTyped(() => decoder.write(new Uint8Array([0]), 0))
    check(
      !again.ok && again.code === failure,
      `after ${failure}, write() gave ${again.ok ? "no error" : again.code}`,
    )
  }
  check(fuzzAllocator.wrong.length === 0, () => fuzzAllocator.wrong[0]!)
  // Everything is in: what the decoder holds now (a half-read frame or message) is at its largest.
  // Only a limit bounds an incomplete message (docs/limits.md): without one, nothing is measured.
  if (maxSize >= 0) checkpoint?.()
  const end = expectTyped(() => decoder.end())
  return { count, digest: events.hex(), failure, end: end.ok ? "" : end.code, idle: decoder.idle }
}

const target: Target = {
  name: "decoder",
  description: "Decoder on frame streams in random chunks, with backpressure; compared with a one-chunk run",
  generate(rng, context): FuzzInput {
    const budget = 1 + rng.size(rng.chance(0.1) ? MAX_INPUT - 128 : 2048)
    const stream = frameStream(rng, budget)
    const seed = rng.next()
    if (!stream.open && rng.chance(0.25)) return { data: stream.bytes, seed, expect: stream.events }
    const other = context.recent.length > 0 && rng.chance(0.2) ? rng.pick(context.recent) : undefined
    return { data: mutate(rng, stream, other), seed }
  },
  isKnown(input, known) {
    return known.has("long-multipart") && hasLongMultipart(input.data, 0, 1000)
  },
  run(input, context) {
    const rng = new Rng(input.seed)
    const maxSize = input.expect !== undefined ? -1 : rng.pick(MAX_SIZES)
    const defaultAllocator = rng.chance(1 / 64)
    const stallRate = rng.pick([0, 0, 0.05, 0.3, 0.9])
    const whole = decode([input.data], maxSize, defaultAllocator, () => false)
    const split = decode(
      chunks(rng, input.data),
      maxSize,
      defaultAllocator,
      () => stallRate > 0 && rng.chance(stallRate),
      context.checkpoint,
    )
    check(
      split.count === whole.count && split.digest === whole.digest,
      () => `in chunks: ${split.count} events, in one chunk: ${whole.count}, or their octets differ`,
    )
    check(split.failure === whole.failure, `failure "${split.failure}" in chunks, "${whole.failure}" whole`)
    check(split.end === whole.end && split.idle === whole.idle, "end() or idle differ between chunkings")
    if (input.expect !== undefined) {
      const expected = expectedDigest(input.expect as WireEvent[])
      check(whole.failure === "" && whole.end === "", `a valid stream failed: ${whole.failure || whole.end}`)
      check(
        whole.count === expected.count && whole.digest === expected.digest,
        `a valid stream decoded to ${whole.count} events, not the ${expected.count} it was built from`,
      )
    }
  },
}

export default target
