/**
 * Byte-exact fixtures derived by hand from RFC 37 (ZMTP 3.1) and from what libzmq 4.3.5 sends
 * (see shared/reference/wire-notes.md 1.1-1.6). Every fixture is checked both ways, encoding to exactly
 * its hex and decoding its hex to the expected structure, and decoded again from every two-piece split and
 * from 1-octet chunks.
 */
import { describe, expect, it } from "vitest"
import {
  Decoder,
  Encoder,
  encodeCancel,
  encodeErrorCommand,
  encodeGreeting,
  encodePing,
  encodePong,
  encodeReady,
  encodeSubscribe,
  type Greeting,
  GreetingReader,
} from "../src/index.js"
import {
  ascii,
  byteByByte,
  concat,
  decodeChunks,
  describeEvents,
  fromHex,
  pattern,
  Recorder,
  toHex,
  twoWaySplits,
} from "./helpers.js"

/** The 31 zero octets that close every greeting. */
const FILLER = "00 ".repeat(31)

// Greeting layout (RFC 37 "Version Negotiation"): signature(10) version(2) mechanism(20) as-server(1) filler(31).
const NULL_GREETING = [
  "ff 00 00 00 00 00 00 00 01 7f", // 0xff, padding = big-endian uint64 1 (libzmq's ZMTP 1.0 trick), 0x7f
  "03 01", // ZMTP 3.1
  "4e 55 4c 4c  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", // "NULL" + 16 NULs
  "00", // as-server: 0
  FILLER,
].join(" ")

const PLAIN_SERVER_GREETING = [
  "ff 00 00 00 00 00 00 00 01 7f",
  "03 01",
  "50 4c 41 49 4e  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", // "PLAIN" + 15 NULs
  "01", // as-server: 1 (RFC 37 for the PLAIN server)
  FILLER,
].join(" ")

const ZMTP30_GREETING = [
  "ff 00 00 00 00 00 00 00 01 7f",
  "03 00", // ZMTP 3.0: the peer wants 0x01/0x00 subscription messages
  "4e 55 4c 4c  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
  "00",
  FILLER,
].join(" ")

interface GreetingFixture {
  readonly name: string
  readonly hex: string
  readonly expected: Greeting
  /** Encodes the fixture; absent for greetings only other implementations send. */
  readonly encode?: () => Uint8Array
}

const greetings: GreetingFixture[] = [
  {
    name: "NULL, as libzmq 4.3.5 sends it",
    hex: NULL_GREETING,
    expected: { major: 3, minor: 1, mechanism: "NULL", asServer: false },
    encode: () => encodeGreeting(),
  },
  {
    name: "PLAIN as-server",
    hex: PLAIN_SERVER_GREETING,
    expected: { major: 3, minor: 1, mechanism: "PLAIN", asServer: true },
    encode: () => encodeGreeting({ mechanism: "PLAIN", asServer: true }),
  },
  {
    name: "NULL, ZMTP 3.0",
    hex: ZMTP30_GREETING,
    expected: { major: 3, minor: 0, mechanism: "NULL", asServer: false },
    encode: () => encodeGreeting({ minor: 0 }),
  },
  {
    name: "CURVE with all-zero padding (padding is not significant)",
    hex: `ff 00 00 00 00 00 00 00 00 7f 03 01 43 55 52 56 45 ${"00 ".repeat(15)} 00 ${FILLER}`,
    expected: { major: 3, minor: 1, mechanism: "CURVE", asServer: false },
  },
  {
    name: "NULL with the C++ zlink ws engine's padding 7f ff .. ff",
    hex: `ff 7f ff ff ff ff ff ff ff 7f 03 01 4e 55 4c 4c ${"00 ".repeat(16)} 00 ${FILLER}`,
    expected: { major: 3, minor: 1, mechanism: "NULL", asServer: false },
  },
  {
    name: "a later major version is spoken to as 3.1 (as libzmq does)",
    hex: `ff 00 00 00 00 00 00 00 01 7f 04 00 4e 55 4c 4c ${"00 ".repeat(16)} 00 ${FILLER}`,
    expected: { major: 4, minor: 1, mechanism: "NULL", asServer: false },
  },
  {
    name: "a 20-character mechanism fills the field with no NUL",
    hex: `ff 00 00 00 00 00 00 00 01 7f 03 01 ${"41 ".repeat(20)} 00 ${FILLER}`,
    expected: { major: 3, minor: 1, mechanism: "A".repeat(20), asServer: false },
    encode: () => encodeGreeting({ mechanism: "A".repeat(20) }),
  },
]

