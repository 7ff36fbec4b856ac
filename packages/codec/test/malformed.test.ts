/**
 * Every kind of bad input gets its own typed error code, thrown as early as the octets allow. Errors
 * are asserted by `code`, never by message.
 */
import { describe, expect, it } from "vitest"
import {
  Decoder,
  type DecoderOptions,
  GreetingReader,
  PART_OVERHEAD,
  parseCommand,
  parseErrorCommand,
  parseMetadata,
  parsePing,
  ZlError,
  ZmtpError,
  ZmtpErrorCode,
} from "../src/index.js"
import {
  ascii,
  byteByByte,
  caught,
  codeOf,
  concat,
  decodeChunks,
  describeEvents,
  fromHex,
  Recorder,
  toHex,
} from "./helpers.js"

const FILLER = "00 ".repeat(31)
const SIGNATURE = "ff 00 00 00 00 00 00 00 01 7f"

/** A greeting with the given 20-octet mechanism field (hex). */
function greetingWithMechanism(mechanismHex: string): Uint8Array {
  const bytes = fromHex(`${SIGNATURE} 03 01 ${mechanismHex} 00 ${FILLER}`)
  expect(bytes.length).toBe(64)
  return bytes
}

function nulPadded(text: string): string {
  return toHex(ascii(text)) + "00".repeat(20 - text.length)
}

/** Feeds `bytes` to a fresh reader and returns the code thrown. */
function greetingCode(bytes: Uint8Array): string {
  return codeOf(() => new GreetingReader().feed(bytes))
}

/** Writes `chunks` to a fresh decoder (then ends it) and returns the code thrown. */
function decoderCode(chunks: readonly Uint8Array[], options?: DecoderOptions): string {
  return codeOf(() => decodeChunks(chunks, options))
}

describe("greeting", () => {
  it("rejects a bad first octet as soon as it arrives (BAD_SIGNATURE)", () => {
    for (const first of [0x00, 0x01, 0x7f, 0xfe]) {
      const reader = new GreetingReader()
      expect(codeOf(() => reader.feed(Uint8Array.of(first)))).toBe(ZmtpErrorCode.BAD_SIGNATURE)
    }
  })

  it("rejects a ZMTP 1.0 peer (identity length, flags, identity) at octet 0", () => {
    expect(greetingCode(fromHex("01 00 41"))).toBe(ZmtpErrorCode.BAD_SIGNATURE)
  })

  it("rejects octet 9 with bit 0 clear when it arrives (BAD_SIGNATURE)", () => {
    for (const last of [0x7e, 0x00, 0xfe]) {
      const reader = new GreetingReader()
      reader.feed(fromHex("ff 00 00 00 00 00 00 00 01"))
      expect(codeOf(() => reader.feed(Uint8Array.of(last)))).toBe(ZmtpErrorCode.BAD_SIGNATURE)
    }
  })

  it("accepts any octet 9 with bit 0 set (libzmq checks only that bit)", () => {
    const reader = new GreetingReader()
    reader.feed(fromHex("ff 00 00 00 00 00 00 00 01 01 03"))
    expect(reader.major).toBe(3)
  })

  for (const major of [0, 1, 2]) {
    it(`rejects major version ${major} as soon as octet 10 arrives (BAD_VERSION)`, () => {
      const reader = new GreetingReader()
      reader.feed(fromHex(SIGNATURE))
      expect(reader.signatureComplete).toBe(true)
      // Only 11 octets: libzmq sends the rest only after it has seen our major version.
      expect(codeOf(() => reader.feed(Uint8Array.of(major)))).toBe(ZmtpErrorCode.BAD_VERSION)
      expect(reader.length).toBe(11)
    })
  }

  it("rejects a bad major version inside a whole greeting too", () => {
    expect(greetingCode(fromHex(`${SIGNATURE} 02 00 ${nulPadded("NULL")} 00 ${FILLER}`))).toBe(
      ZmtpErrorCode.BAD_VERSION,
    )
  })

  const badMechanisms: [string, string][] = [
    ["not NUL-padded (a non-NUL octet after the NUL)", `${toHex(ascii("NULL"))}00${"41"}${"00".repeat(14)}`],
    ["lowercase", nulPadded("null")],
    ["empty", "00".repeat(20)],
    ["starting with a NUL", `00${toHex(ascii("NULL"))}${"00".repeat(15)}`],
    ["containing a space", nulPadded("NU LL")],
    ["containing a non-ASCII octet", `ff${"00".repeat(19)}`],
  ]
  for (const [name, mechanism] of badMechanisms) {
    it(`rejects a mechanism field ${name} when the greeting completes (BAD_MECHANISM)`, () => {
      const bytes = greetingWithMechanism(mechanism)
      const reader = new GreetingReader()
      expect(reader.feed(bytes.subarray(0, 63))).toBe(63)
      expect(codeOf(() => reader.feed(bytes.subarray(63)))).toBe(ZmtpErrorCode.BAD_MECHANISM)
      expect(reader.complete).toBe(false)
    })
  }

  for (const received of [0, 1, 10, 11, 63]) {
    it(`end() after ${received} of 64 octets throws TRUNCATED_GREETING`, () => {
      const reader = new GreetingReader()
      reader.feed(greetingWithMechanism(nulPadded("NULL")).subarray(0, received))
      expect(codeOf(() => reader.end())).toBe(ZmtpErrorCode.TRUNCATED_GREETING)
    })
  }

  it("end() after a complete greeting does not throw", () => {
    const reader = new GreetingReader()
    reader.feed(greetingWithMechanism(nulPadded("NULL")))
    expect(() => reader.end()).not.toThrow()
  })

  it("rethrows the same failure on input after a failure, and on end()", () => {
    const reader = new GreetingReader()
    const failure = caught(() => reader.feed(Uint8Array.of(0x00)))
    expect(failure).toMatchObject({ code: ZmtpErrorCode.BAD_SIGNATURE })
    // The rest of a valid greeting must not revive the reader.
    const rest = greetingWithMechanism(nulPadded("NULL")).subarray(1)
    expect(caught(() => reader.feed(rest))).toBe(failure)
    expect(caught(() => reader.end())).toBe(failure)
    expect(reader.complete).toBe(false)
  })
})

