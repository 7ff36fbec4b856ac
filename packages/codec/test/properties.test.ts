/**
 * Property tests (fast-check): the encoder and decoder are inverse under any chunking, any small encoder
 * tuning and any sequence of partial writes; on arbitrary or corrupted input the decoder and the greeting
 * reader deliver data or throw a ZmtpError, nothing else, and their outcome does not depend on how the
 * input is chunked. This file doubles as the decoder fuzz target of STYLE rule 25 (append-data and
 * split-data).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  Decoder,
  type DecoderOptions,
  Encoder,
  encodeCommand,
  encodeGreeting,
  GreetingReader,
  ZlError,
  ZmtpError,
} from "../src/index.js"
import { bytesEqual, concat, type DecoderEvent, pattern, Recorder, toHex } from "./helpers.js"

const RUNS = { numRuns: 10_000 }

type Item =
  | { readonly kind: "message"; readonly frames: Uint8Array[] }
  | { readonly kind: "command"; readonly body: Uint8Array }

/** Frame sizes biased to small ones and to the short/LONG boundary, with the occasional large frame. */
const frameSize = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 4, arbitrary: fc.integer({ min: 250, max: 260 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }) },
)
/** Bodies are pseudo-random octets from a seed: cheap to build at 70 000 octets, and misplacements show. */
const frame = fc.tuple(frameSize, fc.integer()).map(([size, seed]) => pattern(size, seed))
const commandName = fc.constantFrom("READY", "PING", "PONG", "SUBSCRIBE", "CANCEL", "ERROR", "X-CUSTOM")

function itemsOf(body: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Item[]> {
  const item: fc.Arbitrary<Item> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(body, { minLength: 1, maxLength: 8 })
        .map((frames): Item => ({ kind: "message", frames })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(commandName, body)
        .map(([name, data]): Item => ({ kind: "command", body: encodeCommand(name, data) })),
    },
  )
  return fc.array(item, { minLength: 1, maxLength: 3 })
}

const items = itemsOf(frame)

/**
 * Chunk (or write) sizes, used in turn until the input runs out: tiny ones (0 = an empty chunk),
 * medium and large. At least one is positive, so every split terminates.
 */
const cuts = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 600 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
    ),
    { minLength: 1, maxLength: 16 },
  )
  .map((sizes) => (sizes.some((n) => n > 0) ? sizes : [...sizes, 1]))

/** Cuts `bytes` into chunks of the given sizes, cycling through them. */
function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  let pos = 0
  for (let i = 0; pos < bytes.length; i++) {
    const n = sizes[i % sizes.length]!
    chunks.push(bytes.subarray(pos, pos + n))
    pos += n
  }
  return chunks
}

function encodeItems(encoder: Encoder, list: readonly Item[]): void {
  for (const item of list) encodeItem(encoder, item)
}

function encodeItem(encoder: Encoder, item: Item): void {
  if (item.kind === "message") encoder.message(item.frames)
  else encoder.command(item.body)
}

/** Decodes chunks to the end of the stream; any error fails the property. */
function decodeAll(chunks: readonly Uint8Array[], options?: DecoderOptions): DecoderEvent[] {
  const recorder = new Recorder()
  const decoder = new Decoder(recorder, options)
  for (const chunk of chunks) {
    if (decoder.write(chunk) !== chunk.length) throw new Error("write() stopped without backpressure")
  }
  decoder.end()
  return recorder.events
}

function sameEvents(expected: readonly Item[], got: readonly DecoderEvent[]): boolean {
  if (expected.length !== got.length) return false
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!
    const g = got[i]!
    if (e.kind === "command") {
      if (g.kind !== "command" || !bytesEqual(e.body, g.body)) return false
    } else {
      if (g.kind !== "message" || g.frames.length !== e.frames.length) return false
      for (let j = 0; j < e.frames.length; j++) if (!bytesEqual(e.frames[j]!, g.frames[j]!)) return false
    }
  }
  return true
}

/**
 * Small encoder tunings that reach every branch: tiny slabs, threshold 0 (no copying) up to a full
 * slab, first slabs from 1 octet (every frame renews it) to the full size.
 */
const encoderOptions = fc.integer({ min: 9, max: 2048 }).chain((slabSize) =>
  fc.record({
    slabSize: fc.constant(slabSize),
    copyThreshold: fc.integer({ min: 0, max: slabSize - 9 }),
    initialSlabSize: fc.integer({ min: 1, max: slabSize }),
  }),
)

