/**
 * What a hostile peer can make an engine hold: handshake frames, READY metadata, routing ids,
 * heartbeat replies; and the timers that keep running until a closing connection is gone.
 */
import { encodeReady, ZmtpErrorCode } from "@zl/codec"
import { describe, expect, it } from "vitest"
import { DEFAULT_MAX_HANDSHAKE_SIZE, EngineErrorCode, MAX_ROUTING_ID } from "../src/index.js"
import {
  ascii,
  command,
  engineWithRawPeer,
  frame,
  fromHex,
  greeting,
  message,
  ready,
  settle,
  waitFor,
} from "./helpers.js"

/** The octets a DEALER engine writes before any data: its greeting and its READY frame. */
const DEALER_PREAMBLE =
  64 +
  2 +
  encodeReady([
    ["Socket-Type", "DEALER"],
    ["Identity", new Uint8Array(0)],
  ]).length

/** A READY whose properties are `count` copies of `X-N` with an empty value, after Socket-Type. */
function readyWithProperties(count: number): Uint8Array {
  const props: [string, string][] = [["Socket-Type", "ROUTER"]]
  for (let i = 0; i < count; i++) props.push([`X-${i}`, ""])
  return command("READY", encodeReady(props).subarray(6))
}

describe("handshake frames and READY metadata", () => {
  it("a frame larger than the handshake limit is refused on its header, before its body", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER" })
    const huge = frame(0x04, new Uint8Array(DEFAULT_MAX_HANDSHAKE_SIZE + 1)).subarray(0, 9)
    side.peer.write(greeting(), huge)
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: ZmtpErrorCode.FRAME_TOO_LARGE }), wasReady: false },
    ])
  })

  it("a READY up to the limit passes, and after it frames up to maxMessageSize do", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", maxHandshakeSize: 200 })
    side.peer.write(
      greeting(),
      ready({ "Socket-Type": "ROUTER", "X-Pad": "p".repeat(150) }),
      message(new Uint8Array(100_000)),
    )
    await waitFor(() => side.recorder.messages.length > 0)
    expect(side.recorder.messages[0]![0]!.length).toBe(100_000)
    expect(side.recorder.closes).toEqual([])
  })

  it("maxHandshakeSize never raises the limit above maxMessageSize", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", maxMessageSize: 20, maxHandshakeSize: 1000 })
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe(ZmtpErrorCode.FRAME_TOO_LARGE)
  })

  for (const value of ["ROUTER\0", "ROUTE", "router", "ROUTERROUTER", ""]) {
    it(`Socket-Type ${JSON.stringify(value)} is compared octet by octet and refused`, async () => {
      const side = await engineWithRawPeer({ socketType: "DEALER" })
      side.peer.write(greeting(), ready({ "Socket-Type": value }))
      await waitFor(() => side.recorder.closes.length > 0)
      expect(side.recorder.closes).toEqual([
        {
          error: expect.objectContaining({ code: EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE }),
          wasReady: false,
        },
      ])
    })
  }

  it("an unknown Socket-Type of 60 KB is refused without being decoded into the message", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER" })
    side.peer.write(greeting(), ready({ "Socket-Type": "R".repeat(60_000) }))
    await waitFor(() => side.recorder.closes.length > 0)
    const error = side.recorder.closes[0]!.error!
    expect(error.code).toBe(EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE)
    expect(error.message.length).toBeLessThan(200)
  })

  it(`an Identity of ${MAX_ROUTING_ID} octets is the peer's routing id; one more is refused`, async () => {
    const good = await engineWithRawPeer({ socketType: "ROUTER" })
    good.peer.write(greeting(), ready({ "Socket-Type": "DEALER", Identity: "i".repeat(MAX_ROUTING_ID) }))
    await waitFor(() => good.recorder.peer !== undefined)
    expect(good.recorder.peer!.routingId.length).toBe(MAX_ROUTING_ID)

    const bad = await engineWithRawPeer({ socketType: "ROUTER" })
    bad.peer.write(greeting(), ready({ "Socket-Type": "DEALER", Identity: "i".repeat(MAX_ROUTING_ID + 1) }))
    await waitFor(() => bad.recorder.closes.length > 0)
    expect(bad.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.BAD_ROUTING_ID }), wasReady: false },
    ])
  })

  it("a READY with more than 64 properties is refused with ZMTP_ERR_METADATA_LIMIT", async () => {
    const good = await engineWithRawPeer({ socketType: "DEALER" })
    good.peer.write(greeting(), readyWithProperties(63))
    await waitFor(() => good.recorder.peer !== undefined)
    expect(good.recorder.peer!.metadata.size).toBe(64)

    const bad = await engineWithRawPeer({ socketType: "DEALER" })
    bad.peer.write(greeting(), readyWithProperties(64))
    await waitFor(() => bad.recorder.closes.length > 0)
    expect(bad.recorder.closes[0]!.error?.code).toBe(ZmtpErrorCode.METADATA_LIMIT)
  })
})