describe("frames", () => {
  for (const flags of [0x05, 0x07, 0x0d, 0xfd]) {
    it(`rejects a command frame with MORE set, flags 0x${flags.toString(16)} (BAD_FLAGS)`, () => {
      const long = (flags & 0x02) !== 0
      const frame = fromHex(long ? `${toHex(Uint8Array.of(flags))} 00 00 00 00 00 00 00 01 41` : "00 01 41")
      frame[0] = flags
      expect(decoderCode([frame])).toBe(ZmtpErrorCode.BAD_FLAGS)
      expect(decoderCode(byteByByte(frame))).toBe(ZmtpErrorCode.BAD_FLAGS)
    })
  }

  describe("a size over maxMessageSize is rejected when the header is complete, before the body", () => {
    it("short size (FRAME_TOO_LARGE on the header alone)", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 10 })
      expect(codeOf(() => decoder.write(fromHex("00 0b")))).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
    })

    it("long size (FRAME_TOO_LARGE on the header alone)", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 1000 })
      expect(codeOf(() => decoder.write(fromHex("02 00 00 00 00 00 00 03 e9")))).toBe(
        ZmtpErrorCode.FRAME_TOO_LARGE,
      )
    })

    it("long size with the header split over chunks: thrown by the last header octet", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 1000 })
      const header = fromHex("03 00 00 00 00 00 01 00 00")
      for (let i = 0; i < header.length - 1; i++) expect(decoder.write(header.subarray(i, i + 1))).toBe(1)
      expect(codeOf(() => decoder.write(header.subarray(header.length - 1)))).toBe(
        ZmtpErrorCode.FRAME_TOO_LARGE,
      )
    })

    it("a short size split from its flags", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 0 })
      decoder.write(fromHex("01"))
      expect(codeOf(() => decoder.write(fromHex("01")))).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
    })

    it("a command frame is limited too", () => {
      expect(decoderCode([fromHex("04 0b")], { maxMessageSize: 10 })).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
    })

    it("a frame of exactly maxMessageSize is accepted", () => {
      const events = decodeChunks([fromHex("00 0a 00 01 02 03 04 05 06 07 08 09")], { maxMessageSize: 10 })
      expect(describeEvents(events)).toEqual([{ message: ["00010203040506070809"] }])
      expect(describeEvents(decodeChunks([fromHex("00 00")], { maxMessageSize: 0 }))).toEqual([
        { message: [""] },
      ])
    })

    it("a multipart message counts every part but the last with its overhead", () => {
      // Two parts of 10 and one of 0 octets: 10 + 32 + 0 + 32 + 0 = 74.
      const three = fromHex(`01 0a ${"61 ".repeat(10)} 01 00 00 00`)
      expect(describeEvents(decodeChunks([three], { maxMessageSize: 10 + 2 * PART_OVERHEAD }))).toEqual([
        { message: ["61616161616161616161", "", ""] },
      ])
      expect(decoderCode([three], { maxMessageSize: 10 + 2 * PART_OVERHEAD - 1 })).toBe(
        ZmtpErrorCode.MESSAGE_TOO_LARGE,
      )
      // Byte by byte, the same part is refused on its header.
      expect(decoderCode(byteByByte(three), { maxMessageSize: 10 + 2 * PART_OVERHEAD - 1 })).toBe(
        ZmtpErrorCode.MESSAGE_TOO_LARGE,
      )
    })

    it("endless empty MORE frames stop at the limit, and the count starts again after each message", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 1024 })
      // 33 empty parts count 32 x 32 = 1024 octets: the limit, reached exactly; a 34th is refused.
      const parts = 1024 / PART_OVERHEAD + 1
      decoder.write(fromHex("01 00 ".repeat(parts)))
      expect(codeOf(() => decoder.write(fromHex("01 00")))).toBe(ZmtpErrorCode.MESSAGE_TOO_LARGE)
      const recorder = new Recorder()
      const fresh = new Decoder(recorder, { maxMessageSize: 1024 })
      for (let i = 0; i < 100; i++) fresh.write(fromHex(`${"01 00 ".repeat(parts - 1)} 00 00`))
      expect(describeEvents(recorder.events)).toHaveLength(100)
    })

    it("a command between the parts of a message is not counted against it", () => {
      const events = decodeChunks([fromHex(`01 00 04 1e ${"61 ".repeat(30)} 00 00`)], {
        maxMessageSize: PART_OVERHEAD + 1,
      })
      expect(events).toHaveLength(2)
    })

    it("setMaxFrameSize lowers the frame limit below maxMessageSize, and undefined restores it", () => {
      const decoder = new Decoder(new Recorder(), { maxMessageSize: 1000 })
      decoder.setMaxFrameSize(4)
      decoder.write(fromHex("04 04 61 62 63 64"))
      expect(codeOf(() => decoder.write(fromHex("04 05")))).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
      const restored = new Decoder(new Recorder(), { maxMessageSize: 1000 })
      restored.setMaxFrameSize(4)
      restored.setMaxFrameSize(undefined)
      restored.write(fromHex(`00 ff ${"00 ".repeat(255)}`))
      restored.setMaxFrameSize(5000)
      expect(codeOf(() => restored.write(fromHex("02 00 00 00 00 00 00 03 e9")))).toBe(
        ZmtpErrorCode.FRAME_TOO_LARGE,
      )
    })

    it("without a limit, a size above 2^32 - 1 (the largest buffer) is refused", () => {
      const decoder = new Decoder(new Recorder())
      expect(codeOf(() => decoder.write(fromHex("02 00 00 00 01 00 00 00 00")))).toBe(
        ZmtpErrorCode.FRAME_TOO_LARGE,
      )
    })

    it("2^53 - 1 is a valid size, so it is too large rather than bad", () => {
      expect(decoderCode([fromHex("02 00 1f ff ff ff ff ff ff")])).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
    })
  })

  for (const [name, header] of [
    ["top bit set (2^63)", "02 80 00 00 00 00 00 00 00"],
    ["all bits set", "02 ff ff ff ff ff ff ff ff"],
    ["top bit set on a command", "06 80 00 00 00 00 00 00 05"],
    ["2^53, just above 2^53 - 1", "02 00 20 00 00 00 00 00 00"],
    ["2^62 (libzmq drops such peers)", "02 40 00 00 00 00 00 00 00"],
  ]) {
    it(`rejects a LONG size with ${name} on the header alone (BAD_SIZE)`, () => {
      const bytes = fromHex(header!)
      expect(codeOf(() => new Decoder(new Recorder()).write(bytes))).toBe(ZmtpErrorCode.BAD_SIZE)
      // BAD_SIZE wins over any maxMessageSize.
      expect(codeOf(() => new Decoder(new Recorder(), { maxMessageSize: 1 }).write(bytes))).toBe(
        ZmtpErrorCode.BAD_SIZE,
      )
      const split = new Decoder(new Recorder())
      split.write(bytes.subarray(0, 4))
      expect(codeOf(() => split.write(bytes.subarray(4)))).toBe(ZmtpErrorCode.BAD_SIZE)
    })
  }

  for (const [name, hex] of [
    ["after a flags octet", "00"],
    ["inside a long size", "02 00 00 00"],
    ["inside a short body", "00 05 68 65"],
    ["inside a long body", `02 00 00 00 00 00 00 01 00 ${"aa ".repeat(100)}`],
    ["inside a command", "04 05 04 50 49"],
    ["after a frame with MORE (mid-multipart)", "01 01 61"],
    ["after two frames of a multipart message", "01 01 61 01 00"],
    ["inside the last frame of a multipart message", "01 01 61 00 02 62"],
  ]) {
    it(`end() ${name} throws TRUNCATED_FRAME`, () => {
      const bytes = fromHex(hex!)
      expect(decoderCode([bytes])).toBe(ZmtpErrorCode.TRUNCATED_FRAME)
      expect(decoderCode(byteByByte(bytes))).toBe(ZmtpErrorCode.TRUNCATED_FRAME)
    })
  }

  it("end() between messages does not throw, and a decoder is idle only there", () => {
    const decoder = new Decoder(new Recorder())
    expect(decoder.idle).toBe(true)
    decoder.write(fromHex("00 01 61 01"))
    expect(decoder.idle).toBe(false)
    decoder.write(fromHex("00"))
    expect(decoder.idle).toBe(false) // a MORE frame is complete, the message is not
    decoder.write(fromHex("00 00"))
    expect(decoder.idle).toBe(true)
    expect(() => decoder.end()).not.toThrow()
  })

  it("ignores the reserved flag bits 3-7 (as libzmq does)", () => {
    const events = decodeChunks([
      fromHex("f9 01 61  f8 01 62  fc 05 04 50 4f 4e 47  fa 00 00 00 00 00 00 00 01 63"),
    ])
    expect(describeEvents(events)).toEqual([
      { message: ["61", "62"] },
      { command: { name: "PONG", data: "" } },
      { message: ["63"] },
    ])
  })

  it("accepts the LONG flag on a small size (libzmq encodes LONG only above 255, but accepts it)", () => {
    const events = decodeChunks([
      fromHex(
        "03 00 00 00 00 00 00 00 03 61 62 63  02 00 00 00 00 00 00 00 00  06 00 00 00 00 00 00 00 05 04 50 4f 4e 47",
      ),
    ])
    expect(describeEvents(events)).toEqual([
      { message: ["616263", ""] },
      { command: { name: "PONG", data: "" } },
    ])
  })

  it("fails with FRAME_TOO_LARGE, not a RangeError, when a declared size cannot be allocated", () => {
    // Without maxMessageSize a 9-octet header can declare 4 GiB; where memory is short (ulimit -v,
    // 32-bit engines) the allocation throws. Simulate that with a Uint8Array that refuses 2^32 - 1.
    const header = fromHex("02 00 00 00 00 ff ff ff ff 61")
    const next = fromHex("00 01 62")
    const decoder = new Decoder(new Recorder())
    const Real = globalThis.Uint8Array
    globalThis.Uint8Array = new Proxy(Real, {
      construct(target, args) {
        if (args[0] === 2 ** 32 - 1) throw new RangeError("Array buffer allocation failed")
        return Reflect.construct(target, args)
      },
    })
    let failure: unknown
    try {
      failure = caught(() => decoder.write(header))
    } finally {
      globalThis.Uint8Array = Real
    }
    expect(failure).toBeInstanceOf(ZmtpError)
    expect(failure).toMatchObject({ code: ZmtpErrorCode.FRAME_TOO_LARGE })
    expect(caught(() => decoder.write(next))).toBe(failure)
  })

  it("write after a failure rethrows the same failure, and so does end()", () => {
    const recorder = new Recorder()
    const decoder = new Decoder(recorder)
    decoder.write(fromHex("00 01 61"))
    const failure = caught(() => decoder.write(fromHex("05 00")))
    expect(failure).toMatchObject({ code: ZmtpErrorCode.BAD_FLAGS })
    expect(caught(() => decoder.write(fromHex("00 01 62")))).toBe(failure)
    expect(caught(() => decoder.write(new Uint8Array(0)))).toBe(failure)
    expect(caught(() => decoder.end())).toBe(failure)
    expect(describeEvents(recorder.events)).toEqual([{ message: ["61"] }])
  })

  it("frames before a bad one in the same chunk are delivered first", () => {
    const recorder = new Recorder()
    const decoder = new Decoder(recorder, { maxMessageSize: 4 })
    expect(codeOf(() => decoder.write(fromHex("00 01 61  04 05 04 50 4f 4e 47  00 05")))).toBe(
      ZmtpErrorCode.FRAME_TOO_LARGE,
    )
    expect(describeEvents(recorder.events)).toEqual([{ message: ["61"] }])
  })
})

