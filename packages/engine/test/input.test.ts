/**
 * The input path: backpressure (`onMessage` returning false pauses the connection until
 * `resumeInput()`), zero-copy frames (views of the transport's chunks), and `maxMessageSize`.
 */
import { ZmtpErrorCode } from "@zl/codec"
import { describe, expect, it } from "vitest"
import type { EngineOptions } from "../src/index.js"
import {
  ascii,
  command,
  concat,
  engineWithRawPeer,
  frame,
  greeting,
  message,
  type PairOptions,
  pattern,
  ready,
  settle,
  toHex,
  waitFor,
} from "./helpers.js"

/** A PULL engine that completed its handshake with a raw PUSH peer. */
async function pullEngine(options: Partial<EngineOptions> = {}, transport: PairOptions = {}) {
  const side = await engineWithRawPeer({ socketType: "PULL", ...options }, transport)
  side.peer.write(greeting(), ready({ "Socket-Type": "PUSH" }))
  await settle()
  expect(side.engine.ready).toBe(true)
  return side
}

const numbered = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => [ascii(`message ${from + i}`)])

const hexes = (messages: readonly (readonly Uint8Array[])[]) => messages.map((m) => m.map(toHex))

describe("input backpressure", () => {
  it("pauses when onMessage returns false in the middle of a chunk, and resumes in order", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => index !== 2
    const messages = numbered(10)
    side.peer.write(concat(messages.map((m) => message(...m)))) // one chunk, ten messages
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages.slice(0, 3)))
    expect(side.tap.pauses).toBe(1)
    expect(side.tap.resumes).toBe(0)

    // Data sent meanwhile stays with the transport.
    side.peer.write(message(ascii("late")))
    await settle()
    expect(side.recorder.messages).toHaveLength(3)

    side.engine.resumeInput()
    // The held rest of the chunk is delivered at once, within resumeInput().
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages))
    expect(side.tap.resumes).toBe(1)
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes([...messages, [ascii("late")]]))
    expect(side.recorder.closes).toEqual([])
  })

  it("a clean end of the peer while input is held loses nothing: the close waits for it", async () => {
    const side = await pullEngine()
    // A stream socket that had already handed over its data reports the end even while paused.
    side.connection.pause = () => {}
    side.recorder.accept = (_, index) => index !== 2
    const messages = numbered(10)
    side.peer.write(concat(messages.map((m) => message(...m)))) // one chunk, ten messages
    side.peer.connection.close()
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages.slice(0, 3)))
    expect(side.recorder.closes).toEqual([])
    side.engine.resumeInput()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages))
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("destroy() during a held clean end reports the close at once", async () => {
    const side = await pullEngine()
    side.connection.pause = () => {}
    side.recorder.accept = (_, index) => index !== 0
    side.peer.write(concat(numbered(3).map((m) => message(...m))))
    side.peer.connection.close()
    await settle()
    expect(side.recorder.closes).toEqual([])
    side.engine.destroy()
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(side.recorder.messages).toHaveLength(1)
  })

  it("pauses when the message refused is the last one of its chunk", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => index !== 2
    const messages = numbered(6)
    for (const m of messages) side.peer.write(message(...m)) // one chunk each
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages.slice(0, 3)))
    expect(side.tap.pauses).toBe(1)

    side.engine.resumeInput()
    expect(side.tap.resumes).toBe(1)
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages))
  })

  it("pauses again while delivering the held input", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => index !== 2 && index !== 5
    const messages = numbered(10)
    side.peer.write(concat(messages.map((m) => message(...m))))
    await settle()
    expect(side.recorder.messages).toHaveLength(3)
    side.engine.resumeInput()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages.slice(0, 6)))
    // Still paused: the transport was not resumed.
    expect(side.tap.resumes).toBe(0)
    expect(side.tap.pauses).toBe(2)
    await settle()
    expect(side.recorder.messages).toHaveLength(6)
    side.engine.resumeInput()
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages))
    expect(side.tap.resumes).toBe(1)
  })

  it("keeps the order when messages span chunks (split every 5 octets)", async () => {
    const side = await pullEngine({}, { split: 5 })
    const messages = [...numbered(4), [pattern(40, 1), pattern(3, 2)], ...numbered(4, 4)]
    const refuse = new Set([1, 4, 6])
    side.recorder.accept = (_, index) => !refuse.has(index)
    side.peer.write(concat(messages.map((m) => message(...m))))
    const seen: number[] = []
    for (let round = 0; round < 10 && side.recorder.messages.length < messages.length; round++) {
      await settle()
      seen.push(side.recorder.messages.length)
      side.engine.resumeInput()
    }
    // Every refusal stopped delivery right after the refused message.
    expect(seen.slice(0, 3)).toEqual([2, 5, 7])
    expect(hexes(side.recorder.messages)).toEqual(hexes(messages))
  })

  it("applies to subscriptions (SUBSCRIBE commands) too", async () => {
    const side = await engineWithRawPeer({ socketType: "XPUB" })
    side.recorder.accept = (_, index) => index !== 0
    side.peer.write(
      greeting(),
      ready({ "Socket-Type": "SUB" }),
      command("SUBSCRIBE", ascii("a")),
      command("SUBSCRIBE", ascii("b")),
    )
    await settle()
    expect(hexes(side.recorder.messages)).toEqual([["0161"]])
    expect(side.tap.pauses).toBe(1)
    side.engine.resumeInput()
    await settle()
    expect(hexes(side.recorder.messages)).toEqual([["0161"], ["0162"]])
  })

  it("resumeInput() without a pause does nothing", async () => {
    const side = await pullEngine()
    side.engine.resumeInput()
    expect(side.tap.resumes).toBe(0)
    expect(side.tap.pauses).toBe(0)
  })

  it("the peer's end waits behind the paused input", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => index !== 0
    side.peer.write(message(ascii("one")), message(ascii("two")))
    side.peer.connection.close()
    await settle()
    expect(side.recorder.messages).toHaveLength(1)
    expect(side.recorder.closes).toEqual([])
    side.engine.resumeInput()
    await waitFor(() => side.recorder.closes.length > 0)
    expect(hexes(side.recorder.messages)).toEqual([[toHex(ascii("one"))], [toHex(ascii("two"))]])
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("destroy() inside onMessage stops delivery of the rest of the chunk", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => {
      if (index === 1) side.engine.destroy()
      return true
    }
    side.peer.write(concat(numbered(5).map((m) => message(...m))))
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(hexes(side.recorder.messages)).toEqual(hexes(numbered(2)))
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(side.tap.thrown).toEqual([])
  })

  it("close() inside onMessage stops delivery of the rest of the chunk", async () => {
    const side = await pullEngine()
    side.recorder.accept = (_, index) => {
      if (index === 1) side.engine.close()
      return true
    }
    side.peer.write(concat(numbered(5).map((m) => message(...m))))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(hexes(side.recorder.messages)).toEqual(hexes(numbered(2)))
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("destroy() inside onReady delivers no message of the same chunk", async () => {
    const side = await engineWithRawPeer({ socketType: "PAIR" })
    side.recorder.onReady = () => side.engine.destroy()
    // One chunk: greeting, READY and two messages.
    side.peer.write(
      concat([greeting(), ready({ "Socket-Type": "PAIR" }), message(ascii("x")), message(ascii("y"))]),
    )
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.messages).toEqual([])
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })
})