/** Feeds chunks to a fresh reader the way an engine does, and returns the reader. */
function readGreeting(chunks: readonly Uint8Array[]): GreetingReader {
  const reader = new GreetingReader()
  let taken = 0
  for (const chunk of chunks) taken += reader.feed(chunk)
  expect(taken).toBe(reader.length)
  reader.end()
  return reader
}

describe("greeting fixtures", () => {
  for (const f of greetings) {
    describe(f.name, () => {
      const bytes = fromHex(f.hex)

      it("is 64 octets", () => {
        expect(bytes.length).toBe(64)
      })

      if (f.encode !== undefined) {
        const encode = f.encode
        it("encodes to exactly the fixture", () => {
          expect(toHex(encode())).toBe(toHex(bytes))
        })
      }

      it("decodes to the expected greeting", () => {
        const reader = new GreetingReader()
        expect(reader.feed(bytes)).toBe(64)
        expect(reader.complete).toBe(true)
        expect(reader.greeting).toEqual(f.expected)
      })

      it("decodes the same when split at every octet boundary", () => {
        for (const split of twoWaySplits(bytes)) expect(readGreeting(split).greeting).toEqual(f.expected)
      })

      it("decodes the same when fed 1 octet at a time", () => {
        expect(readGreeting(byteByByte(bytes)).greeting).toEqual(f.expected)
      })
    })
  }

  it("reports the libzmq stages: signature after 10 octets, major after 11, greeting after 64", () => {
    const bytes = fromHex(NULL_GREETING)
    const reader = new GreetingReader()
    reader.feed(bytes.subarray(0, 9))
    expect([reader.signatureComplete, reader.major, reader.complete]).toEqual([false, undefined, false])
    reader.feed(bytes.subarray(9, 10))
    expect([reader.signatureComplete, reader.major, reader.complete]).toEqual([true, undefined, false])
    reader.feed(bytes.subarray(10, 11))
    expect([reader.signatureComplete, reader.major, reader.complete]).toEqual([true, 3, false])
    reader.feed(bytes.subarray(11, 63))
    expect(reader.complete).toBe(false)
    reader.feed(bytes.subarray(63))
    expect(reader.complete).toBe(true)
    expect(reader.length).toBe(64)
  })

  it("takes only the 64 greeting octets and leaves what follows to the caller", () => {
    const stream = concat([fromHex(NULL_GREETING), fromHex("00 01 61")])
    const reader = new GreetingReader()
    expect(reader.feed(stream.subarray(0, 30))).toBe(30)
    expect(reader.feed(stream, 30)).toBe(34)
    expect(reader.complete).toBe(true)
    expect(reader.feed(stream, 64)).toBe(0)
    expect(reader.length).toBe(64)
  })

  it("throws EFSM when the greeting is read before it is complete", () => {
    const reader = new GreetingReader()
    reader.feed(fromHex(NULL_GREETING).subarray(0, 63))
    expect(() => reader.greeting).toThrow(expect.objectContaining({ code: "EFSM" }))
  })
})

interface FrameFixture {
  readonly name: string
  /** The complete wire bytes. */
  readonly hex: string
  /** Encodes the fixture on a fresh default encoder. */
  readonly encode: (encoder: Encoder) => void
  /** The decoded structure, as `describeEvents` shows it. */
  readonly decoded: unknown[]
}

const BODY_255 = pattern(255, 255)
const BODY_256 = pattern(256, 256)
const BODY_300 = pattern(300, 300)
const PING_CONTEXT_16 = fromHex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")

// Command frame bodies (RFC 37 "Commands"): name-size(1) name data; READY metadata properties are
// name-size(1) name value-size(4, big-endian) value.
const READY_DEALER = [
  "04 29", // COMMAND, size 41
  "05 52 45 41 44 59", // "READY"
  "0b 53 6f 63 6b 65 74 2d 54 79 70 65", // "Socket-Type"
  "00 00 00 06 44 45 41 4c 45 52", // "DEALER"
  "08 49 64 65 6e 74 69 74 79", // "Identity"
  "00 00 00 00", // empty
].join(" ")

