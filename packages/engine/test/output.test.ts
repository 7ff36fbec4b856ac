/**
 * The speculative-write output path: the first send of a task is written at once, later sends of the
 * same task are coalesced and written by the scheduled callback, a saturated transport makes
 * everything wait for its drain. Deterministic through the memory transport's scripted budget
 * (STYLE rule 22) and an injected `schedule`.
 */
import { encodeReady, ZlError } from "@zl/codec"
import { describe, expect, it } from "vitest"
import type { EngineOptions } from "../src/index.js"
import {
  ascii,
  concat,
  connectedEngines,
  engineOn,
  hex,
  memoryPair,
  message,
  pattern,
  randomInts,
  type Side,
  settle,
  toHex,
  waitFor,
} from "./helpers.js"

/** A PUSH engine whose `schedule` callbacks are captured, to be run by hand. */
function scheduled(): { tasks: (() => void)[]; options: EngineOptions; run: () => number } {
  const tasks: (() => void)[] = []
  return {
    tasks,
    options: { socketType: "PUSH", schedule: (callback) => void tasks.push(callback) },
    run: () => {
      const due = tasks.splice(0)
      for (const task of due) task()
      return due.length
    },
  }
}

/**
 * A PUSH engine (left) with a write budget of 0 and a PULL engine (right), after a handshake granted
 * exactly the greeting and READY: the left budget is 0 again and its last write reported
 * `canWriteMore: false`.
 */
async function budgeted() {
  const s = scheduled()
  const pair = await memoryPair({ leftBudget: 0 })
  const left = engineOn(pair.left, s.options)
  const right = engineOn(pair.right, { socketType: "PULL" })
  left.engine.start()
  right.engine.start()
  expect(left.tap.writes.at(-1)?.result).toEqual({ written: 0, canWriteMore: false })
  pair.left.grant(64 + 2 + encodeReady({ "Socket-Type": "PUSH" }).length)
  await waitFor(() => left.engine.ready && right.engine.ready)
  expect(pair.left.budget).toBe(0)
  // The handshake never goes through the scheduled path.
  expect(s.tasks).toHaveLength(0)
  return { left, right, ...s }
}

/** The messages a peer received, as hex. */
function received(side: Side): string[][] {
  return side.recorder.messages.map((m) => m.map(toHex))
}

/** A mix of sizes: empty, short, the short/long boundary, above the copy threshold, multipart. */
function mixedMessages(): Uint8Array[][] {
  return [
    [new Uint8Array(0)],
    [ascii("a")],
    [pattern(100, 2)],
    [pattern(255, 3)],
    [pattern(256, 4)],
    [pattern(3000, 5)],
    [pattern(8192, 6)],
    [pattern(8193, 7)],
    [ascii("topic"), new Uint8Array(0), pattern(20_000, 8)],
    [pattern(7, 9)],
  ]
}

function wire(messages: readonly (readonly Uint8Array[])[]): Uint8Array {
  return concat(messages.map((m) => message(...m)))
}