describe("heartbeats against a peer that does not read", () => {
  /** A DEALER engine, ready, whose transport takes nothing after the handshake. */
  async function saturated(options: { heartbeatInterval?: number } = {}) {
    const side = await engineWithRawPeer(
      { socketType: "DEALER", ...options },
      { leftBudget: DEALER_PREAMBLE },
    )
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    expect(side.connection.budget).toBe(0)
    return side
  }

  it("a flood of PINGs leaves one PONG waiting, and the peer gets exactly one when it reads", async () => {
    const side = await saturated()
    const pings: Uint8Array[] = []
    for (let i = 0; i < 10_000; i++) pings.push(command("PING", fromHex("0000 61")))
    side.peer.write(...pings)
    await settle()
    const pending = (side.engine as unknown as { encoder: { pendingBytes: number } }).encoder.pendingBytes
    // One PONG frame: flags, size, "\x04PONG" and the one-octet context.
    expect(pending).toBe(2 + 5 + 1)
    side.connection.grant(Number.POSITIVE_INFINITY)
    await settle()
    expect(side.peer.events()).toEqual([
      { command: "READY", data: expect.any(String) },
      { command: "PONG", data: "61" },
    ])
    // Once that PONG has left, the next PING is answered again.
    side.peer.write(command("PING", fromHex("0000 62")))
    await settle()
    expect(side.peer.events().slice(2)).toEqual([{ command: "PONG", data: "62" }])
  })

  it("our own PINGs do not pile up while the transport takes nothing", async () => {
    const side = await saturated({ heartbeatInterval: 10 })
    // The timeout (10 ms) fires first; until it does, one PING at most waits.
    await waitFor(() => side.recorder.closes.length > 0)
    const pending = (side.engine as unknown as { encoder: { pendingBytes: number } }).encoder.pendingBytes
    expect(pending).toBeLessThanOrEqual(2 + 7)
  })

  it("a peer that sends but never reads is dropped by the heartbeat timeout", async () => {
    const side = await saturated({ heartbeatInterval: 30 })
    // Straight to the connection: once the engine is gone, a write is refused rather than thrown.
    const sending = setInterval(() => side.peer.connection.writeSome([message(ascii("busy"))]), 5)
    try {
      await waitFor(() => side.recorder.closes.length > 0, 1000)
    } finally {
      clearInterval(sending)
    }
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.HEARTBEAT_TIMEOUT }), wasReady: true },
    ])
    expect(side.recorder.messages.length).toBeGreaterThan(0)
  })

  it("a peer that sends and reads is kept however long it takes", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", heartbeatInterval: 30 })
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    // Straight to the connection: once the engine is gone, a write is refused rather than thrown.
    const sending = setInterval(() => side.peer.connection.writeSome([message(ascii("busy"))]), 5)
    await new Promise((resolve) => setTimeout(resolve, 300))
    clearInterval(sending)
    expect(side.recorder.closes).toEqual([])
    expect(side.peer.events().filter((e) => "command" in e && e.command === "PING").length).toBeGreaterThan(3)
  })
})