describe("command bodies", () => {
  for (const [name, hex] of [
    ["empty", ""],
    ["with an empty name", "00"],
    ["with an empty name and data", "00 41 42"],
    ["with a name length past the end", "05 52 45 41 44"],
    ["with only a name length", "ff"],
  ]) {
    it(`parseCommand rejects a body ${name} (MALFORMED_COMMAND)`, () => {
      expect(codeOf(() => parseCommand(fromHex(hex!)))).toBe(ZmtpErrorCode.MALFORMED_COMMAND)
    })
  }

  it("parseCommand accepts a name that ends exactly at the end of the body", () => {
    const { name, data } = parseCommand(fromHex("04 50 4f 4e 47"))
    expect(name).toBe("PONG")
    expect(data.length).toBe(0)
  })

  for (const [name, hex] of [
    ["an empty name", "00 00 00 00 00"],
    ["a name length past the end", "0b 53 6f 63 6b"],
    ["a truncated value length", "01 41 00 00"],
    ["no value length at all", "01 41"],
    ["a value past the end", "01 41 00 00 00 05 61 62"],
    ["a value length with the top bit set", "01 41 80 00 00 00 61"],
    ["a good property followed by an empty name", "01 41 00 00 00 00 00"],
    ["a good property followed by a truncated one", "01 41 00 00 00 01 61 01 42 00"],
  ]) {
    it(`parseMetadata rejects ${name} (MALFORMED_METADATA)`, () => {
      expect(codeOf(() => parseMetadata(fromHex(hex!)))).toBe(ZmtpErrorCode.MALFORMED_METADATA)
    })
  }

  it("parseMetadata refuses more properties than allowed before decoding the surplus (METADATA_LIMIT)", () => {
    const property = "01 41 00 00 00 00 "
    expect(parseMetadata(fromHex(property.repeat(64))).size).toBe(1)
    expect(codeOf(() => parseMetadata(fromHex(property.repeat(65))))).toBe(ZmtpErrorCode.METADATA_LIMIT)
    expect(codeOf(() => parseMetadata(fromHex(property.repeat(3)), 2))).toBe(ZmtpErrorCode.METADATA_LIMIT)
    // The surplus is not even looked at: a truncated 65th property is still a limit fault.
    expect(codeOf(() => parseMetadata(fromHex(`${property.repeat(64)} 01`)))).toBe(
      ZmtpErrorCode.METADATA_LIMIT,
    )
  })

  it("parseMetadata accepts no properties, and a value that ends exactly at the end", () => {
    expect(parseMetadata(new Uint8Array(0)).size).toBe(0)
    const props = parseMetadata(fromHex("01 41 00 00 00 02 61 62"))
    expect([...props].map(([k, v]) => [k, toHex(v)])).toEqual([["A", "6162"]])
  })

  it("parseMetadata reads metadata at an offset inside a larger buffer", () => {
    const body = fromHex("05 52 45 41 44 59  01 41 00 00 00 01 7a")
    const { data } = parseCommand(body)
    expect([...parseMetadata(data)].map(([k, v]) => [k, toHex(v)])).toEqual([["A", "7a"]])
  })

  for (const hex of ["", "01"]) {
    it(`parsePing rejects data without a 2-octet TTL: "${hex}" (MALFORMED_COMMAND_DATA)`, () => {
      expect(codeOf(() => parsePing(fromHex(hex)))).toBe(ZmtpErrorCode.MALFORMED_COMMAND_DATA)
    })
  }

  it("parsePing keeps a context longer than 16 octets", () => {
    expect(parsePing(fromHex(`00 01 ${"61 ".repeat(20)}`)).context.length).toBe(20)
  })

  for (const hex of ["", "03 34 30", "01"]) {
    it(`parseErrorCommand rejects a reason running past the data: "${hex}" (MALFORMED_COMMAND_DATA)`, () => {
      expect(codeOf(() => parseErrorCommand(fromHex(hex)))).toBe(ZmtpErrorCode.MALFORMED_COMMAND_DATA)
    })
  }
})

