/**
 * Greeting and NULL handshake (RFC 37 "Version Negotiation", "NULL Security Mechanism"; wire notes
 * §1.1, §1.3, §1.4, §1.6): two engines over a memory pair, and an engine against a raw scripted peer.
 */
import { describe, expect, it } from "vitest"
import { EngineErrorCode, type SocketType } from "../src/index.js"
import {
  ascii,
  command,
  connectedEngines,
  engineOn,
  engineWithRawPeer,
  fromHex,
  greeting,
  hex,
  memoryPair,
  message,
  ready,
  settle,
  toHex,
  waitFor,
} from "./helpers.js"

const ALL: readonly SocketType[] = [
  "PAIR",
  "PUB",
  "SUB",
  "REQ",
  "REP",
  "DEALER",
  "ROUTER",
  "PULL",
  "PUSH",
  "XPUB",
  "XSUB",
]

/** libzmq 4.3.5 `mechanism_t::check_socket_type`, as unordered pairs. */
const COMPATIBLE: readonly (readonly [SocketType, SocketType])[] = [
  ["PAIR", "PAIR"],
  ["PUB", "SUB"],
  ["PUB", "XSUB"],
  ["XPUB", "SUB"],
  ["XPUB", "XSUB"],
  ["REQ", "REP"],
  ["REQ", "ROUTER"],
  ["REP", "DEALER"],
  ["DEALER", "DEALER"],
  ["DEALER", "ROUTER"],
  ["ROUTER", "ROUTER"],
  ["PUSH", "PULL"],
]

function compatible(a: SocketType, b: SocketType): boolean {
  return COMPATIBLE.some(([x, y]) => (x === a && y === b) || (x === b && y === a))
}

const ORDERED_COMPATIBLE = ALL.flatMap((a) => ALL.filter((b) => compatible(a, b)).map((b) => [a, b] as const))
const SENDS_IDENTITY: readonly SocketType[] = ["REQ", "DEALER", "ROUTER"]

/** Our greeting, byte for byte: signature with libzmq's padding, 3.1, NULL, as-server 0, filler. */
const OUR_GREETING = `ff 0000000000000001 7f 03 01 4e554c4c${"00".repeat(16)} 00 ${"00".repeat(31)}`

describe("handshake between two engines", () => {
  it("reports the peer's socket type, routing id, metadata and ZMTP 3.1", async () => {
    const { left, right } = await connectedEngines(
      { socketType: "DEALER", routingId: ascii("left-id"), metadata: { "X-App": "demo" } },
      { socketType: "ROUTER", routingId: ascii("right-id") },
    )
    const seenByLeft = left.recorder.peer!
    const seenByRight = right.recorder.peer!
    expect(seenByLeft.socketType).toBe("ROUTER")
    expect(toHex(seenByLeft.routingId)).toBe(toHex(ascii("right-id")))
    expect(seenByLeft.zmtpMinor).toBe(1)
    expect(seenByRight.socketType).toBe("DEALER")
    expect(toHex(seenByRight.routingId)).toBe(toHex(ascii("left-id")))
    expect(seenByRight.zmtpMinor).toBe(1)
    expect([...seenByRight.metadata.keys()]).toEqual(["Socket-Type", "Identity", "X-App"])
    expect(toHex(seenByRight.metadata.get("X-App")!)).toBe(toHex(ascii("demo")))
    // Exactly one onReady each, nothing else yet.
    expect(left.recorder.events.map((e) => e.type)).toEqual(["ready"])
    expect(right.recorder.events.map((e) => e.type)).toEqual(["ready"])
    expect(left.engine.ready).toBe(true)
    expect(left.engine.backlog).toBe(0)
  })

  it.each(ORDERED_COMPATIBLE)("%s with %s completes on both sides", async (a, b) => {
    const { left, right } = await connectedEngines(
      { socketType: a, routingId: ascii(`id-${a}`) },
      { socketType: b, routingId: ascii(`id-${b}`) },
    )
    expect(left.recorder.peer!.socketType).toBe(b)
    expect(right.recorder.peer!.socketType).toBe(a)
    // Identity travels only from REQ, DEALER and ROUTER; otherwise the peer sees an empty routing id.
    expect(toHex(left.recorder.peer!.routingId)).toBe(
      SENDS_IDENTITY.includes(b) ? toHex(ascii(`id-${b}`)) : "",
    )
    expect(toHex(right.recorder.peer!.routingId)).toBe(
      SENDS_IDENTITY.includes(a) ? toHex(ascii(`id-${a}`)) : "",
    )
    expect(left.recorder.peer!.metadata.has("Identity")).toBe(SENDS_IDENTITY.includes(b))
    expect(left.recorder.closes).toEqual([])
    expect(right.recorder.closes).toEqual([])
  })

  it("an Identity is sent, empty, by REQ, DEALER and ROUTER without a routing id", async () => {
    const { left, right } = await connectedEngines({ socketType: "REQ" }, { socketType: "ROUTER" })
    expect(right.recorder.peer!.metadata.has("Identity")).toBe(true)
    expect(right.recorder.peer!.routingId.length).toBe(0)
    expect(left.recorder.peer!.metadata.has("Identity")).toBe(true)
  })

  async function incompatible(a: SocketType, b: SocketType) {
    const pair = await memoryPair()
    const left = engineOn(pair.left, { socketType: a })
    const right = engineOn(pair.right, { socketType: b })
    left.engine.start()
    right.engine.start()
    await waitFor(() => left.recorder.closes.length > 0 && right.recorder.closes.length > 0)
    await settle()
    return { left, right }
  }

  it.each([
    ["PUB", "PUSH"],
    ["REQ", "REQ"],
  ] as const)("%s with %s fails on both sides with ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE", async (a, b) => {
    const { left, right } = await incompatible(a, b)
    for (const side of [left, right]) {
      expect(side.recorder.closes).toHaveLength(1)
      expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE)
      expect(side.recorder.closes[0]!.wasReady).toBe(false)
      expect(side.recorder.events.some((e) => e.type === "ready")).toBe(false)
      expect(side.engine.closed).toBe(true)
      expect(side.tap.thrown).toEqual([])
    }
  })

  it("every incompatible ordered pair of the table fails on both sides", async () => {
    let pairs = 0
    for (const a of ALL) {
      for (const b of ALL) {
        if (compatible(a, b)) continue
        const { left, right } = await incompatible(a, b)
        const codes = [left, right].map((s) => s.recorder.closes.map((c) => [c.error?.code, c.wasReady]))
        expect(codes, `${a} with ${b}`).toEqual([
          [[EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE, false]],
          [[EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE, false]],
        ])
        pairs++
      }
    }
    expect(pairs).toBe(121 - ORDERED_COMPATIBLE.length)
  })
})

