/**
 * Heartbeats (RFC 37 "Connection Heartbeating", wire notes §1.5): PING with a TTL in deciseconds,
 * the heartbeat timeout, PONG echoing the context, and the peer's TTL. Real timers, short intervals.
 */
import { describe, expect, it } from "vitest"
import { EngineErrorCode, type EngineOptions } from "../src/index.js"
import {
  ascii,
  command,
  engineWithRawPeer,
  fromHex,
  greeting,
  hex,
  message,
  pattern,
  ready,
  settle,
  toHex,
  waitFor,
} from "./helpers.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A DEALER engine that completed its handshake with a raw ROUTER peer. `startedAt` is taken before
 * the engine exists, so a duration measured from it never undercounts the engine's own timers.
 */
async function dealer(options: Partial<EngineOptions> = {}) {
  const startedAt = performance.now()
  const side = await engineWithRawPeer({ socketType: "DEALER", ...options })
  side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
  await waitFor(() => side.engine.ready)
  return { ...side, startedAt }
}

/** The commands the engine sent after its READY, as `name data-hex`. */
function commandsAfterReady(side: Awaited<ReturnType<typeof dealer>>): string[] {
  return side.peer
    .events()
    .slice(1)
    .map((e) => ("command" in e ? `${e.command} ${e.data}` : `message ${e.message.join(",")}`))
}

describe("our heartbeats", () => {
  it("sends PING every heartbeatInterval with the TTL in deciseconds (2500 ms -> 25)", async () => {
    const side = await dealer({ heartbeatInterval: 20, heartbeatTimeToLive: 2500, heartbeatTimeout: 5000 })
    const afterReady = side.peer.bytes().length
    await waitFor(() => commandsAfterReady(side).length >= 3)
    // Byte for byte: COMMAND, 7 octets, "PING", TTL 0x0019, no context.
    const pings = toHex(side.peer.bytes().subarray(afterReady))
    const one = hex("04 07 04 50494e47 0019")
    expect(pings.length % one.length).toBe(0)
    expect(pings).toBe(one.repeat(pings.length / one.length))
    // PINGs are not messages: no backlog, no onWritable.
    expect(side.engine.backlog).toBe(0)
    expect(side.recorder.writables).toBe(0)
    side.engine.destroy()
  })

  it.each([
    [undefined, "0000"],
    [99, "0000"],
    [2599, "0019"],
    [6_553_500, "ffff"],
    [10_000_000, "ffff"],
  ])("heartbeatTimeToLive %s ms is announced as TTL %s", async (ttl, octets) => {
    const side = await dealer({
      heartbeatInterval: 10,
      heartbeatTimeout: 5000,
      ...(ttl !== undefined ? { heartbeatTimeToLive: ttl } : {}),
    })
    await waitFor(() => commandsAfterReady(side).length >= 1)
    expect(commandsAfterReady(side)[0]).toBe(`PING ${octets}`)
    side.engine.destroy()
  })

  it("a peer that answers nothing fails with ZMTP_ERR_HEARTBEAT_TIMEOUT after heartbeatTimeout", async () => {
    const side = await dealer({ heartbeatInterval: 20, heartbeatTimeout: 60 })
    await waitFor(() => side.recorder.closes.length > 0)
    const elapsed = performance.now() - side.startedAt
    // First PING at 20 ms, then 60 ms without traffic.
    expect(elapsed).toBeGreaterThanOrEqual(70)
    expect(elapsed).toBeLessThan(1000)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.HEARTBEAT_TIMEOUT }), wasReady: true },
    ])
    expect(commandsAfterReady(side)[0]).toBe("PING 0000")
    expect(side.tap.thrown).toEqual([])
  })

  it("heartbeatTimeout defaults to heartbeatInterval", async () => {
    const side = await dealer({ heartbeatInterval: 30 })
    await waitFor(() => side.recorder.closes.length > 0)
    const elapsed = performance.now() - side.startedAt
    expect(elapsed).toBeGreaterThanOrEqual(55)
    expect(elapsed).toBeLessThan(1000)
    expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.HEARTBEAT_TIMEOUT)
  })

  it("a peer that answers PONG keeps the connection", async () => {
    const side = await dealer({ heartbeatInterval: 20, heartbeatTimeout: 40 })
    let pongs = 0
    side.peer.onCommand = (name, data) => {
      if (name !== "PING" || side.peer.closes.length > 0) return
      side.peer.write(command("PONG", data.subarray(2)))
      pongs++
    }
    await sleep(200)
    expect(side.recorder.closes).toEqual([])
    expect(side.engine.ready).toBe(true)
    expect(pongs).toBeGreaterThanOrEqual(4)
    side.engine.destroy()
  })

  it("any inbound traffic (a data message) also keeps the connection", async () => {
    const side = await dealer({ heartbeatInterval: 20, heartbeatTimeout: 40 })
    side.peer.onCommand = (name) => {
      if (name === "PING" && side.peer.closes.length === 0) side.peer.write(message(ascii("alive")))
    }
    await sleep(200)
    expect(side.recorder.closes).toEqual([])
    expect(side.recorder.messages.length).toBeGreaterThanOrEqual(4)
    side.engine.destroy()
  })

  it("no heartbeats at all by default", async () => {
    const side = await dealer()
    await sleep(60)
    expect(commandsAfterReady(side)).toEqual([])
    expect(side.recorder.closes).toEqual([])
    side.engine.destroy()
  })

  it("heartbeats stop once the engine closes", async () => {
    const side = await dealer({ heartbeatInterval: 10, heartbeatTimeout: 5000 })
    await waitFor(() => commandsAfterReady(side).length >= 1)
    side.engine.destroy()
    await waitFor(() => side.recorder.closes.length > 0)
    const sent = side.peer.bytes().length
    await sleep(50)
    expect(side.peer.bytes().length).toBe(sent)
    expect(side.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })
})

