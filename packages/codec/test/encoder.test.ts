/**
 * The encoder's zero-copy output and partial-write bookkeeping, and the decoder's views, copies and
 * backpressure.
 */
import { describe, expect, it } from "vitest"
import {
  DEFAULT_COPY_THRESHOLD,
  Decoder,
  Encoder,
  type EncoderOptions,
  encodeCommand,
  encodeErrorCommand,
  encodeGreeting,
  encodeMetadata,
  encodePing,
  encodePong,
  FrameFlag,
  MAX_FRAME_SIZE,
  parseCommand,
} from "../src/index.js"
import {
  ascii,
  byteByByte,
  codeOf,
  concat,
  type DecoderEvent,
  decodeChunks,
  describeEvents,
  fromHex,
  pattern,
  Recorder,
  toHex,
  twoWaySplits,
} from "./helpers.js"

/** The first `n` octets of `chunks`, as views (what a transport that accepted `n` octets wrote). */
function take(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const chunk of chunks) {
    if (n === 0) break
    const piece = chunk.subarray(0, Math.min(n, chunk.length))
    out.push(piece)
    n -= piece.length
  }
  expect(n).toBe(0)
  return out
}

/** Octets across `chunks`. */
function size(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, c) => sum + c.length, 0)
}

/** A mix of short, inline-long and by-reference frames for an encoder with a 64-octet slab and threshold 16. */
const MIXED: Uint8Array[][] = [
  [ascii("a")],
  [pattern(10, 1), pattern(40, 2), new Uint8Array(0)],
  [pattern(16, 3)],
  [pattern(300, 4)],
  [ascii("z"), pattern(17, 5)],
]
const SMALL: EncoderOptions = { slabSize: 64, copyThreshold: 16 }

function encodeMixed(options: EncoderOptions = SMALL): Encoder {
  const encoder = new Encoder(options)
  for (const m of MIXED) encoder.message(m)
  return encoder
}