const frames: FrameFixture[] = [
  {
    name: "an empty frame",
    hex: "00 00",
    encode: (e) => e.message([new Uint8Array(0)]),
    decoded: [{ message: [""] }],
  },
  {
    name: "a short frame",
    hex: "00 05 68 65 6c 6c 6f",
    encode: (e) => e.message([ascii("hello")]),
    decoded: [{ message: ["68656c6c6f"] }],
  },
  {
    name: "a 255-octet frame, the largest short one",
    hex: `00 ff ${toHex(BODY_255)}`,
    encode: (e) => e.message([BODY_255]),
    decoded: [{ message: [toHex(BODY_255)] }],
  },
  {
    name: "a 256-octet frame, the smallest LONG one (8-octet big-endian size)",
    hex: `02 00 00 00 00 00 00 01 00 ${toHex(BODY_256)}`,
    encode: (e) => e.message([BODY_256]),
    decoded: [{ message: [toHex(BODY_256)] }],
  },
  {
    name: "a multipart message: MORE on every frame but the last",
    hex: "01 01 61  01 02 62 63  00 00",
    encode: (e) => e.message([ascii("a"), ascii("bc"), new Uint8Array(0)]),
    decoded: [{ message: ["61", "6263", ""] }],
  },
  {
    name: "a multipart message with a LONG frame inside (MORE|LONG = 0x03)",
    hex: `01 01 78  03 00 00 00 00 00 00 01 00 ${toHex(BODY_256)}  00 01 79`,
    encode: (e) => e.message([ascii("x"), BODY_256, ascii("y")]),
    decoded: [{ message: ["78", toHex(BODY_256), "79"] }],
  },
  {
    name: "two messages back to back (a ROUTER envelope, then a single frame)",
    hex: "01 02 00 01  01 00  00 02 68 69  00 01 62",
    encode: (e) => {
      e.message([fromHex("00 01"), new Uint8Array(0), ascii("hi")])
      e.message([ascii("b")])
    },
    decoded: [{ message: ["0001", "", "6869"] }, { message: ["62"] }],
  },
  {
    name: "READY with Socket-Type DEALER and an empty Identity",
    hex: READY_DEALER,
    encode: (e) =>
      e.command(
        encodeReady([
          ["Socket-Type", "DEALER"],
          ["Identity", new Uint8Array(0)],
        ]),
      ),
    decoded: [
      {
        command: {
          name: "READY",
          metadata: [
            ["Socket-Type", "4445414c4552"],
            ["Identity", ""],
          ],
        },
      },
    ],
  },
  {
    name: "READY with Socket-Type DEALER and Identity 'abc'",
    hex: [
      "04 2c", // COMMAND, size 44
      "05 52 45 41 44 59",
      "0b 53 6f 63 6b 65 74 2d 54 79 70 65",
      "00 00 00 06 44 45 41 4c 45 52",
      "08 49 64 65 6e 74 69 74 79",
      "00 00 00 03 61 62 63", // "abc"
    ].join(" "),
    encode: (e) => e.command(encodeReady({ "Socket-Type": "DEALER", Identity: "abc" })),
    decoded: [
      {
        command: {
          name: "READY",
          metadata: [
            ["Socket-Type", "4445414c4552"],
            ["Identity", "616263"],
          ],
        },
      },
    ],
  },
  {
    name: "a LONG command (COMMAND|LONG = 0x06): READY with a 300-octet property",
    hex: [
      "06 00 00 00 00 00 00 01 3d", // size 317 = 6 + 1 + 6 + 4 + 300
      "05 52 45 41 44 59",
      "06 58 2d 44 61 74 61", // "X-Data"
      "00 00 01 2c", // 300
      toHex(BODY_300),
    ].join(" "),
    encode: (e) => e.command(encodeReady([["X-Data", BODY_300]])),
    decoded: [{ command: { name: "READY", metadata: [["X-Data", toHex(BODY_300)]] } }],
  },
  {
    name: "PING with a TTL of 300 deciseconds and a context",
    hex: "04 0a  04 50 49 4e 47  01 2c  63 74 78",
    encode: (e) => e.command(encodePing(300, ascii("ctx"))),
    decoded: [{ command: { name: "PING", ttl: 300, context: "637478" } }],
  },
  {
    name: "PING with no TTL (0) and no context",
    hex: "04 07  04 50 49 4e 47  00 00",
    encode: (e) => e.command(encodePing(0)),
    decoded: [{ command: { name: "PING", ttl: 0, context: "" } }],
  },
  {
    name: "PING with the largest TTL and a 16-octet context",
    hex: `04 17  04 50 49 4e 47  ff ff  ${toHex(PING_CONTEXT_16)}`,
    encode: (e) => e.command(encodePing(0xffff, PING_CONTEXT_16)),
    decoded: [{ command: { name: "PING", ttl: 65535, context: toHex(PING_CONTEXT_16) } }],
  },
  {
    name: "PONG echoing a context",
    hex: "04 08  04 50 4f 4e 47  63 74 78",
    encode: (e) => e.command(encodePong(ascii("ctx"))),
    decoded: [{ command: { name: "PONG", data: "637478" } }],
  },
  {
    name: "PONG with no context",
    hex: "04 05  04 50 4f 4e 47",
    encode: (e) => e.command(encodePong()),
    decoded: [{ command: { name: "PONG", data: "" } }],
  },
  {
    name: "SUBSCRIBE to topic 'A'",
    hex: "04 0b  09 53 55 42 53 43 52 49 42 45  41",
    encode: (e) => e.command(encodeSubscribe(ascii("A"))),
    decoded: [{ command: { name: "SUBSCRIBE", data: "41" } }],
  },
  {
    name: "SUBSCRIBE to everything (empty topic)",
    hex: "04 0a  09 53 55 42 53 43 52 49 42 45",
    encode: (e) => e.command(encodeSubscribe(new Uint8Array(0))),
    decoded: [{ command: { name: "SUBSCRIBE", data: "" } }],
  },
  {
    name: "CANCEL topic 'A'",
    hex: "04 08  06 43 41 4e 43 45 4c  41",
    encode: (e) => e.command(encodeCancel(ascii("A"))),
    decoded: [{ command: { name: "CANCEL", data: "41" } }],
  },
  {
    name: "ERROR with the ZAP status '400' as reason",
    hex: "04 0a  05 45 52 52 4f 52  03 34 30 30",
    encode: (e) => e.command(encodeErrorCommand("400")),
    decoded: [{ command: { name: "ERROR", reason: "400" } }],
  },
  {
    name: "ERROR with an empty reason",
    hex: "04 07  05 45 52 52 4f 52  00",
    encode: (e) => e.command(encodeErrorCommand("")),
    decoded: [{ command: { name: "ERROR", reason: "" } }],
  },
  {
    name: "a handshake and traffic: READY, SUBSCRIBE, a message, PING",
    hex: `${READY_DEALER}  04 0b 09 53 55 42 53 43 52 49 42 45 41  01 01 41  00 02 68 69  04 07 04 50 49 4e 47 00 00`,
    encode: (e) => {
      e.command(encodeReady({ "Socket-Type": "DEALER", Identity: "" }))
      e.command(encodeSubscribe(ascii("A")))
      e.message([ascii("A"), ascii("hi")])
      e.command(encodePing(0))
    },
    decoded: [
      {
        command: {
          name: "READY",
          metadata: [
            ["Socket-Type", "4445414c4552"],
            ["Identity", ""],
          ],
        },
      },
      { command: { name: "SUBSCRIBE", data: "41" } },
      { message: ["41", "6869"] },
      { command: { name: "PING", ttl: 0, context: "" } },
    ],
  },
]