describe("close keeps the timers that bound a connection", () => {
  it("a peer stalled in its handshake is dropped by the handshake timeout after close()", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", handshakeInterval: 50 })
    // A graceful close that never completes, as with a peer that never answers our FIN.
    side.tap.close = () => {
      side.tap.closes++
    }
    side.peer.write(greeting())
    await settle()
    side.engine.close()
    expect(side.tap.closes).toBe(1)
    await waitFor(() => side.recorder.closes.length > 0, 1000)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.HANDSHAKE_TIMEOUT }), wasReady: false },
    ])
  })

  it("a closing connection whose peer stopped reading is dropped by the heartbeat timeout", async () => {
    const side = await engineWithRawPeer(
      { socketType: "DEALER", heartbeatInterval: 20 },
      { leftBudget: DEALER_PREAMBLE },
    )
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    side.engine.send([new Uint8Array(1000)])
    side.engine.close()
    await waitFor(() => side.recorder.closes.length > 0, 1000)
    expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.HEARTBEAT_TIMEOUT)
  })
})

describe("close never waits on a peer forever", () => {
  it("a peer that never ends is destroyed closeGrace after our end, as an orderly close", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", closeGrace: 40 })
    side.tap.close = () => {
      side.tap.closes++
    }
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    side.engine.close()
    expect(side.tap.closes).toBe(1)
    expect(side.tap.destroys).toBe(0)
    await waitFor(() => side.recorder.closes.length > 0, 1000)
    expect(side.tap.destroys).toBe(1)
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("our end goes only once the transport flushed what it took, and the grace starts then", async () => {
    const side = await engineWithRawPeer(
      { socketType: "DEALER", closeGrace: 40 },
      { leftBudget: DEALER_PREAMBLE },
    )
    side.tap.close = () => {
      side.tap.closes++
    }
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    side.engine.send([ascii("last words")])
    side.engine.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Still flushing: no end, no destroy, whatever the grace.
    expect(side.tap.closes).toBe(0)
    expect(side.recorder.closes).toEqual([])
    side.connection.grant(Number.POSITIVE_INFINITY)
    await waitFor(() => side.tap.closes === 1)
    expect(side.peer.events().at(-1)).toEqual({ message: ["6c61737420776f726473"] })
    await waitFor(() => side.recorder.closes.length > 0, 1000)
    expect(side.tap.destroys).toBe(1)
  })
})

describe("exceptions from the handler", () => {
  it("an exception from onWritable in the end-of-task flush fails the connection, not the scheduler", async () => {
    const tasks: (() => void)[] = []
    const side = await engineWithRawPeer({ socketType: "DEALER", schedule: (task) => void tasks.push(task) })
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    side.recorder.onWritable = () => {
      throw new Error("handler bug")
    }
    tasks.length = 0
    // The first send of a task is written at once and its onWritable throws inside send(); the
    // second is coalesced and written by the scheduled task.
    expect(() => side.engine.send([ascii("one")])).toThrow("handler bug")
    side.engine.send([ascii("two")])
    expect(tasks).toHaveLength(1)
    expect(() => tasks[0]!()).not.toThrow()
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.message).toContain("handler bug")
  })

  it("an exception from onClose goes to reportError, not into the transport", async () => {
    const reported: unknown[] = []
    const side = await engineWithRawPeer({
      socketType: "DEALER",
      reportError: (error) => reported.push(error),
    })
    const boom = new Error("handler bug")
    side.recorder.onClose = () => {
      throw boom
    }
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await waitFor(() => side.engine.ready)
    side.peer.connection.destroy()
    await waitFor(() => reported.length > 0)
    expect(reported).toEqual([boom])
    expect(side.tap.thrown).toEqual([])
    expect(side.engine.closed).toBe(true)
  })
})
