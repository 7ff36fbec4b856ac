/**
 * Hostile and broken peers: every protocol violation ends in exactly one `onClose` with its code,
 * nothing is delivered after it, and nothing throws out of the engine into the transport. Each case
 * runs with the input whole and split into 1-octet chunks.
 */
import { ZmtpErrorCode } from "@zl/codec"
import { describe, expect, it } from "vitest"
import { EngineErrorCode, type EngineOptions } from "../src/index.js"
import {
  ascii,
  command,
  concat,
  engineWithRawPeer,
  fromHex,
  greeting,
  message,
  type PairOptions,
  ready,
  settle,
  toHex,
  waitFor,
} from "./helpers.js"

const PUSH_READY = ready({ "Socket-Type": "PUSH" })

interface Case {
  readonly name: string
  readonly bytes: Uint8Array
  readonly code: string
  readonly wasReady: boolean
  readonly options?: Partial<EngineOptions>
}

const cases: Case[] = [
  {
    name: "garbage (an HTTP request)",
    bytes: ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    code: ZmtpErrorCode.BAD_SIGNATURE,
    wasReady: false,
  },
  { name: "a zero first octet", bytes: fromHex("00"), code: ZmtpErrorCode.BAD_SIGNATURE, wasReady: false },
  {
    name: "a signature whose 10th octet has bit 0 clear (ZMTP 1.0)",
    bytes: greeting({ signatureEnd: 0x7e }).subarray(0, 10),
    code: ZmtpErrorCode.BAD_SIGNATURE,
    wasReady: false,
  },
  {
    name: "a version 2 greeting",
    bytes: greeting({ major: 2 }).subarray(0, 11),
    code: ZmtpErrorCode.BAD_VERSION,
    wasReady: false,
  },
  {
    name: "a version 1 greeting",
    bytes: greeting({ major: 1 }),
    code: ZmtpErrorCode.BAD_VERSION,
    wasReady: false,
  },
  {
    name: "a mechanism not padded with NULs",
    bytes: (() => {
      const g = greeting()
      g[20] = 0x41
      return g
    })(),
    code: ZmtpErrorCode.BAD_MECHANISM,
    wasReady: false,
  },
  {
    name: "a READY larger than maxMessageSize",
    bytes: concat([greeting(), PUSH_READY]),
    code: ZmtpErrorCode.FRAME_TOO_LARGE,
    wasReady: false,
    options: { maxMessageSize: 20 },
  },
  {
    name: "a READY whose metadata runs past the command",
    bytes: concat([greeting(), command("READY", fromHex("0b 536f636b65742d54797065 00000009 50555348"))]),
    code: ZmtpErrorCode.MALFORMED_METADATA,
    wasReady: false,
  },
  {
    name: "an empty command frame",
    bytes: concat([greeting(), fromHex("04 00")]),
    code: ZmtpErrorCode.MALFORMED_COMMAND,
    wasReady: false,
  },
  {
    name: "an ERROR whose reason runs past the command",
    bytes: concat([greeting(), command("ERROR", fromHex("05 3430"))]),
    code: ZmtpErrorCode.MALFORMED_COMMAND_DATA,
    wasReady: false,
  },
  {
    name: "a frame over maxMessageSize",
    bytes: concat([greeting(), PUSH_READY, message(new Uint8Array(65))]),
    code: ZmtpErrorCode.FRAME_TOO_LARGE,
    wasReady: true,
    options: { maxMessageSize: 64 },
  },
  {
    name: "a frame declaring 2^40 octets (no maxMessageSize)",
    bytes: concat([greeting(), PUSH_READY, fromHex("02 0000010000000000")]),
    code: ZmtpErrorCode.FRAME_TOO_LARGE,
    wasReady: true,
  },
  {
    name: "a frame declaring 2^62 octets",
    bytes: concat([greeting(), PUSH_READY, fromHex("02 4000000000000000")]),
    code: ZmtpErrorCode.BAD_SIZE,
    wasReady: true,
  },
  {
    name: "a frame size with its top bit set",
    bytes: concat([greeting(), PUSH_READY, fromHex("02 8000000000000001")]),
    code: ZmtpErrorCode.BAD_SIZE,
    wasReady: true,
  },
  {
    name: "a command frame with MORE",
    bytes: concat([greeting(), PUSH_READY, fromHex("05 07 04 50494e47 0000")]),
    code: ZmtpErrorCode.BAD_FLAGS,
    wasReady: true,
  },
  {
    name: "a message before READY",
    bytes: concat([greeting(), message(ascii("early"))]),
    code: EngineErrorCode.UNEXPECTED_MESSAGE,
    wasReady: false,
  },
]