describe("frame and command fixtures", () => {
  for (const f of frames) {
    describe(f.name, () => {
      const bytes = fromHex(f.hex)

      it("encodes to exactly the fixture", () => {
        const encoder = new Encoder()
        f.encode(encoder)
        expect(encoder.pendingBytes).toBe(bytes.length)
        expect(toHex(concat(encoder.chunks()))).toBe(toHex(bytes))
      })

      it("decodes to the expected structure", () => {
        expect(describeEvents(decodeChunks([bytes]))).toEqual(f.decoded)
      })

      it("decodes the same when split at every octet boundary", () => {
        for (const split of twoWaySplits(bytes)) {
          expect(describeEvents(decodeChunks(split))).toEqual(f.decoded)
        }
      })

      it("decodes the same when fed 1 octet at a time", () => {
        expect(describeEvents(decodeChunks(byteByByte(bytes)))).toEqual(f.decoded)
      })
    })
  }
})

describe("a whole connection stream: greeting, then frames", () => {
  const stream = fromHex(`${NULL_GREETING} ${READY_DEALER} 00 02 68 69`)
  const expected = [
    {
      command: {
        name: "READY",
        metadata: [
          ["Socket-Type", "4445414c4552"],
          ["Identity", ""],
        ],
      },
    },
    { message: ["6869"] },
  ]

  /** What an engine does with each chunk: greeting octets first, the rest to the frame decoder. */
  function readStream(chunks: readonly Uint8Array[]): unknown[] {
    const reader = new GreetingReader()
    const recorder = new Recorder()
    const decoder = new Decoder(recorder)
    for (const chunk of chunks) {
      const used = reader.complete ? 0 : reader.feed(chunk)
      if (reader.complete) expect(decoder.write(chunk, used)).toBe(chunk.length)
    }
    reader.end()
    decoder.end()
    expect(reader.greeting.mechanism).toBe("NULL")
    return describeEvents(recorder.events)
  }

  it("decodes in one chunk", () => {
    expect(readStream([stream])).toEqual(expected)
  })

  it("decodes the same when split at every octet boundary", () => {
    for (const split of twoWaySplits(stream)) expect(readStream(split)).toEqual(expected)
  })

  it("decodes the same when fed 1 octet at a time", () => {
    expect(readStream(byteByByte(stream))).toEqual(expected)
  })
})