describe("Encoder: zero copy", () => {
  it("hands a 64 KiB body out by reference, after its header", () => {
    const payload = pattern(64 * 1024)
    const encoder = new Encoder()
    encoder.message([payload])
    const chunks = encoder.chunks()
    expect(chunks).toHaveLength(2)
    expect(toHex(chunks[0]!)).toBe("020000000000010000")
    expect(chunks[1]).toBe(payload)
    expect(encoder.pendingBytes).toBe(9 + 64 * 1024)
  })

  it("copies a body of exactly copyThreshold octets and references one octet more", () => {
    const atThreshold = pattern(DEFAULT_COPY_THRESHOLD)
    const above = pattern(DEFAULT_COPY_THRESHOLD + 1)
    const a = new Encoder()
    a.message([atThreshold])
    expect(a.chunks()).toHaveLength(1)
    const b = new Encoder()
    b.message([above])
    const chunks = b.chunks()
    expect(chunks).toHaveLength(2)
    expect(chunks[1]).toBe(above)
  })

  it("coalesces many small messages into one chunk (a slab the size a busy connection's reach)", () => {
    const encoder = new Encoder({ firstSlabSize: 64 * 1024 })
    const messages = Array.from({ length: 100 }, (_, i) => [ascii(`key-${i}`), pattern(i, i + 1)])
    for (const m of messages) encoder.message(m)
    const chunks = encoder.chunks()
    expect(chunks).toHaveLength(1)
    expect(describeEvents(decodeChunks(chunks))).toEqual(
      messages.map((m) => ({ message: m.map((f) => toHex(f)) })),
    )
  })

  it("puts a large body between the batch regions before and after it, in wire order", () => {
    const big = pattern(20_000)
    const encoder = new Encoder()
    encoder.message([ascii("a")])
    encoder.message([ascii("topic"), big, ascii("end")])
    encoder.message([ascii("b")])
    const chunks = encoder.chunks()
    expect(chunks).toHaveLength(3)
    // "a", "topic" (MORE) and the LONG|MORE header of the big frame, all in one batch region.
    expect(toHex(chunks[0]!)).toBe(`000161 0105${toHex(ascii("topic"))} 030000000000004e20`.replace(/ /g, ""))
    expect(chunks[1]).toBe(big)
    expect(toHex(chunks[2]!)).toBe(`0003${toHex(ascii("end"))}000162`)
    // Both batch regions come from the same slab, back to back.
    expect(chunks[2]!.buffer).toBe(chunks[0]!.buffer)
    expect(chunks[2]!.byteOffset).toBe(chunks[0]!.byteOffset + chunks[0]!.length)
  })

  it("returns a new array from each chunks() call, with the same content until consumed", () => {
    const encoder = encodeMixed()
    const first = encoder.chunks()
    first.length = 0
    const second = encoder.chunks()
    expect(second).not.toBe(first)
    expect(size(second)).toBe(encoder.pendingBytes)
    expect(toHex(concat(encoder.chunks()))).toBe(toHex(concat(second)))
  })

  it("raw() queues octets as they are, in wire order with frames (the greeting)", () => {
    const greeting = encodeGreeting()
    const encoder = new Encoder()
    encoder.raw(greeting)
    encoder.message([ascii("hi")])
    const chunks = encoder.chunks()
    expect(chunks).toHaveLength(1)
    expect(toHex(chunks[0]!)).toBe(`${toHex(greeting)}00026869`)
    // Above copyThreshold, raw octets are handed out by reference like a large body.
    const big = pattern(100)
    const small = new Encoder(SMALL)
    small.message([ascii("a")])
    small.raw(big)
    small.message([ascii("b")])
    const parts = small.chunks()
    expect(parts[1]).toBe(big)
    expect(toHex(concat(parts))).toBe(`000161${toHex(big)}000162`)
    expect(small.pendingBytes).toBe(106)
  })

  it("encodes nothing for an empty message", () => {
    const encoder = new Encoder()
    encoder.message([])
    expect(encoder.pendingBytes).toBe(0)
    expect(encoder.chunks()).toEqual([])
  })

  it("frame() sets LONG by size and keeps the given MORE / COMMAND flags", () => {
    const encoder = new Encoder()
    encoder.frame(ascii("x"), FrameFlag.MORE)
    encoder.frame(encodeCommand("PONG"), FrameFlag.COMMAND)
    encoder.frame(pattern(256), 0)
    expect(toHex(concat(encoder.chunks()).subarray(0, 19))).toBe(
      `0101780405${toHex(ascii("\x04PONG"))}020000000000000100`,
    )
  })

  it("allocates its slab with the given allocator, and a new one only when the slab is full", () => {
    const sizes: number[] = []
    const encoder = new Encoder({
      slabSize: 100,
      copyThreshold: 40,
      allocate: (n) => {
        sizes.push(n)
        return new Uint8Array(n)
      },
    })
    expect(sizes).toEqual([100])
    for (let i = 0; i < 2; i++) encoder.message([pattern(40)]) // 2 x 42 octets fit
    expect(sizes).toEqual([100])
    encoder.message([pattern(40)])
    expect(sizes).toEqual([100, 100])
    expect(encoder.chunks()).toHaveLength(2)
  })

  it("starts with a 512-octet slab and doubles each new one up to slabSize", () => {
    const sizes: number[] = []
    const encoder = new Encoder({
      allocate: (n) => {
        sizes.push(n)
        return new Uint8Array(n)
      },
    })
    // A greeting and a READY: a connection that only shakes hands never allocates more.
    encoder.raw(new Uint8Array(64))
    encoder.command(encodeCommand("READY", new Uint8Array(60)))
    expect(sizes).toEqual([512])
    for (let i = 0; i < 2000; i++) encoder.message([pattern(100, i)])
    expect(sizes).toEqual([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 65536, 65536])
    expect(size(encoder.chunks())).toBe(64 + 2 + 66 + 2000 * 102)
  })

  it("gives a frame that does not fit the next doubled slab a slab of its size", () => {
    const sizes: number[] = []
    const encoder = new Encoder({
      slabSize: 1000,
      copyThreshold: 500,
      firstSlabSize: 16,
      allocate: (n) => {
        sizes.push(n)
        return new Uint8Array(n)
      },
    })
    encoder.message([pattern(400)])
    encoder.message([pattern(10)])
    // 400 octets take a LONG header: 409 octets needed.
    expect(sizes).toEqual([16, 409, 818])
    expect(toHex(concat(encoder.chunks()))).toBe(
      toHex(concat([fromHex("020000000000000190"), pattern(400), fromHex("000a"), pattern(10)])),
    )
  })

  it("uses slabSize when firstSlabSize is larger, and rejects a firstSlabSize that is not a positive integer (EINVAL)", () => {
    const sizes: number[] = []
    const allocate = (n: number) => {
      sizes.push(n)
      return new Uint8Array(n)
    }
    expect(
      new Encoder({ slabSize: 100, copyThreshold: 40, firstSlabSize: 4096, allocate }).pendingBytes,
    ).toBe(0)
    expect(sizes).toEqual([100])
    expect(codeOf(() => new Encoder({ firstSlabSize: 0 }))).toBe("EINVAL")
    expect(codeOf(() => new Encoder({ firstSlabSize: 1.5 }))).toBe("EINVAL")
  })

  it("rejects a copyThreshold that does not fit in a slab with a LONG header (EINVAL)", () => {
    expect(codeOf(() => new Encoder({ slabSize: 64, copyThreshold: 56 }))).toBe("EINVAL")
    expect(() => new Encoder({ slabSize: 64, copyThreshold: 55 })).not.toThrow()
  })

  it("rejects a frame larger than the largest frame (EMSGSIZE) before touching it", () => {
    const huge = { length: MAX_FRAME_SIZE + 1 } as unknown as Uint8Array
    const encoder = new Encoder()
    expect(codeOf(() => encoder.message([huge]))).toBe("EMSGSIZE")
    expect(encoder.pendingBytes).toBe(0)
  })
})