describe("error codes", () => {
  /** One representative input per code: the table the distinctness check runs over. */
  const table: { code: ZmtpErrorCode; run: () => unknown }[] = [
    { code: ZmtpErrorCode.BAD_SIGNATURE, run: () => new GreetingReader().feed(fromHex("00")) },
    { code: ZmtpErrorCode.BAD_VERSION, run: () => new GreetingReader().feed(fromHex(`${SIGNATURE} 02`)) },
    {
      code: ZmtpErrorCode.BAD_MECHANISM,
      run: () => new GreetingReader().feed(greetingWithMechanism(nulPadded("null"))),
    },
    {
      code: ZmtpErrorCode.TRUNCATED_GREETING,
      run: () => {
        const reader = new GreetingReader()
        reader.feed(fromHex(SIGNATURE))
        reader.end()
      },
    },
    { code: ZmtpErrorCode.BAD_FLAGS, run: () => decodeChunks([fromHex("05 00")]) },
    { code: ZmtpErrorCode.BAD_SIZE, run: () => decodeChunks([fromHex("02 80 00 00 00 00 00 00 00")]) },
    {
      code: ZmtpErrorCode.FRAME_TOO_LARGE,
      run: () => decodeChunks([fromHex("00 02")], { maxMessageSize: 1 }),
    },
    { code: ZmtpErrorCode.TRUNCATED_FRAME, run: () => decodeChunks([fromHex("01 00")]) },
    { code: ZmtpErrorCode.MALFORMED_COMMAND, run: () => parseCommand(new Uint8Array(0)) },
    { code: ZmtpErrorCode.MALFORMED_METADATA, run: () => parseMetadata(fromHex("01 41 00")) },
    { code: ZmtpErrorCode.METADATA_LIMIT, run: () => parseMetadata(fromHex("01 41 00 00 00 00"), 0) },
    {
      code: ZmtpErrorCode.MESSAGE_TOO_LARGE,
      run: () => decodeChunks([fromHex("01 00 00 00")], { maxMessageSize: PART_OVERHEAD - 1 }),
    },
    { code: ZmtpErrorCode.MALFORMED_COMMAND_DATA, run: () => parsePing(new Uint8Array(0)) },
  ]

  it.each(table)("$code is thrown as a ZmtpError", ({ code, run }) => {
    const err = caught(run)
    expect(err).toBeInstanceOf(ZmtpError)
    expect(ZlError.isInstance(err)).toBe(true)
    expect((err as ZmtpError).code).toBe(code)
  })

  it("every fault above has its own code, and every code is a distinct ZMTP_ERR_* string", () => {
    const codes = table.map((row) => row.code)
    expect(new Set(codes).size).toBe(codes.length)
    const all = Object.values(ZmtpErrorCode)
    expect(new Set(all).size).toBe(all.length)
    for (const code of all) expect(code).toMatch(/^ZMTP_ERR_[A-Z_]+$/)
    for (const code of codes) expect(all).toContain(code)
  })

  it("the same fault gives the same code however the input is chunked", () => {
    const stream = concat([fromHex("00 01 61 01 01 62"), fromHex("05 00")])
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decoderCode([stream.subarray(0, cut), stream.subarray(cut)])).toBe(ZmtpErrorCode.BAD_FLAGS)
    }
  })
})
