/**
 * The send and receive queues: timeouts and their error codes, close while operations wait, use after
 * close, call-order service of concurrent operations, and aborting a receive.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  Context,
  DealerSocket,
  PairSocket,
  PullSocket,
  PushSocket,
  RouterSocket,
  SubscriberSocket,
} from "../src/index.js"
import {
  ascii,
  Harness,
  link,
  msg,
  receiveN,
  receiveNothing,
  settle,
  texts,
  track,
  transportsUnderTest,
  within,
} from "./helpers.js"

describe("timeouts and close", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("sendTimeout 0 fails with EAGAIN at once when there is no peer", async () => {
    const dealer = new DealerSocket(h.context, { sendTimeout: 0 })
    await expect(dealer.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
    const push = new PushSocket(h.context, { sendTimeout: 0, immediate: true })
    push.connect(h.endpoint("memory", "nobody"))
    await expect(push.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
  })

  it("sendTimeout > 0 fails with EAGAIN after about that long", async () => {
    const dealer = new DealerSocket(h.context, { sendTimeout: 40 })
    const started = Date.now()
    await expect(dealer.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })

  it("receiveTimeout fails with EAGAIN: at once for 0, after about that long otherwise", async () => {
    const pull = new PullSocket(h.context, { receiveTimeout: 0 })
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    pull.options.receiveTimeout = 40
    const started = Date.now()
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })

  it("a timed-out receive does not take a message that arrives later", async () => {
    const pull = new PullSocket(h.context, { receiveTimeout: 20 })
    const push = new PushSocket(h.context)
    await link(h, "inproc", pull, [push])
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    await push.send(msg("later"))
    expect(await receiveN(pull, 1)).toEqual([["later"]])
  })

  it("close rejects waiting sends and receives with EAGAIN", async () => {
    const dealer = new DealerSocket(h.context)
    const receiving = dealer.receive()
    const sending = dealer.send(msg("x"))
    const pending = [track(receiving), track(sending)]
    await settle()
    expect(pending.map((p) => p.settled)).toEqual([false, false])
    dealer.close()
    await expect(receiving).rejects.toMatchObject({ code: "EAGAIN" })
    await expect(sending).rejects.toMatchObject({ code: "EAGAIN" })
  })

  it("every operation after close fails with EBADF", async () => {
    const sub = new SubscriberSocket(h.context)
    const router = new RouterSocket(h.context)
    const endpoint = await router.bind(h.endpoint("memory"))
    router.close()
    sub.close()
    expect(router.closed).toBe(true)
    await expect(router.send(msg("a", "b"))).rejects.toMatchObject({ code: "EBADF" })
    await expect(router.receive()).rejects.toMatchObject({ code: "EBADF" })
    await expect(router.bind(h.endpoint("memory"))).rejects.toMatchObject({ code: "EBADF" })
    await expect(router.unbind(endpoint)).rejects.toMatchObject({ code: "EBADF" })
    expect(() => router.connect(endpoint)).toThrow(expect.objectContaining({ code: "EBADF" }))
    expect(() => router.disconnect(endpoint)).toThrow(expect.objectContaining({ code: "EBADF" }))
    expect(() => sub.subscribe(ascii("x"))).toThrow(expect.objectContaining({ code: "EBADF" }))
    expect(() => sub.unsubscribe(ascii("x"))).toThrow(expect.objectContaining({ code: "EBADF" }))
    // A second close is harmless.
    expect(() => router.close()).not.toThrow()
  })

  it("a closed context refuses new binds and connects with ETERM", async () => {
    const survivor = new PairSocket(h.context)
    const fresh = h.context
    fresh.close()
    expect(survivor.closed).toBe(true)
    const late = new PairSocket(fresh)
    await expect(late.bind(h.endpoint("inproc"))).rejects.toMatchObject({ code: "ETERM" })
    expect(() => late.connect(h.endpoint("inproc"))).toThrow(expect.objectContaining({ code: "ETERM" }))
  })

  it("an aborted receive rejects with the signal's reason and loses no message", async () => {
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context)
    await link(h, "inproc", pull, [push])
    const abort = new AbortController()
    const reason = new Error("stop")
    const first = pull.receive(abort.signal)
    const second = pull.receive()
    abort.abort(reason)
    await expect(first).rejects.toBe(reason)
    await push.send(msg("kept"))
    expect(texts(await within(second, 500))).toEqual(["kept"])
    const already = new AbortController()
    already.abort(reason)
    await expect(pull.receive(already.signal)).rejects.toBe(reason)
  })

  it("rejects an empty message (EINVAL)", async () => {
    const dealer = new DealerSocket(h.context)
    await expect(dealer.send([])).rejects.toMatchObject({ code: "EINVAL" })
  })
})

for (const t of transportsUnderTest) {
  describe(`call order over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("concurrent receives are served in call order", async () => {
      const pull = new PullSocket(h.context)
      const push = new PushSocket(h.context)
      await link(h, t, pull, [push])
      const receives = [pull.receive(), pull.receive(), pull.receive()]
      await settle()
      for (let i = 1; i <= 3; i++) await push.send(msg(`${i}`))
      const got = await within(Promise.all(receives), 1000)
      expect(got.map(texts)).toEqual([["1"], ["2"], ["3"]])
    })

    it("concurrent sends keep their order while they wait, and once they go", async () => {
      const push = new PushSocket(h.context)
      const pull = new PullSocket(h.context)
      const sends = Array.from({ length: 5 }, (_, i) => push.send(msg(`${i}`)))
      const endpoint = await pull.bind(h.endpoint(t))
      push.connect(endpoint)
      await within(Promise.all(sends), 1000, "the waiting sends")
      expect(await receiveN(pull, 5)).toEqual([["0"], ["1"], ["2"], ["3"], ["4"]])
    })

    it("sends waiting at the high-water mark keep their order", async () => {
      const push = new PushSocket(h.context, { sendHighWaterMark: 1 })
      const pull = new PullSocket(h.context, { receiveHighWaterMark: 1 })
      await link(h, t, pull, [push])
      const sends = Array.from({ length: 20 }, (_, i) => push.send(msg(`${i}`)))
      const got = await receiveN(pull, 20)
      await within(Promise.all(sends), 1000)
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => [`${i}`]))
      expect(await receiveNothing(pull, 10)).toEqual([])
    })
  })
}

describe("fairness to the event loop", () => {
  it("a long run of sends or receives that complete at once still lets the event loop turn", async () => {
    const context = new Context({ transports: [] })
    const a = new PairSocket(context, { sendHighWaterMark: 5000, receiveHighWaterMark: 5000 })
    const b = new PairSocket(context, { sendHighWaterMark: 5000, receiveHighWaterMark: 5000 })
    await b.bind("inproc://fair")
    a.connect("inproc://fair")
    const turnsDuring = async (work: () => Promise<void>): Promise<number> => {
      let turns = 0
      let running = true
      const turn = (): void => {
        if (!running) return
        turns++
        setImmediate(turn)
      }
      setImmediate(turn)
      await new Promise(setImmediate)
      turns = 0
      await work()
      running = false
      return turns
    }
    const message = [new Uint8Array(1)]
    const sendTurns = await turnsDuring(async () => {
      for (let i = 0; i < 2560; i++) await a.send(message)
    })
    const receiveTurns = await turnsDuring(async () => {
      for (let i = 0; i < 2560; i++) await b.receive()
    })
    // One turn per 256 operations completed at once.
    expect(sendTurns).toBeGreaterThanOrEqual(9)
    expect(receiveTurns).toBeGreaterThanOrEqual(9)
    a.close()
    b.close()
    context.close()
  })
})