describe("Encoder: partial writes", () => {
  const reference = concat(encodeMixed().chunks())

  it("the mixed fixture needs several chunks, some of them by reference", () => {
    const chunks = encodeMixed().chunks()
    expect(chunks.length).toBeGreaterThan(3)
    expect(chunks).toContain(MIXED[3]![0])
  })

  it("resumes exactly after consumed(n), for every n", () => {
    for (let n = 0; n <= reference.length; n++) {
      const encoder = encodeMixed()
      const written = take(encoder.chunks(), n)
      encoder.consumed(n)
      expect(encoder.pendingBytes).toBe(reference.length - n)
      const rest = encoder.chunks()
      expect(size(rest)).toBe(reference.length - n)
      expect(toHex(concat([...written, ...rest]))).toBe(toHex(reference))
    }
  })

  it("resumes exactly when every write takes k octets, for every k", () => {
    for (let k = 1; k <= reference.length; k++) {
      const encoder = encodeMixed()
      const written: Uint8Array[] = []
      while (encoder.pendingBytes > 0) {
        const n = Math.min(k, encoder.pendingBytes)
        written.push(...take(encoder.chunks(), n))
        encoder.consumed(n)
      }
      expect(encoder.chunks()).toEqual([])
      expect(toHex(concat(written))).toBe(toHex(reference))
    }
  })

  it("resumes a by-reference body written in part with a view of the same body", () => {
    const body = pattern(10_000)
    const encoder = new Encoder()
    encoder.message([body])
    encoder.consumed(9 + 1234)
    const [rest] = encoder.chunks()
    expect(rest!.buffer).toBe(body.buffer)
    expect(rest!.byteOffset).toBe(1234)
    expect(rest!.length).toBe(10_000 - 1234)
  })

  it("keeps messages encoded between chunks() and consumed() after the written part", () => {
    const encoder = new Encoder(SMALL)
    encoder.message([ascii("one")])
    const first = encoder.chunks()
    encoder.message([ascii("two")])
    encoder.consumed(size(first))
    expect(describeEvents(decodeChunks([...first, ...encoder.chunks()]))).toEqual([
      { message: ["6f6e65"] },
      { message: ["74776f"] },
    ])
  })

  it("rejects consumed() beyond the pending octets, negative or fractional (EINVAL), changing nothing", () => {
    const encoder = encodeMixed()
    const pending = encoder.pendingBytes
    for (const n of [pending + 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => encoder.consumed(n))).toBe("EINVAL")
    }
    expect(encoder.pendingBytes).toBe(pending)
    expect(toHex(concat(encoder.chunks()))).toBe(toHex(reference))
    expect(codeOf(() => new Encoder().consumed(1))).toBe("EINVAL")
    expect(() => new Encoder().consumed(0)).not.toThrow()
  })

  it("rejects consumed() past the chunks handed out (EINVAL)", () => {
    const encoder = new Encoder()
    encoder.message([ascii("one")])
    encoder.chunks()
    encoder.message([ascii("two")])
    // Five octets are pending but only the first message's were handed out.
    expect(codeOf(() => encoder.consumed(encoder.pendingBytes))).toBe("EINVAL")
    expect(encoder.pendingBytes).toBe(10)
  })

  it("never writes again into a region it handed out", () => {
    const encoder = new Encoder({ slabSize: 256, copyThreshold: 32 })
    for (const m of MIXED) encoder.message(m)
    const handed = encoder.chunks()
    const copies = handed.map((c) => c.slice())
    // Part of it written, part still queued in the transport: neither may change.
    encoder.consumed(Math.floor(encoder.pendingBytes / 2))
    for (let i = 0; i < 2000; i++) {
      encoder.message([pattern(i % 50, i + 7), pattern((i * 7) % 33, i)])
      if (i % 3 === 0) {
        const chunks = encoder.chunks()
        encoder.consumed(Math.floor(size(chunks) / 2))
      }
    }
    handed.forEach((chunk, i) => {
      expect(toHex(chunk)).toBe(toHex(copies[i]!))
    })
  })
})