describe("encode then decode is the identity", () => {
  it("for random multipart messages and commands, under random chunk splits", () => {
    fc.assert(
      fc.property(items, cuts, (list, sizes) => {
        const encoder = new Encoder()
        encodeItems(encoder, list)
        const stream = concat(encoder.chunks())
        return sameEvents(list, decodeAll(split(stream, sizes)))
      }),
      RUNS,
    )
  })

  it("with random small encoder options, under random chunk splits", () => {
    fc.assert(
      fc.property(encoderOptions, items, cuts, (options, list, sizes) => {
        const encoder = new Encoder(options)
        encodeItems(encoder, list)
        const chunks = encoder.chunks()
        const stream = concat(chunks)
        // The encoder's own chunks are also a valid split.
        return sameEvents(list, decodeAll(split(stream, sizes))) && sameEvents(list, decodeAll(chunks))
      }),
      RUNS,
    )
  })

  it("with bodies that span chunks allocated unzeroed: every octet is written before delivery", () => {
    fc.assert(
      fc.property(items, cuts, (list, sizes) => {
        const allocated = new Set<ArrayBufferLike>()
        const dirty = (size: number): Uint8Array => {
          const body = new Uint8Array(size).fill(0xa5)
          allocated.add(body.buffer)
          return body
        }
        const encoder = new Encoder()
        encodeItems(encoder, list)
        const stream = concat(encoder.chunks())
        const events = decodeAll(split(stream, sizes), { allocate: dirty })
        // A frame delivered in its own buffer (not a view of an input chunk) came from the allocator.
        for (const event of events) {
          const frames = event.kind === "message" ? event.frames : [event.body]
          for (const frame of frames) {
            if (frame.length > 0 && frame.buffer !== stream.buffer && !allocated.has(frame.buffer))
              return false
          }
        }
        return sameEvents(list, events)
      }),
      RUNS,
    )
  })

  it("with random small encoder options and partial writes via chunks()/consumed(n)", () => {
    fc.assert(
      fc.property(encoderOptions, items, cuts, (options, list, writes) => {
        const encoder = new Encoder(options)
        // What the transport accepted, in order: views the encoder handed out. They are decoded only at
        // the end, so a region the encoder wrote again after handing it out would show.
        const written: Uint8Array[] = []
        let w = 0
        const write = (drain: boolean) => {
          do {
            const chunks = encoder.chunks()
            let n = Math.min(encoder.pendingBytes, writes[w++ % writes.length]!)
            encoder.consumed(n)
            for (const chunk of chunks) {
              if (n === 0) break
              const piece = chunk.subarray(0, Math.min(n, chunk.length))
              written.push(piece)
              n -= piece.length
            }
          } while (drain && encoder.pendingBytes > 0)
        }
        for (const item of list) {
          encodeItem(encoder, item)
          write(false)
        }
        write(true)
        return encoder.chunks().length === 0 && sameEvents(list, decodeAll(written))
      }),
      RUNS,
    )
  })
})

/** Everything a decoder did with some input: its events in compact form and the code it failed with. */
interface Outcome {
  readonly events: string
  readonly error: string | undefined
}

/** Throws unless `fn` throws exactly `failure`. */
function expectSameFailure(failure: unknown, fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (err === failure) return
    throw new Error("a failed reader threw a different error", { cause: err })
  }
  throw new Error("a failed reader accepted more input")
}

function isProtocolError(err: unknown): err is ZmtpError {
  return ZlError.isInstance(err) && err instanceof ZmtpError && err.code.startsWith("ZMTP_ERR_")
}

/**
 * Runs the decoder over `chunks` and ends the stream. Fails (throws) on anything but a ZmtpError, and
 * checks that a failed decoder rethrows the same error on any later input.
 */
function decoderOutcome(chunks: readonly Uint8Array[], options: DecoderOptions): Outcome {
  const seen: string[] = []
  const decoder = new Decoder(
    {
      onMessage: (frames) => {
        if (frames.length === 0 || !frames.every((f) => f instanceof Uint8Array))
          throw new Error("bad message")
        seen.push(`m${frames.map(toHex).join(",")}`)
      },
      onCommand: (body) => {
        if (!(body instanceof Uint8Array)) throw new Error("bad command")
        seen.push(`c${toHex(body)}`)
      },
    },
    options,
  )
  try {
    for (const chunk of chunks) {
      if (decoder.write(chunk) !== chunk.length) throw new Error("write() stopped without backpressure")
    }
  } catch (err) {
    if (!isProtocolError(err)) throw err
    // A decoder failed by its input stays failed: the same error again, whatever comes next.
    expectSameFailure(err, () => decoder.write(new Uint8Array(1)))
    expectSameFailure(err, () => decoder.end())
    return { events: seen.join("|"), error: err.code }
  }
  try {
    decoder.end()
  } catch (err) {
    if (!isProtocolError(err) || err.code !== "ZMTP_ERR_TRUNCATED_FRAME") throw err
    return { events: seen.join("|"), error: err.code }
  }
  return { events: seen.join("|"), error: undefined }
}

const maxMessageSize = fc.option(fc.integer({ min: 0, max: 70_000 }), { nil: undefined })

/** `arbitrary` one time in `1 + rest`, else undefined. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, rest = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: rest, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary })
}

/** Octet values that matter in frame headers and greetings, or any value. */
const octet = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x7f, 0x80, 0xff),
  fc.integer({ min: 0, max: 255 }),
)