for (const [label, transport] of [
  ["whole", {}],
  ["1 octet at a time", { split: 1 }],
] as const satisfies readonly (readonly [string, PairOptions])[]) {
  describe(`bad input, ${label}`, () => {
    it.each(cases)("$name -> $code", async ({ bytes, code, wasReady, options }) => {
      const side = await engineWithRawPeer({ socketType: "PULL", ...options }, transport)
      // Trailing data after the fault must change nothing.
      side.peer.write(bytes, message(ascii("trailing")))
      await waitFor(() => side.recorder.closes.length > 0)
      await settle()
      expect(side.recorder.closes).toHaveLength(1)
      expect(side.recorder.closes[0]!.error?.code).toBe(code)
      expect(side.recorder.closes[0]!.wasReady).toBe(wasReady)
      expect(side.recorder.messages).toEqual([])
      expect(side.tap.thrown).toEqual([])
      expect(side.tap.destroys).toBe(1)
      expect(side.engine.closed).toBe(true)
      expect(side.engine.ready).toBe(false)
      // The peer sees the connection end.
      expect(side.peer.closes).toHaveLength(1)
    })
  })
}

describe("lenient input (wire notes §1.2)", () => {
  it("accepts reserved flag bits and a LONG size on a small frame", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    side.peer.write(
      greeting(),
      PUSH_READY,
      fromHex("f8 02 6869"), // reserved bits 3-7 set, "hi"
      fromHex("03 0000000000000001 61 02 0000000000000001 62"), // LONG + MORE "a", LONG "b"
    )
    await settle()
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([["6869"], ["61", "62"]])
    expect(side.recorder.closes).toEqual([])
  })

  it("accepts a greeting whose padding octets are anything", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    const g = greeting()
    g.fill(0xab, 1, 9)
    g[32] = 1 // as-server
    g.fill(0xcd, 33, 64) // filler
    side.peer.write(g, PUSH_READY, message(ascii("ok")))
    await settle()
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([[toHex(ascii("ok"))]])
  })
})

describe("a peer that goes away", () => {
  // The engine does not call the codec's end() checks: a peer that ends inside a frame (or inside
  // the greeting) is reported as an orderly close, error undefined. The partial frame or multipart
  // message is dropped, never delivered.
  it("destroyed after sending half a frame: onClose(undefined, true) once, nothing partial delivered", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    const frame = message(ascii("0123456789"))
    side.peer.write(greeting(), PUSH_READY, message(ascii("whole")), frame.subarray(0, 6))
    await settle()
    side.peer.connection.destroy()
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([[toHex(ascii("whole"))]])
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(side.tap.thrown).toEqual([])
    expect(side.engine.closed).toBe(true)
  })

  it("ending inside a multipart message: the frames received so far are not delivered", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    const multipart = message(ascii("part 1"), ascii("part 2"), ascii("part 3"))
    side.peer.write(greeting(), PUSH_READY, multipart.subarray(0, 16)) // two whole frames of three
    side.peer.connection.close()
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.messages).toEqual([])
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("ending inside the greeting: onClose(undefined, false)", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL", handshakeInterval: 5000 })
    side.peer.write(greeting().subarray(0, 30))
    side.peer.connection.destroy()
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: false }])
    expect(side.tap.thrown).toEqual([])
  })

  it("a transport error is passed on as the close reason", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    side.peer.write(greeting(), PUSH_READY)
    await settle()
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    side.connection.destroy(reset)
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes).toHaveLength(1)
    expect(side.recorder.closes[0]!.error).toMatchObject({ code: "ECONNRESET", cause: reset })
    expect(side.recorder.closes[0]!.wasReady).toBe(true)
  })
})

describe("a handler that throws", () => {
  it("onMessage throwing closes the connection with EPROTO, the thrown error as cause", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    const boom = new Error("boom")
    side.recorder.accept = () => {
      throw boom
    }
    side.peer.write(greeting(), PUSH_READY, message(ascii("one")), message(ascii("two")))
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.messages).toHaveLength(1)
    expect(side.recorder.closes).toHaveLength(1)
    expect(side.recorder.closes[0]!.error).toMatchObject({ code: "EPROTO", cause: boom })
    expect(side.recorder.closes[0]!.wasReady).toBe(true)
    expect(side.tap.thrown).toEqual([])
  })
})