describe("Encoder: argument checks", () => {
  it("rejects invalid command and property names (EINVAL)", () => {
    expect(codeOf(() => encodeCommand(""))).toBe("EINVAL")
    expect(codeOf(() => encodeCommand("A".repeat(256)))).toBe("EINVAL")
    expect(codeOf(() => encodeCommand("HAS SPACE"))).toBe("EINVAL")
    expect(codeOf(() => encodeMetadata({ "": "x" }))).toBe("EINVAL")
    expect(codeOf(() => encodeMetadata([["Bad:Name", "x"]]))).toBe("EINVAL")
    expect(encodeCommand("A".repeat(255)).length).toBe(256)
  })

  it("rejects a PING TTL outside 0-65535 or a context over 16 octets (EINVAL)", () => {
    for (const ttl of [-1, 65536, 1.5, Number.NaN]) expect(codeOf(() => encodePing(ttl))).toBe("EINVAL")
    expect(codeOf(() => encodePing(1, new Uint8Array(17)))).toBe("EINVAL")
  })

  it("rejects an ERROR reason over 255 octets (EINVAL)", () => {
    expect(codeOf(() => encodeErrorCommand("x".repeat(256)))).toBe("EINVAL")
    expect(encodeErrorCommand("x".repeat(255)).length).toBe(1 + 5 + 1 + 255)
  })

  it("rejects a greeting mechanism that is empty, longer than 20 or not uppercase ASCII (EINVAL)", () => {
    for (const mechanism of ["", "A".repeat(21), "null", "NU LL", "NÜLL"]) {
      expect(codeOf(() => encodeGreeting({ mechanism }))).toBe("EINVAL")
    }
  })

  it("PONG echoes at most 16 octets of context (as libzmq does)", () => {
    const context = pattern(20)
    const { data } = parseCommand(encodePong(context))
    expect(toHex(data)).toBe(toHex(context.subarray(0, 16)))
  })
})