describe("idle transport", () => {
  it("writes the first send of a task synchronously, within send()", async () => {
    const { left, right } = await connectedEngines({ socketType: "PUSH" }, { socketType: "PULL" })
    const from = left.tap.writes.length
    expect(left.connection.bufferedAmount).toBe(0)
    left.engine.send([ascii("hello")])
    // Before send returned: one writeSome, the frame taken, and octets in flight on the connection.
    expect(left.tap.writes.length).toBe(from + 1)
    expect(toHex(left.tap.taken(from))).toBe(hex("00 05 68656c6c6f"))
    expect(left.tap.writes[from]!.result).toEqual({ written: 7, canWriteMore: true })
    expect(left.connection.bufferedAmount).toBe(7)
    expect(left.engine.backlog).toBe(0)
    expect(right.recorder.messages).toEqual([])
    // The memory transport delivers in the next microtask.
    await Promise.resolve()
    expect(received(right)).toEqual([[toHex(ascii("hello"))]])
  })

  it("fires onWritable inside send() when the first write takes everything", async () => {
    const { left } = await connectedEngines({ socketType: "PUSH" }, { socketType: "PULL" })
    left.engine.send([ascii("x")])
    expect(left.recorder.events.at(-1)).toEqual({ type: "writable", backlog: 0 })
    expect(left.recorder.writables).toBe(1)
  })

  it("coalesces sends 2..N of a task and writes them in one writeSome when the scheduled callback runs", async () => {
    const s = scheduled()
    // A batch buffer of the size a busy connection's reach (the first ones are smaller: the batch
    // would then span two of them, still in one writeSome).
    const { left, right } = await connectedEngines(
      { ...s.options, encoder: { firstSlabSize: 64 * 1024 } },
      { socketType: "PULL" },
    )
    expect(s.tasks).toHaveLength(0)
    const from = left.tap.writes.length
    const messages = Array.from({ length: 10 }, (_, i) => [pattern(10 + i * 20, i + 1)])

    left.engine.send(messages[0]!)
    expect(left.tap.writes.length).toBe(from + 1)
    expect(s.tasks).toHaveLength(1)
    for (const m of messages.slice(1)) left.engine.send(m)
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.engine.backlog).toBe(9)
    expect(s.tasks).toHaveLength(1) // one callback per task, not per send
    expect(left.recorder.writables).toBe(1) // only the first send's

    // Nothing else writes them: the peer sees only the first message until the callback runs.
    await settle()
    expect(left.tap.writes.length).toBe(from + 1)
    expect(received(right)).toEqual([[toHex(messages[0]![0]!)]])

    expect(s.run()).toBe(1)
    expect(left.tap.writes.length).toBe(from + 2)
    const batch = left.tap.writes[from + 1]!
    // Small messages were encoded into one batch buffer: one chunk, every message in order.
    expect(batch.chunks).toHaveLength(1)
    expect(toHex(batch.chunks[0]!)).toBe(toHex(wire(messages.slice(1))))
    expect(batch.result).toEqual({ written: batch.chunks[0]!.length, canWriteMore: true })
    expect(left.engine.backlog).toBe(0)
    expect(left.recorder.writables).toBe(2)

    // The task ended: the next send is written at once again, and schedules a new callback.
    left.engine.send([ascii("next")])
    expect(left.tap.writes.length).toBe(from + 3)
    expect(s.tasks).toHaveLength(1)
    await settle()
    expect(received(right)).toEqual([...messages, [ascii("next")]].map((m) => m.map(toHex)))
  })

  it("with the default schedule, the coalesced sends leave after the task, in one writeSome", async () => {
    const { left, right } = await connectedEngines({ socketType: "PUSH" }, { socketType: "PULL" })
    const from = left.tap.writes.length
    for (let i = 0; i < 5; i++) left.engine.send([ascii(`m${i}`)])
    expect(left.tap.writes.length).toBe(from + 1)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(left.tap.writes.length).toBe(from + 2)
    expect(toHex(left.tap.taken(from + 1))).toBe(hex("0002 6d31 0002 6d32 0002 6d33 0002 6d34"))
    await settle()
    expect(received(right)).toEqual([0, 1, 2, 3, 4].map((i) => [toHex(ascii(`m${i}`))]))
  })

  it("subscriptions and messages share the path and keep their order", async () => {
    const s = scheduled()
    const { left, right } = await connectedEngines(
      { ...s.options, socketType: "XSUB" },
      { socketType: "XPUB" },
    )
    left.engine.send([ascii("\x01a")])
    left.engine.sendSubscription(ascii("b"), true)
    left.engine.send([ascii("\x00a")])
    expect(left.engine.backlog).toBe(2)
    s.run()
    await settle()
    expect(received(right)).toEqual([["0161"], ["0162"], ["0061"]])
  })
})

