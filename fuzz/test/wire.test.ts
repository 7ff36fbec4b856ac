import { Decoder, GreetingReader, parseCommand, parseMetadata } from "@zl/codec"
import { describe, expect, it } from "vitest"
import { equalBytes, toHex } from "../src/bytes.js"
import { Rng } from "../src/prng.js"
import { modelGreeting } from "../src/targets/greeting.js"
import {
  CommandReader,
  commandFrame,
  frame,
  frameStream,
  greeting,
  hasLargeReadyValue,
  hasLongMultipart,
  hasLongTopic,
  MAX_INPUT,
  metadata,
  type Piece,
  prop,
  randomGreeting,
  SOCKET_PEERS,
  SOCKET_TYPES,
  StreamBuilder,
  scanFrames,
  session,
  type WireEvent,
} from "../src/wire.js"

/** Decodes a stream with the codec, collecting what comes out. */
function decodeAll(bytes: Uint8Array): WireEvent[] {
  const events: WireEvent[] = []
  const d = new Decoder({
    onMessage: (frames) => void events.push({ kind: "message", frames: frames.map((f) => f.slice()) }),
    onCommand: (body) => void events.push({ kind: "command", body: body.slice() }),
  })
  d.write(bytes)
  d.end()
  return events
}

function sameEvents(a: readonly WireEvent[], b: readonly WireEvent[]): boolean {
  return (
    a.length === b.length &&
    a.every((e, i) => {
      const f = b[i]!
      if (e.kind === "command") return f.kind === "command" && equalBytes(e.body, f.body)
      return (
        f.kind === "message" &&
        e.frames.length === f.frames.length &&
        e.frames.every((x, j) => equalBytes(x, f.frames[j]!))
      )
    })
  )
}

describe("encoders built from RFC 37", () => {
  it("a greeting has the signature, version, mechanism and as-server octets in place", () => {
    const g = greeting({ major: 3, minor: 1, mechanism: "NULL", asServer: 0 }).bytes
    expect(toHex(g)).toBe(
      `ff00000000000000017f0301${toHex(new TextEncoder().encode("NULL"))}${"00".repeat(48)}`,
    )
    const plain = greeting({ major: 3, minor: 0, mechanism: "PLAIN", asServer: 1 }).bytes
    expect(plain[11]).toBe(0)
    expect(plain[32]).toBe(1)
  })

  it("frames switch to the 8-octet size above 255 octets, or when asked", () => {
    expect(toHex(frame(0x01, new Uint8Array(255)).bytes.subarray(0, 2))).toBe("01ff")
    expect(toHex(frame(0x00, new Uint8Array(256)).bytes.subarray(0, 9))).toBe("020000000000000100")
    expect(toHex(frame(0x04, new Uint8Array([7]), true).bytes)).toBe("06000000000000000107")
    const f = frame(0x01, new Uint8Array(300))
    expect(f.fields).toEqual([
      { offset: 0, width: 1, kind: "flags" },
      { offset: 1, width: 8, kind: "frame-size" },
    ])
  })

  it("a READY command carries metadata the codec parses back", () => {
    const piece = commandFrame("READY", metadata([prop("Socket-Type", "ROUTER"), prop("Identity", "")]))
    const body = piece.bytes.subarray(2)
    const { name, data } = parseCommand(body)
    expect(name).toBe("READY")
    const m = parseMetadata(data)
    expect([...m.keys()]).toEqual(["Socket-Type", "Identity"])
    expect(new TextDecoder().decode(m.get("Socket-Type"))).toBe("ROUTER")
    // Every field offset points at the octet it names.
    const sizes = piece.fields.filter((f) => f.kind === "value-size")
    expect(sizes.map((f) => piece.bytes[f.offset + 3])).toEqual([6, 0])
  })

  it("the stream builder moves field offsets with the pieces", () => {
    const s = new StreamBuilder()
      .push(frame(0, new Uint8Array(3)))
      .push(frame(1, new Uint8Array(2)))
      .build()
    expect(s.fields.map((f) => f.offset)).toEqual([0, 1, 5, 6])
    expect(toHex(s.bytes)).toBe("000300000001020000")
  })
})