describe("Decoder: views and copies", () => {
  function decodeSeparate(...hex: string[]): DecoderEvent[] {
    // Separate allocations, so that buffer identity tells a view from a copy.
    return decodeChunks(hex.map((h) => fromHex(h)))
  }

  it("delivers a frame that lies inside one chunk as a view of that chunk", () => {
    const chunk = fromHex("00 01 61  01 02 62 63  00 00  04 05 04 50 4f 4e 47")
    const recorder = new Recorder()
    new Decoder(recorder).write(chunk)
    const [single, multipart, command] = recorder.events
    if (single?.kind !== "message" || multipart?.kind !== "message" || command?.kind !== "command") {
      throw new Error("unexpected events")
    }
    const where = (f: Uint8Array) => [f.buffer === chunk.buffer, f.byteOffset]
    expect(single.frames.map(where)).toEqual([[true, 2]])
    expect(multipart.frames.map(where)).toEqual([
      [true, 5],
      [true, 9],
    ])
    expect(command.body.buffer).toBe(chunk.buffer)
    expect(command.body.byteOffset).toBe(11)
  })

  it("delivers each frame of a multipart message as a view of its own chunk", () => {
    const a = fromHex("01 02 61 61")
    const b = fromHex("00 02 62 62")
    const recorder = new Recorder()
    const decoder = new Decoder(recorder)
    decoder.write(a)
    expect(recorder.events).toHaveLength(0)
    decoder.write(b)
    const [event] = recorder.events
    if (event?.kind !== "message") throw new Error("expected a message")
    expect(event.frames[0]!.buffer).toBe(a.buffer)
    expect(event.frames[1]!.buffer).toBe(b.buffer)
  })

  it("copies a frame whose body spans chunks", () => {
    const first = fromHex("00 05 68 65")
    const second = fromHex("6c 6c 6f")
    const recorder = new Recorder()
    const decoder = new Decoder(recorder)
    decoder.write(first)
    decoder.write(second)
    const [event] = recorder.events
    if (event?.kind !== "message") throw new Error("expected a message")
    const frame = event.frames[0]!
    expect(toHex(frame)).toBe("68656c6c6f")
    expect(frame.buffer).not.toBe(first.buffer)
    expect(frame.buffer).not.toBe(second.buffer)
    expect(frame.byteOffset).toBe(0)
    expect(frame.buffer.byteLength).toBe(5)
  })

  it("copies a command whose body spans chunks, and a LONG body spanning three chunks", () => {
    const events = decodeSeparate(
      "04 05 04 50",
      "4f 4e 47",
      `02 00 00 00 00 00 00 01 00 ${"aa ".repeat(100)}`,
      "bb ".repeat(100),
      "cc ".repeat(56),
    )
    expect(describeEvents(events)).toEqual([
      { command: { name: "PONG", data: "" } },
      { message: ["aa".repeat(100) + "bb".repeat(100) + "cc".repeat(56)] },
    ])
  })

  it("still delivers a view when only the header spans chunks", () => {
    const first = fromHex("02 00 00 00")
    const second = fromHex("00 00 00 00 03 61 62 63")
    const recorder = new Recorder()
    const decoder = new Decoder(recorder)
    decoder.write(first)
    decoder.write(second)
    const [event] = recorder.events
    if (event?.kind !== "message") throw new Error("expected a message")
    expect(event.frames[0]!.buffer).toBe(second.buffer)
    expect(event.frames[0]!.byteOffset).toBe(5)
  })
})