describe("handshake against a raw peer", () => {
  it("writes the 64-octet greeting at start, and READY only after the peer's greeting", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER", routingId: ascii("abc") })
    // Written synchronously within start().
    expect(side.tap.writes).toHaveLength(1)
    expect(toHex(side.tap.taken())).toBe(toHex(fromHex(OUR_GREETING)))
    await settle()
    expect(toHex(side.peer.bytes())).toBe(toHex(fromHex(OUR_GREETING)))

    side.peer.write(greeting())
    await settle()
    const READY =
      "04 2c 05 5245414459" + // COMMAND, 44 octets, "READY"
      "0b 536f636b65742d54797065 00000006 4445414c4552" + // Socket-Type = DEALER
      "08 4964656e74697479 00000003 616263" // Identity = abc
    expect(toHex(side.peer.bytes())).toBe(toHex(fromHex(OUR_GREETING + READY)))
    expect(side.engine.ready).toBe(false)

    side.peer.write(ready({ "Socket-Type": "ROUTER", Identity: ascii("xyz") }))
    await settle()
    expect(side.engine.ready).toBe(true)
    expect(side.recorder.peer!.socketType).toBe("ROUTER")
    expect(toHex(side.recorder.peer!.routingId)).toBe(toHex(ascii("xyz")))
    // Nothing more was written: no heartbeat, no subscription.
    expect(toHex(side.peer.bytes())).toBe(toHex(fromHex(OUR_GREETING + READY)))
  })

  it("completes when the peer's greeting and READY arrive one octet at a time", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" }, { split: 1 })
    side.peer.write(greeting(), ready({ "Socket-Type": "PUSH" }), message(ascii("hi")))
    await settle()
    expect(side.recorder.peer!.socketType).toBe("PUSH")
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([[toHex(ascii("hi"))]])
  })

  it("accepts standard property names in any casing (wire notes §1.3: emit exact casing, accept any)", async () => {
    const side = await engineWithRawPeer({ socketType: "ROUTER" })
    side.peer.write(greeting(), ready({ "socket-type": "DEALER", IDENTITY: ascii("peer") }))
    await settle()
    expect(side.recorder.closes).toEqual([])
    expect(side.recorder.peer?.socketType).toBe("DEALER")
    expect(toHex(side.recorder.peer!.routingId)).toBe(toHex(ascii("peer")))
  })

  it("a READY without Socket-Type fails with ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER" })
    side.peer.write(greeting(), ready({ Identity: "x" }))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE }), wasReady: false },
    ])
  })

  it.each(["PLAIN", "CURVE"])(
    "a peer greeting with mechanism %s fails with ZMTP_ERR_MECHANISM_MISMATCH",
    async (mechanism) => {
      const side = await engineWithRawPeer({ socketType: "DEALER" })
      side.peer.write(greeting({ mechanism }))
      await waitFor(() => side.recorder.closes.length > 0)
      await settle()
      expect(side.recorder.closes).toHaveLength(1)
      expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.MECHANISM_MISMATCH)
      expect(side.recorder.closes[0]!.wasReady).toBe(false)
      // No READY went out: only our greeting.
      expect(side.peer.bytes().length).toBe(64)
      expect(side.peer.closes).toEqual([undefined])
    },
  )

  it("a peer that never sends a greeting fails with ZMTP_ERR_HANDSHAKE_TIMEOUT after handshakeInterval", async () => {
    const started = performance.now()
    const side = await engineWithRawPeer({ socketType: "DEALER", handshakeInterval: 50 })
    await waitFor(() => side.recorder.closes.length > 0)
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(45)
    expect(elapsed).toBeLessThan(1000)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.HANDSHAKE_TIMEOUT }), wasReady: false },
    ])
    expect(side.engine.closed).toBe(true)
  })

  it("a peer stalled after its greeting also hits the handshake timeout", async () => {
    const side = await engineWithRawPeer({
      socketType: "DEALER",
      handshakeInterval: 50,
      heartbeatInterval: 10,
    })
    side.peer.write(greeting())
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.HANDSHAKE_TIMEOUT)
    // Heartbeats only start after the handshake (wire notes §1.5): the peer got greeting and READY only.
    expect(side.peer.events().map((e) => ("command" in e ? e.command : "message"))).toEqual(["READY"])
  })

  it("the handshake timer stops once the handshake completes", async () => {
    const { left, right } = await connectedEngines(
      { socketType: "PAIR", handshakeInterval: 30 },
      { socketType: "PAIR", handshakeInterval: 30 },
    )
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(left.recorder.closes).toEqual([])
    expect(right.recorder.closes).toEqual([])
    expect(left.engine.ready).toBe(true)
  })

  it.each([
    ["in its own chunk", false],
    ["in the greeting's chunk", true],
  ])("a message frame before READY (%s) fails with ZMTP_ERR_UNEXPECTED_MESSAGE", async (_, together) => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    if (together) side.peer.write(greeting(), message(ascii("abc")))
    else {
      side.peer.write(greeting())
      await settle()
      side.peer.write(message(ascii("abc")))
    }
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.UNEXPECTED_MESSAGE }), wasReady: false },
    ])
    expect(side.recorder.messages).toEqual([])
  })

  it("an ERROR command during the handshake fails with ZMTP_ERR_PEER_ERROR and its reason", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER" })
    side.peer.write(greeting(), command("ERROR", fromHex("03 343030"))) // reason "400"
    await waitFor(() => side.recorder.closes.length > 0)
    await settle()
    expect(side.recorder.closes).toHaveLength(1)
    const { error, wasReady } = side.recorder.closes[0]!
    expect(error).toMatchObject({ code: EngineErrorCode.PEER_ERROR, reason: "400" })
    expect(wasReady).toBe(false)
  })

  it("an ERROR command after the handshake is ignored, as libzmq ignores it", async () => {
    const side = await engineWithRawPeer({ socketType: "DEALER" })
    side.peer.write(greeting(), ready({ "Socket-Type": "ROUTER" }))
    await settle()
    side.peer.write(command("ERROR", concatReason("Invalid request")), message(ascii("still here")))
    await waitFor(() => side.recorder.messages.length > 0)
    await settle()
    expect(side.recorder.messages).toEqual([[ascii("still here")]])
    expect(side.recorder.closes).toEqual([])
  })

  it.each([
    ["SUBSCRIBE", "SUBSCRIBE", ascii("t")],
    ["PING", "PING", fromHex("0000")],
  ])("a %s command during the handshake fails with ZMTP_ERR_UNEXPECTED_COMMAND", async (_, name, data) => {
    const side = await engineWithRawPeer({ socketType: "PUB" })
    side.peer.write(greeting(), command(name, data))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes[0]!.error?.code).toBe(EngineErrorCode.UNEXPECTED_COMMAND)
    expect(side.recorder.closes[0]!.wasReady).toBe(false)
  })

  it("a second READY fails with ZMTP_ERR_UNEXPECTED_COMMAND", async () => {
    const side = await engineWithRawPeer({ socketType: "PULL" })
    side.peer.write(greeting(), ready({ "Socket-Type": "PUSH" }), ready({ "Socket-Type": "PUSH" }))
    await waitFor(() => side.recorder.closes.length > 0)
    expect(side.recorder.closes).toEqual([
      { error: expect.objectContaining({ code: EngineErrorCode.UNEXPECTED_COMMAND }), wasReady: true },
    ])
  })

  it("send and sendSubscription before the handshake throw EFSM", async () => {
    const side = await engineWithRawPeer({ socketType: "SUB" })
    expect(() => side.engine.send([ascii("x")])).toThrow(expect.objectContaining({ code: "EFSM" }))
    expect(() => side.engine.sendSubscription(ascii("x"), true)).toThrow(
      expect.objectContaining({ code: "EFSM" }),
    )
  })
})