describe("zero-copy input", () => {
  it("frames lying within a chunk are views of that chunk", async () => {
    const side = await pullEngine()
    const chunk = concat([
      message(ascii("abc")),
      message(ascii("de"), pattern(300, 1)),
      message(new Uint8Array(0)),
    ])
    side.peer.write(chunk)
    await settle()
    // The memory transport passes the chunk on by reference.
    expect(side.tap.received.at(-1)).toBe(chunk)
    const frames = side.recorder.messages.flat()
    expect(frames.map((f) => f.length)).toEqual([3, 2, 300, 0])
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer)
    expect(frames.map((f) => f.byteOffset - chunk.byteOffset)).toEqual([2, 7, 18, 320])
    expect(toHex(frames[2]!)).toBe(toHex(pattern(300, 1)))
  })

  it("a frame whose body spans chunks is reassembled into a copy", async () => {
    const side = await pullEngine()
    const whole = message(pattern(100, 3))
    const first = whole.slice(0, 40)
    const second = whole.slice(40)
    side.peer.write(first)
    await settle()
    expect(side.recorder.messages).toEqual([])
    side.peer.write(second)
    await settle()
    const body = side.recorder.messages[0]![0]!
    expect(body.buffer).not.toBe(first.buffer)
    expect(body.buffer).not.toBe(second.buffer)
    expect(toHex(body)).toBe(toHex(pattern(100, 3)))
  })

  it("a frame whose header spans chunks but whose body lies in one is still a view", async () => {
    const side = await pullEngine()
    const whole = message(pattern(20, 4)) // 00 14 body
    const first = whole.slice(0, 1)
    const second = whole.slice(1)
    side.peer.write(first)
    await settle()
    side.peer.write(second)
    await settle()
    const body = side.recorder.messages[0]![0]!
    expect(body.buffer).toBe(second.buffer)
    expect(body.byteOffset).toBe(second.byteOffset + 1)
    expect(toHex(body)).toBe(toHex(pattern(20, 4)))
  })
})

describe("maxMessageSize", () => {
  it("applies per frame: frames up to the limit pass, a larger one closes with ZMTP_ERR_FRAME_TOO_LARGE", async () => {
    const side = await pullEngine({ maxMessageSize: 100 })
    side.peer.write(message(pattern(100, 1)), message(pattern(34, 2), pattern(34, 3)))
    await settle()
    expect(side.recorder.messages.map((m) => m.map((f) => f.length))).toEqual([[100], [34, 34]])
    side.peer.write(message(pattern(101, 4)), message(ascii("after")))
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.closes).toHaveLength(1)
    expect(side.recorder.closes[0]!.error?.code).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
    expect(side.recorder.closes[0]!.wasReady).toBe(true)
    expect(side.recorder.messages).toHaveLength(2)
    expect(side.tap.thrown).toEqual([])
  })

  it("applies to a whole multipart message, each part but the last counting 32 octets more", async () => {
    const side = await pullEngine({ maxMessageSize: 200 })
    // 80 + 32 + 80 = 192 fits; 100 + 32 + 69 = 201 does not, although each part does.
    side.peer.write(message(pattern(80, 1), pattern(80, 2)))
    await settle()
    side.peer.write(message(pattern(100, 3), pattern(69, 4)), message(ascii("after")))
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.messages.map((m) => m.map((f) => f.length))).toEqual([[80, 80]])
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: ZmtpErrorCode.MESSAGE_TOO_LARGE }), wasReady: true },
    ])
    expect(side.tap.thrown).toEqual([])
  })

  it("rejects a frame on its header, before its body arrives", async () => {
    const side = await pullEngine({ maxMessageSize: 1000 })
    side.peer.write(frame(0x00, new Uint8Array(1001)).subarray(0, 9)) // LONG header only
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
  })

  it("applies to command frames", async () => {
    const side = await pullEngine({ maxMessageSize: 30 }) // the peer's READY is 26 octets
    side.peer.write(command("PING", new Uint8Array(30))) // 35 octets
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
  })
})