describe("saturated transport (scripted budget)", () => {
  it("a send while the transport is saturated waits for onDrain; the scheduled callback does not write", async () => {
    const { left, right, tasks, run } = await budgeted()
    const from = left.tap.writes.length
    left.engine.send([ascii("one")])
    left.engine.send([ascii("two")])
    // The last write reported canWriteMore false: nothing is offered, nothing is scheduled.
    expect(left.tap.writes.length).toBe(from)
    expect(tasks).toHaveLength(0)
    expect(left.engine.backlog).toBe(2)

    left.connection.grant(3)
    // onDrain ran inside grant(): one writeSome took 3 octets of the first frame.
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.tap.writes[from]!.result).toEqual({ written: 3, canWriteMore: false })
    expect(run()).toBe(0)
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.engine.backlog).toBe(2)

    left.connection.grant(Number.POSITIVE_INFINITY)
    expect(left.tap.writes.length).toBe(from + 2)
    expect(toHex(left.tap.taken(from))).toBe(hex("0003 6f6e65 0003 74776f"))
    expect(left.engine.backlog).toBe(0)
    await settle()
    expect(received(right)).toEqual([[toHex(ascii("one"))], [toHex(ascii("two"))]])
  })

  it("a partial write leaves the backlog above 0 and fires no onWritable", async () => {
    const { left, run } = await budgeted()
    left.connection.grant(5) // clears the pending drain: nothing is queued yet
    const from = left.tap.writes.length
    left.engine.send([pattern(10, 1)])
    // Written at once, but only 5 of its 12 octets.
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.tap.writes[from]!.result).toEqual({ written: 5, canWriteMore: false })
    left.engine.send([pattern(10, 2)])
    run()
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.engine.backlog).toBe(2)
    expect(left.recorder.writables).toBe(0)
  })

  it("backlog counts the messages not yet fully taken", async () => {
    const { left } = await budgeted()
    for (let i = 0; i < 4; i++) left.engine.send([pattern(8, i + 1)]) // 10 octets each
    expect(left.engine.backlog).toBe(4)
    left.connection.grant(10)
    expect(left.engine.backlog).toBe(3)
    left.connection.grant(9)
    expect(left.engine.backlog).toBe(3)
    left.connection.grant(1)
    expect(left.engine.backlog).toBe(2)
    left.connection.grant(15)
    expect(left.engine.backlog).toBe(1)
    expect(left.recorder.writables).toBe(0)
    left.connection.grant(5)
    expect(left.engine.backlog).toBe(0)
    expect(left.recorder.writables).toBe(1)
  })

  it("backlog stays exact over a long run of partial writes (thousands of messages)", async () => {
    const { left, right } = await budgeted()
    const messages = Array.from({ length: 3000 }, (_, i) => [ascii(`m${String(i).padStart(7, "0")}`)]) // 10 octets on the wire
    for (const m of messages) left.engine.send(m)
    expect(left.engine.backlog).toBe(3000)
    left.connection.grant(10 * 2000 + 5)
    expect(left.engine.backlog).toBe(1000)
    left.connection.grant(5 + 10 * 499)
    expect(left.engine.backlog).toBe(500)
    left.connection.grant(10 * 499)
    expect(left.engine.backlog).toBe(1)
    expect(left.recorder.writables).toBe(0)
    left.connection.grant(10)
    expect(left.engine.backlog).toBe(0)
    expect(left.recorder.writables).toBe(1)
    await settle()
    expect(received(right)).toEqual(messages.map((m) => m.map(toHex)))
  })

  for (const budget of [1, 7, 64, 1000, "random"] as const) {
    it(`resumes exactly where it stopped, grants of ${budget}`, async () => {
      const { left, right, run } = await budgeted()
      const next = budget === "random" ? randomInts(0x5eed) : () => budget
      const messages = mixedMessages()
      const expected = wire(messages)
      const from = left.tap.writes.length

      left.connection.grant(next(1, 3000))
      for (const m of messages) left.engine.send(m)
      run()
      expect(left.engine.backlog).toBeGreaterThan(0)
      // The first message (an empty frame) may have been taken whole at once, firing one onWritable.
      const writablesBefore = left.recorder.writables
      expect(writablesBefore).toBeLessThanOrEqual(1)

      let grants = 0
      while (left.engine.backlog > 0) {
        // Every partial write ended the batch; onWritable has not fired since. (Plain checks: this
        // loop runs tens of thousands of times with grants of 1.)
        if (left.tap.writes.at(-1)!.result.canWriteMore)
          throw new Error("a write with a backlog left could write more")
        if (left.recorder.writables !== writablesBefore) throw new Error("onWritable fired with a backlog")
        left.connection.grant(next(1, 3000))
        run()
        if (++grants > expected.length) throw new Error("no progress")
      }
      // onWritable exactly once more, when the backlog reached 0, and never with a backlog.
      expect(left.recorder.writables).toBe(writablesBefore + 1)
      expect(left.recorder.events.filter((e) => e.type === "writable" && e.backlog !== 0)).toEqual([])
      // Every octet offered after a partial write started exactly at the first octet not taken.
      expect(left.tap.taken(from).length).toBe(expected.length)
      expect(toHex(left.tap.taken(from))).toBe(toHex(expected))

      await settle()
      expect(received(right)).toEqual(messages.map((m) => m.map(toHex)))
      expect(right.recorder.closes).toEqual([])
    })
  }

  it("onWritable fires once per return of the backlog to 0", async () => {
    const { left } = await budgeted()
    left.engine.send([ascii("a")])
    left.connection.grant(2)
    expect(left.recorder.writables).toBe(0)
    left.connection.grant(1)
    expect(left.recorder.writables).toBe(1)
    // The budget is 0 again and the last write reported canWriteMore false.
    left.engine.send([ascii("b")])
    left.engine.send([ascii("c")])
    left.connection.grant(5)
    expect(left.engine.backlog).toBe(1)
    expect(left.recorder.writables).toBe(1)
    left.connection.grant(1)
    expect(left.engine.backlog).toBe(0)
    expect(left.recorder.writables).toBe(2)
    expect(left.recorder.events.filter((e) => e.type === "writable")).toEqual([
      { type: "writable", backlog: 0 },
      { type: "writable", backlog: 0 },
    ])
  })
})