describe("generated streams are what the codec reads", () => {
  it("frame streams decode to exactly the events they were built from", () => {
    const rng = new Rng(1)
    let open = 0
    for (let i = 0; i < 500; i++) {
      const s = frameStream(rng, 1 + rng.size(8192))
      expect(s.bytes.length).toBeLessThanOrEqual(MAX_INPUT)
      if (!s.open) {
        expect(sameEvents(decodeAll(s.bytes), s.events)).toBe(true)
        continue
      }
      // A stream left inside a multipart message: thousands of parts, nothing delivered.
      open++
      expect(s.events).toEqual([])
      expect(hasLongMultipart(s.bytes, 0, 999)).toBe(true)
      expect(() => decodeAll(s.bytes)).toThrow(expect.objectContaining({ code: "ZMTP_ERR_TRUNCATED_FRAME" }))
    }
    expect(open).toBeGreaterThan(0)
  })

  it("greetings parse as RFC 37 says, per the model and per the codec", () => {
    const rng = new Rng(2)
    for (let i = 0; i < 300; i++) {
      const spec = randomGreeting(rng)
      const g = greeting(spec).bytes
      const model = modelGreeting(g)
      const reader = new GreetingReader()
      reader.feed(g)
      expect(model.kind).toBe("complete")
      expect(reader.greeting.mechanism).toBe(spec.mechanism)
      expect(model).toEqual({ kind: "complete", ...reader.greeting })
    }
  })

  it("sessions open with a NULL greeting and a READY whose Socket-Type the local side accepts", () => {
    const rng = new Rng(3)
    for (let i = 0; i < 200; i++) {
      const local = rng.pick(SOCKET_TYPES)
      const s = session(rng, { localType: local, budget: 64 + 16 + rng.size(4096) })
      const g = modelGreeting(s.bytes)
      expect(g.kind === "complete" && g.mechanism === "NULL").toBe(true)
      const events = decodeAll(s.bytes.subarray(64))
      const first = events[0]!
      expect(first.kind).toBe("command")
      const { name, data } = parseCommand((first as { body: Uint8Array }).body)
      expect(name).toBe("READY")
      const props = parseMetadata(data)
      const type = [...props].find(([k]) => k.toLowerCase() === "socket-type")?.[1]
      expect(SOCKET_PEERS[local] as readonly string[]).toContain(new TextDecoder().decode(type))
    }
  })
})

describe("input classes", () => {
  const g = greeting({ major: 3, minor: 1, mechanism: "NULL", asServer: 0 })

  function stream(...pieces: Piece[]): Uint8Array {
    const b = new StreamBuilder().push(g)
    for (const p of pieces) b.push(p)
    return b.build().bytes
  }

  it("scanFrames reads whole frames and stops at one that runs past the end", () => {
    const s = stream(frame(0, new Uint8Array([1])), frame(4, new Uint8Array(300)))
    expect(scanFrames(s, 64).map((f) => [f.flags, f.body.length])).toEqual([
      [0, 1],
      [6, 300],
    ])
    expect(scanFrames(s.subarray(0, s.length - 1), 64).length).toBe(1)
  })

  it("CommandReader finds the commands of a stream in any chunking, skipping message bodies", () => {
    const s = stream(
      frame(0, new Uint8Array(300)),
      commandFrame("PONG", new Uint8Array([1, 2])),
      frame(1, new Uint8Array(5)),
      commandFrame("PING", new Uint8Array(400)),
      frame(4, new Uint8Array(0)),
    )
    const want = scanFrames(s, 64)
      .filter((f) => (f.flags & 4) !== 0)
      .map((f) => toHex(f.body))
    for (const step of [1, 2, 9, 64, 1000, s.length]) {
      const r = new CommandReader()
      for (let at = 0; at < s.length; at += step) r.push(s.subarray(at, at + step))
      expect(r.commands.map(toHex)).toEqual(want)
    }
    expect(want).toHaveLength(3)
  })

  it("hasLongTopic adds up subscription topics, in commands and in the 3.0 message form", () => {
    const sub = (n: number) => commandFrame("SUBSCRIBE", new Uint8Array(n))
    expect(hasLongTopic(stream(sub(1000)), 1024)).toBe(false)
    expect(hasLongTopic(stream(sub(1025)), 1024)).toBe(true)
    expect(hasLongTopic(stream(sub(600), commandFrame("CANCEL", new Uint8Array(600))), 1024)).toBe(true)
    const msg = new Uint8Array(1100)
    msg[0] = 1
    expect(hasLongTopic(stream(frame(0, msg)), 1024)).toBe(true)
    msg[0] = 2
    expect(hasLongTopic(stream(frame(0, msg)), 1024)).toBe(false)
  })

  it("hasLargeReadyValue finds a READY property over the limit", () => {
    const ready = (n: number) =>
      commandFrame("READY", metadata([prop("X-A", "x"), prop("X-B", new Uint8Array(n))]))
    expect(hasLargeReadyValue(stream(ready(1024)), 1024)).toBe(false)
    expect(hasLargeReadyValue(stream(ready(1025)), 1024)).toBe(true)
    expect(hasLargeReadyValue(stream(frame(0, new Uint8Array(5000))), 1024)).toBe(false)
  })

  it("hasLongMultipart counts MORE frames in a row", () => {
    const parts = (n: number) => Array.from({ length: n }, () => frame(1, new Uint8Array(0)))
    expect(hasLongMultipart(stream(...parts(1000), frame(0, new Uint8Array(0))), 64, 1000)).toBe(false)
    expect(hasLongMultipart(stream(...parts(1001)), 64, 1000)).toBe(true)
  })
})