describe("Decoder: backpressure", () => {
  const stream = fromHex("00 01 61  01 01 62 00 01 63  04 05 04 50 4f 4e 47  00 01 64")
  const expected = [
    { message: ["61"] },
    { message: ["62", "63"] },
    { command: { name: "PONG", data: "" } },
    { message: ["64"] },
  ]

  it("returns the offset after the message whose sink call returned false, and resumes from it", () => {
    const recorder = new Recorder()
    recorder.stopWhen = () => true
    const decoder = new Decoder(recorder)
    const offsets: number[] = []
    let offset = 0
    while (offset < stream.length) {
      offset = decoder.write(stream, offset)
      offsets.push(offset)
      expect(decoder.idle).toBe(true)
    }
    // A MORE frame does not reach the sink, so it cannot stop the decoder mid-message.
    expect(offsets).toEqual([3, 9, 16, 19])
    expect(describeEvents(recorder.events)).toEqual(expected)
  })

  it("stops only where the sink says so", () => {
    const recorder = new Recorder()
    recorder.stopWhen = (_, i) => i === 1
    const decoder = new Decoder(recorder)
    expect(decoder.write(stream)).toBe(9)
    expect(recorder.events).toHaveLength(2)
    expect(decoder.write(stream, 9)).toBe(stream.length)
    expect(describeEvents(recorder.events)).toEqual(expected)
  })

  it("treats a sink returning undefined as 'continue'", () => {
    const got: Uint8Array[][] = []
    const decoder = new Decoder({ onMessage: (m) => void got.push(m), onCommand: () => {} })
    expect(decoder.write(stream)).toBe(stream.length)
    expect(got.map((m) => m.map(toHex))).toEqual([["61"], ["62", "63"], ["64"]])
  })

  it("stops after a frame that completes across chunks, at its end in the later chunk", () => {
    const recorder = new Recorder()
    recorder.stopWhen = (_, i) => i === 0
    const decoder = new Decoder(recorder)
    expect(decoder.write(fromHex("00 05 68 65"))).toBe(4)
    const second = fromHex("6c 6c 6f  00 01 62")
    expect(decoder.write(second)).toBe(3)
    expect(decoder.write(second, 3)).toBe(6)
    expect(describeEvents(recorder.events)).toEqual([{ message: ["68656c6c6f"] }, { message: ["62"] }])
  })

  it("stops after a frame whose header spanned chunks and whose body is a view", () => {
    const recorder = new Recorder()
    recorder.stopWhen = () => true
    const decoder = new Decoder(recorder)
    expect(decoder.write(fromHex("04"))).toBe(1)
    const second = fromHex("05 04 50 4f 4e 47  00 01 62")
    expect(decoder.write(second)).toBe(6)
    expect(decoder.write(second, 6)).toBe(9)
    expect(describeEvents(recorder.events)).toEqual([
      { command: { name: "PONG", data: "" } },
      { message: ["62"] },
    ])
  })

  it("delivers the same events when stopping after every message, for every two-piece split", () => {
    const pieces = [...twoWaySplits(stream), byteByByte(stream)]
    for (const chunks of pieces) {
      const recorder = new Recorder()
      recorder.stopWhen = () => true
      const decoder = new Decoder(recorder)
      for (const chunk of chunks) {
        let offset = 0
        do offset = decoder.write(chunk, offset)
        while (offset < chunk.length)
      }
      decoder.end()
      expect(describeEvents(recorder.events)).toEqual(expected)
    }
  })
})

describe("round trip", () => {
  it("round-trips a multipart message with an empty frame", () => {
    const encoder = new Encoder()
    const frames = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)]
    encoder.message(frames)
    const got: Uint8Array[][] = []
    const decoder = new Decoder({ onMessage: (m) => void got.push(m), onCommand: () => {} })
    for (const chunk of encoder.chunks()) decoder.write(chunk)
    expect(got).toEqual([frames])
  })
})