function concatReason(reason: string): Uint8Array {
  const bytes = ascii(reason)
  const out = new Uint8Array(1 + bytes.length)
  out[0] = bytes.length
  out.set(bytes, 1)
  return out
}

describe("subscriptions (wire notes §1.4)", () => {
  const TOPIC = ascii("topic")

  it("a ZMTP 3.0 peer gets subscriptions as \\x01topic / \\x00topic data messages", async () => {
    const side = await engineWithRawPeer({ socketType: "SUB" })
    side.peer.write(greeting({ minor: 0 }), ready({ "Socket-Type": "PUB" }))
    await settle()
    expect(side.recorder.peer!.zmtpMinor).toBe(0)
    const before = side.peer.bytes().length
    side.engine.sendSubscription(TOPIC, true)
    side.engine.sendSubscription(TOPIC, false)
    await settle()
    expect(toHex(side.peer.bytes().subarray(before))).toBe(hex("0006 01746f706963" + "0006 00746f706963"))
  })

  it("a ZMTP 3.1 peer gets SUBSCRIBE and CANCEL commands", async () => {
    const side = await engineWithRawPeer({ socketType: "XSUB" })
    side.peer.write(greeting(), ready({ "Socket-Type": "XPUB" }))
    await settle()
    expect(side.recorder.peer!.zmtpMinor).toBe(1)
    const before = side.peer.bytes().length
    side.engine.sendSubscription(TOPIC, true)
    side.engine.sendSubscription(TOPIC, false)
    side.engine.sendSubscription(new Uint8Array(0), true)
    await settle()
    expect(toHex(side.peer.bytes().subarray(before))).toBe(
      hex(
        "040f 09 535542534352494245 746f706963" + // SUBSCRIBE topic
          "040c 06 43414e43454c 746f706963" + // CANCEL topic
          "040a 09 535542534352494245", // SUBSCRIBE (everything)
      ),
    )
  })

  it("a peer announcing a later minor version is spoken to with commands", async () => {
    const side = await engineWithRawPeer({ socketType: "SUB" })
    side.peer.write(greeting({ minor: 2 }), ready({ "Socket-Type": "PUB" }))
    await settle()
    expect(side.recorder.peer!.zmtpMinor).toBe(2)
    const before = side.peer.bytes().length
    side.engine.sendSubscription(TOPIC, true)
    await settle()
    expect(toHex(side.peer.bytes().subarray(before))).toBe(hex("040f 09 535542534352494245 746f706963"))
  })

  it("SUBSCRIBE and CANCEL commands received arrive as \\x01topic / \\x00topic messages, in order with data", async () => {
    const side = await engineWithRawPeer({ socketType: "XPUB" })
    side.peer.write(
      greeting(),
      ready({ "Socket-Type": "SUB" }),
      command("SUBSCRIBE", TOPIC),
      message(fromHex("01 616263")), // the 3.0 form, passed through as data
      command("CANCEL", TOPIC),
      command("SUBSCRIBE"),
    )
    await settle()
    expect(side.recorder.messages.map((m) => m.map(toHex))).toEqual([
      ["01746f706963"],
      ["01616263"],
      ["00746f706963"],
      ["01"],
    ])
    expect(side.recorder.closes).toEqual([])
  })

  it("subscriptions between two engines: commands on the wire, prefixed messages at the publisher", async () => {
    const { left, right } = await connectedEngines({ socketType: "SUB" }, { socketType: "XPUB" })
    const from = left.tap.writes.length
    left.engine.sendSubscription(TOPIC, true)
    left.engine.sendSubscription(TOPIC, false)
    await settle()
    expect(toHex(left.tap.taken(from))).toBe(
      "040f09535542534352494245746f706963" + "040c0643414e43454c746f706963",
    )
    expect(right.recorder.messages.map((m) => m.map(toHex))).toEqual([["01746f706963"], ["00746f706963"]])
  })
})