describe("zero-copy output", () => {
  it("hands a 64 KiB payload to writeSome by reference when written at once", async () => {
    const { left, right } = await connectedEngines({ socketType: "PUSH" }, { socketType: "PULL" })
    const payload = pattern(64 * 1024, 11)
    const from = left.tap.writes.length
    left.engine.send([payload])
    expect(left.tap.writes.length).toBe(from + 1)
    const chunks = left.tap.writes[from]!.chunks
    expect(chunks).toHaveLength(2)
    expect(toHex(chunks[0]!)).toBe(hex("02 0000000000010000")) // LONG header, 65536
    expect(chunks[1]).toBe(payload)
    await settle()
    expect(right.recorder.messages[0]![0]!.length).toBe(payload.length)
    expect(toHex(right.recorder.messages[0]![0]!)).toBe(toHex(payload))
  })

  it("hands a 64 KiB payload by reference when it is coalesced", async () => {
    const s = scheduled()
    const { left } = await connectedEngines(s.options, { socketType: "PULL" })
    const payload = pattern(64 * 1024, 12)
    left.engine.send([ascii("first")])
    const from = left.tap.writes.length
    left.engine.send([ascii("topic"), payload])
    s.run()
    expect(left.tap.writes.length).toBe(from + 1)
    expect(left.tap.writes[from]!.chunks.some((chunk) => chunk === payload)).toBe(true)
  })

  it("after a partial write, the rest of a large payload is offered as a view of it, not a copy", async () => {
    const { left, right } = await budgeted()
    left.connection.grant(1000)
    const payload = pattern(64 * 1024, 13)
    const from = left.tap.writes.length
    left.engine.send([payload])
    expect(left.tap.writes[from]!.chunks[1]).toBe(payload)
    expect(left.tap.writes[from]!.result.written).toBe(1000)
    left.connection.grant(1000)
    const rest = left.tap.writes[from + 1]!.chunks
    expect(rest).toHaveLength(1)
    expect(rest[0]!.buffer).toBe(payload.buffer)
    expect(rest[0]!.byteOffset).toBe(payload.byteOffset + 1000 - 9)
    left.connection.grant(Number.POSITIVE_INFINITY)
    await settle()
    expect(toHex(right.recorder.messages[0]![0]!)).toBe(toHex(payload))
  })
})