/**
 * A valid stream of small frames with up to four random octets overwritten, now and then cut short
 * or followed by junk.
 */
const corruptedStream = fc
  .record({
    list: itemsOf(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer()).map(([n, s]) => pattern(n, s))),
    flips: fc.array(fc.tuple(fc.nat(), octet), { maxLength: 4 }),
    keep: sometimes(fc.nat()),
    junk: sometimes(fc.uint8Array({ minLength: 1, maxLength: 12 })).map((j) => j ?? new Uint8Array(0)),
  })
  .map(({ list, flips, keep, junk }) => {
    const encoder = new Encoder()
    encodeItems(encoder, list)
    let bytes = concat(encoder.chunks())
    for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value
    if (keep !== undefined) bytes = bytes.subarray(0, keep % (bytes.length + 1))
    return concat([bytes, junk])
  })

describe("the decoder on hostile input", () => {
  const checkOutcome = (bytes: Uint8Array, sizes: readonly number[], max: number | undefined): void => {
    const options: DecoderOptions = max === undefined ? {} : { maxMessageSize: max }
    const whole = decoderOutcome([bytes], options)
    const chunked = decoderOutcome(split(bytes, sizes), options)
    const byByte = decoderOutcome(split(bytes, [1]), options)
    // Chunking never changes what is delivered nor how it fails.
    if (chunked.events !== whole.events || chunked.error !== whole.error) {
      throw new Error(`chunked ${JSON.stringify(chunked)} != whole ${JSON.stringify(whole)}`)
    }
    if (byByte.events !== whole.events || byByte.error !== whole.error) {
      throw new Error(`byte by byte ${JSON.stringify(byByte)} != whole ${JSON.stringify(whole)}`)
    }
  }

  it("only delivers data or throws a ZmtpError on arbitrary octets", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), cuts, maxMessageSize, checkOutcome), RUNS)
  })

  it("only delivers data or throws a ZmtpError on corrupted valid streams", () => {
    fc.assert(fc.property(corruptedStream, cuts, maxMessageSize, checkOutcome), RUNS)
  })
})

/** Everything a greeting reader did with some input. */
function greetingOutcome(chunks: readonly Uint8Array[]): string {
  const reader = new GreetingReader()
  let taken = 0
  try {
    for (const chunk of chunks) {
      if (!reader.complete) taken += reader.feed(chunk)
    }
  } catch (err) {
    if (!isProtocolError(err)) throw err
    expectSameFailure(err, () => reader.feed(new Uint8Array(64)))
    expectSameFailure(err, () => reader.end())
    return `error ${err.code}`
  }
  try {
    reader.end()
  } catch (err) {
    if (!isProtocolError(err) || err.code !== "ZMTP_ERR_TRUNCATED_GREETING") throw err
    return `error ${err.code}`
  }
  const g = reader.greeting
  if (taken !== 64 || g.major < 3 || !/^[A-Z0-9\-_.+]{1,20}$/.test(g.mechanism)) {
    throw new Error(`implausible greeting ${JSON.stringify(g)} after ${taken} octets`)
  }
  return `greeting ${JSON.stringify(g)}`
}

/** A valid greeting with up to three octets overwritten (in the significant first 41), now and then cut short. */
const corruptedGreeting = fc
  .record({
    mechanism: fc.constantFrom("NULL", "PLAIN", "CURVE", "GSSAPI", "X".repeat(20)),
    asServer: fc.boolean(),
    minor: fc.integer({ min: 0, max: 255 }),
    flips: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(0, 9, 10, 11, 12, 16, 31, 32), fc.integer({ min: 0, max: 40 })),
        octet,
      ),
      { maxLength: 3 },
    ),
    keep: sometimes(fc.integer({ min: 0, max: 70 })),
    after: fc.uint8Array({ maxLength: 8 }),
  })
  .map(({ mechanism, asServer, minor, flips, keep, after }) => {
    let bytes = encodeGreeting({ mechanism, asServer, minor })
    for (const [at, value] of flips) bytes[at] = value
    if (keep !== undefined) bytes = bytes.subarray(0, keep)
    return concat([bytes, after])
  })

describe("the greeting reader on hostile input", () => {
  const check = (bytes: Uint8Array, sizes: readonly number[]): void => {
    const whole = greetingOutcome([bytes])
    expect(greetingOutcome(split(bytes, sizes))).toBe(whole)
    expect(greetingOutcome(split(bytes, [1]))).toBe(whole)
  }

  it("only completes or throws a ZmtpError on arbitrary octets", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          // Past the first octet, so that the later checks are reached.
          fc.uint8Array({ maxLength: 79 }).map((rest) => concat([Uint8Array.of(0xff), rest])),
        ),
        cuts,
        check,
      ),
      RUNS,
    )
  })

  it("only completes or throws a ZmtpError on corrupted valid greetings", () => {
    fc.assert(fc.property(corruptedGreeting, cuts, check), RUNS)
  })
})