describe("the peer's heartbeats", () => {
  it.each([
    ["no context", "", ""],
    ["a 5-octet context", toHex(pattern(5, 1)), toHex(pattern(5, 1))],
    ["a 16-octet context", toHex(pattern(16, 2)), toHex(pattern(16, 2))],
    ["a 20-octet context (first 16 echoed)", toHex(pattern(20, 3)), toHex(pattern(20, 3).subarray(0, 16))],
  ])("a PING with %s gets a PONG echoing it", async (_, context, echoed) => {
    const side = await dealer()
    const before = side.peer.bytes().length
    side.peer.write(command("PING", fromHex(`0000 ${context}`)))
    await settle()
    const length = 1 + 4 + echoed.length / 2
    expect(toHex(side.peer.bytes().subarray(before))).toBe(
      hex(`04 ${length.toString(16).padStart(2, "0")} 04 504f4e47 ${echoed}`),
    )
    expect(side.recorder.messages).toEqual([])
    expect(side.recorder.writables).toBe(0)
    side.engine.destroy()
  })

  it("a PING with a TTL followed by silence fails with ZMTP_ERR_HEARTBEAT_TIMEOUT after the TTL", async () => {
    const side = await dealer()
    const sentAt = performance.now()
    side.peer.write(command("PING", fromHex("0001"))) // TTL 1 decisecond = 100 ms
    await waitFor(() => side.recorder.closes.length > 0)
    const elapsed = performance.now() - sentAt
    expect(elapsed).toBeGreaterThanOrEqual(95)
    expect(elapsed).toBeLessThan(1000)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.HEARTBEAT_TIMEOUT }), wasReady: true },
    ])
  })

  it("traffic within the peer's TTL keeps the connection", async () => {
    const side = await dealer()
    side.peer.write(command("PING", fromHex("0001")))
    for (let i = 0; i < 5; i++) {
      await sleep(50)
      side.peer.write(i % 2 === 0 ? message(ascii(`m${i}`)) : command("PING", fromHex("0001")))
    }
    expect(side.recorder.closes).toEqual([])
    side.engine.destroy()
  })

  it("a PING with TTL 0 arms no timer", async () => {
    const side = await dealer()
    side.peer.write(command("PING", fromHex("0000")))
    await sleep(150)
    expect(side.recorder.closes).toEqual([])
    side.engine.destroy()
  })

  it("a PING without its TTL fails with ZMTP_ERR_MALFORMED_COMMAND_DATA", async () => {
    const side = await dealer()
    side.peer.write(command("PING", fromHex("00")))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe("ZMTP_ERR_MALFORMED_COMMAND_DATA")
    expect(side.recorder.closes[0]!.wasReady).toBe(true)
  })

  it("PONG and unknown commands are ignored", async () => {
    const side = await dealer()
    const before = side.peer.bytes().length
    side.peer.write(
      command("PONG", ascii("ctx")),
      command("X-CUSTOM", ascii("data")),
      message(ascii("after")),
    )
    await settle()
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([[toHex(ascii("after"))]])
    expect(side.peer.bytes().length).toBe(before)
    expect(side.recorder.closes).toEqual([])
    side.engine.destroy()
  })
})