describe("close and destroy", () => {
  it("close() with pending output flushes everything before the peer sees the end", async () => {
    const { left, right } = await budgeted()
    const messages = Array.from({ length: 5 }, (_, i) => [pattern(30, i + 1)])
    for (const m of messages) left.engine.send(m)
    left.engine.close()
    expect(left.tap.closes).toBe(0)
    await settle()
    expect(right.recorder.messages).toEqual([])
    expect(right.recorder.closes).toEqual([])

    for (let i = 0; i < 20 && left.tap.closes === 0; i++) {
      left.connection.grant(16)
      await settle()
    }
    expect(left.tap.closes).toBe(1)
    await waitFor(() => right.recorder.closes.length > 0 && left.recorder.closes.length > 0)
    // Every message, in order, then the orderly end.
    expect(right.recorder.events.slice(1).map((e) => e.type)).toEqual([
      ...messages.map(() => "message"),
      "close",
    ])
    expect(received(right)).toEqual(messages.map((m) => m.map(toHex)))
    expect(right.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(left.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    // close() ends the output path: no onWritable.
    expect(left.recorder.writables).toBe(0)
  })

  it("close() flushes sends still waiting for the scheduled callback", async () => {
    const s = scheduled()
    const { left, right } = await connectedEngines(s.options, { socketType: "PULL" })
    for (let i = 0; i < 4; i++) left.engine.send([ascii(`m${i}`)])
    left.engine.close()
    expect(left.tap.closes).toBe(1)
    await waitFor(() => right.recorder.closes.length > 0)
    expect(received(right)).toEqual([0, 1, 2, 3].map((i) => [toHex(ascii(`m${i}`))]))
    expect(right.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
  })

  it("close() with nothing pending closes the connection at once", async () => {
    const { left, right } = await connectedEngines({ socketType: "PAIR" }, { socketType: "PAIR" })
    left.engine.close()
    expect(left.tap.closes).toBe(1)
    left.engine.close()
    expect(left.tap.closes).toBe(1)
    await waitFor(() => left.recorder.closes.length > 0 && right.recorder.closes.length > 0)
    expect(left.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(right.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(left.engine.closed).toBe(true)
  })

  it("destroy() discards pending output: the peer gets what was taken and the end", async () => {
    const { left, right } = await budgeted()
    const messages = Array.from({ length: 5 }, (_, i) => [pattern(30, i + 1)]) // 32 octets each
    for (const m of messages) left.engine.send(m)
    left.connection.grant(32 + 16) // the first message and half of the second
    left.engine.destroy()
    expect(left.tap.destroys).toBe(1)
    await waitFor(() => right.recorder.closes.length > 0 && left.recorder.closes.length > 0)
    await settle()
    expect(received(right)).toEqual([messages[0]!.map(toHex)])
    // The half frame is dropped; the end is an orderly one (see bad-input.test.ts).
    expect(right.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(left.recorder.closes).toEqual([{ error: undefined, wasReady: true }])
    expect(left.recorder.writables).toBe(0)
    left.engine.destroy()
    expect(left.tap.destroys).toBe(1)
  })

  it("destroy(error) reports that error", async () => {
    const { left } = await connectedEngines({ socketType: "PAIR" }, { socketType: "PAIR" })
    const error = new ZlError("ETERM", "context terminated")
    left.engine.destroy(error)
    await waitFor(() => left.recorder.closes.length > 0)
    expect(left.recorder.closes).toHaveLength(1)
    expect(left.recorder.closes[0]!.error).toBe(error)
    expect(left.recorder.closes[0]!.wasReady).toBe(true)
  })
})
