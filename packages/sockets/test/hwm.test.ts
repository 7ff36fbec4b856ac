/**
 * High-water marks: what a pipe holds before sends wait (SNDHWM), when reading from a peer stops
 * (RCVHWM), and 0 meaning no limit.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { PullSocket, PushSocket, type SocketBase } from "../src/index.js"
import { Harness, link, msg, receiveN, settle, texts, track, within } from "./helpers.js"

/** Messages of its peers a socket holds for the application (the per-pipe count RCVHWM bounds). */
function inbound(socket: SocketBase): number {
  let sum = 0
  for (const pipe of (socket as unknown as { pipes: { inbound: number }[] }).pipes) sum += pipe.inbound
  return sum
}

describe("high-water marks", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("memory: a connecting PUSH queues SNDHWM messages before its peer exists, then sends wait", async () => {
    const push = new PushSocket(h.context, { sendHighWaterMark: 3, sendTimeout: 0 })
    const endpoint = h.endpoint("memory")
    push.connect(endpoint)
    for (let i = 0; i < 3; i++) await push.send(msg(`m${i}`))
    await expect(push.send(msg("over"))).rejects.toMatchObject({ code: "EAGAIN" })
    push.options.sendTimeout = -1
    const waiting = track(push.send(msg("m3")))
    await settle()
    expect(waiting.settled).toBe(false)
    const pull = new PullSocket(h.context)
    await pull.bind(endpoint)
    await within(waiting.promise, 2000, "the send waiting for room")
    expect(await receiveN(pull, 4)).toEqual([["m0"], ["m1"], ["m2"], ["m3"]])
  })

  it("inproc: a link holds SNDHWM + RCVHWM messages (libzmq gives 5 for 3 + 2), then sends wait", async () => {
    const push = new PushSocket(h.context, { sendHighWaterMark: 3, sendTimeout: 0 })
    const pull = new PullSocket(h.context, { receiveHighWaterMark: 2 })
    await link(h, "inproc", push, [pull])
    for (let i = 0; i < 5; i++) await push.send(msg(`m${i}`))
    await expect(push.send(msg("over"))).rejects.toMatchObject({ code: "EAGAIN" })
    push.options.sendTimeout = -1
    const waiting = track(push.send(msg("m5")))
    await settle()
    expect(waiting.settled).toBe(false)
    // One message taken makes room for exactly one more.
    expect(await receiveN(pull, 1)).toEqual([["m0"]])
    await within(waiting.promise, 500, "the send waiting for room")
    push.options.sendTimeout = 0
    await expect(push.send(msg("over"))).rejects.toMatchObject({ code: "EAGAIN" })
    expect(await receiveN(pull, 5)).toEqual([["m1"], ["m2"], ["m3"], ["m4"], ["m5"]])
  })

  it("inproc: a PUSH skips a peer at its high-water mark and goes on with the others", async () => {
    const push = new PushSocket(h.context, { sendHighWaterMark: 1, sendTimeout: 0 })
    const slow = new PullSocket(h.context, { receiveHighWaterMark: 1 })
    const fast = new PullSocket(h.context, { receiveHighWaterMark: 1 })
    push.connect(await slow.bind(h.endpoint("inproc")))
    push.connect(await fast.bind(h.endpoint("inproc")))
    // Round-robin fills each link (1 + 1 messages), then nothing fits.
    for (let i = 0; i < 4; i++) await push.send(msg(`m${i}`))
    await expect(push.send(msg("over"))).rejects.toMatchObject({ code: "EAGAIN" })
    expect(await receiveN(fast, 1)).toEqual([["m1"]])
    // Only `fast` has room now: the next message goes there although it is `slow`'s turn.
    await push.send(msg("m4"))
    expect(await receiveN(fast, 2)).toEqual([["m3"], ["m4"]])
    expect(await receiveN(slow, 2)).toEqual([["m0"], ["m2"]])
  })

  it("memory: a slow receiver holds at most RCVHWM messages of a fast sender's bursts, and gets them all in order", async () => {
    const hwm = 10
    const total = 300
    const push = new PushSocket(h.context, { sendHighWaterMark: 0 })
    const pull = new PullSocket(h.context, { receiveHighWaterMark: hwm })
    await link(h, "memory", pull, [push])
    let max = 0
    // Bursts of 30 messages per task: the engine writes each burst as one chunk after the first message.
    for (let burst = 0; burst < total / 30; burst++) {
      for (let i = 0; i < 30; i++) await push.send(msg(`${burst * 30 + i}`, "x".repeat(100)))
      await settle(2)
      max = Math.max(max, inbound(pull))
    }
    // Reading stops when the pipe holds RCVHWM messages and resumes at half of it: the count the
    // socket holds never exceeds RCVHWM (the memory transport delivers nothing while paused).
    const got: string[] = []
    while (got.length < total) {
      got.push(texts(await within(pull.receive(), 1000))[0]!)
      max = Math.max(max, inbound(pull))
      if (got.length % 7 === 0) await settle(1)
    }
    expect(max).toBe(hwm)
    expect(got).toEqual(Array.from({ length: total }, (_, i) => `${i}`))
  })

  it("memory: a slow receiver holds at most RCVHWM messages when each message is its own chunk", async () => {
    // One send per task: the engine writes each message on its own, so the message that reaches
    // RCVHWM is the last one of its chunk; reading must stop all the same.
    const hwm = 10
    const push = new PushSocket(h.context, { sendHighWaterMark: 0 })
    const pull = new PullSocket(h.context, { receiveHighWaterMark: hwm })
    await link(h, "memory", pull, [push])
    let max = 0
    for (let i = 0; i < 60; i++) {
      await push.send(msg(`${i}`))
      await settle(1)
      max = Math.max(max, inbound(pull))
    }
    expect(max).toBe(hwm)
    expect(await receiveN(pull, 60)).toEqual(Array.from({ length: 60 }, (_, i) => [`${i}`]))
  })

  it("0 means no limit: SNDHWM 0 queues without bound, RCVHWM 0 reads without bound", async () => {
    const push = new PushSocket(h.context, { sendHighWaterMark: 0, sendTimeout: 0 })
    const endpoint = h.endpoint("memory")
    push.connect(endpoint)
    const total = 5000
    for (let i = 0; i < total; i++) await push.send(msg(`${i}`))
    const pull = new PullSocket(h.context, { receiveHighWaterMark: 0 })
    await pull.bind(endpoint)
    const got = await receiveN(pull, total)
    expect(got[0]).toEqual(["0"])
    expect(got[total - 1]).toEqual([`${total - 1}`])

    const ipush = new PushSocket(h.context, { sendHighWaterMark: 0, sendTimeout: 0 })
    const ipull = new PullSocket(h.context, { receiveHighWaterMark: 0 })
    await link(h, "inproc", ipull, [ipush])
    for (let i = 0; i < total; i++) await ipush.send(msg(`${i}`))
    expect(inbound(ipull)).toBe(total)
    expect((await receiveN(ipull, total)).at(-1)).toEqual([`${total - 1}`])
  })
})
