/**
 * `conflate` (libzmq `ZMQ_CONFLATE`): each pipe of a DEALER, PULL, PUSH, PUB or SUB keeps only its
 * newest message, both ways, the high-water marks do not apply, and of a multipart message only the
 * last part is kept (libzmq's conflating pipe holds one message part).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  DealerSocket,
  PairSocket,
  PublisherSocket,
  PullSocket,
  PushSocket,
  SubscriberSocket,
} from "../src/index.js"
import { Harness, link, msg, receiveN, receiveNothing, settle, transportsUnderTest } from "./helpers.js"

describe("conflate", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  for (const t of transportsUnderTest) {
    describe(t, () => {
      it("a conflating PULL keeps only the newest message of its peer, whatever its RCVHWM", async () => {
        const push = new PushSocket(h.context)
        const pull = new PullSocket(h.context, { conflate: true, receiveHighWaterMark: 1 })
        await link(h, t, push, [pull])
        for (let i = 0; i < 20; i++) await push.send(msg(`m${i}`))
        await settle()
        expect(pull.resources.queued).toBe(1)
        expect(await receiveN(pull, 1)).toEqual([["m19"]])
        expect(await receiveNothing(pull)).toEqual([])
        // The next message is kept again, and received.
        await push.send(msg("m20"))
        expect(await receiveN(pull, 1)).toEqual([["m20"]])
      })

      it("a conflating PUSH connecting before its peer exists keeps only the newest, never waiting", async () => {
        const push = new PushSocket(h.context, { conflate: true, sendHighWaterMark: 1, sendTimeout: 0 })
        const endpoint = h.endpoint(t)
        push.connect(endpoint)
        for (let i = 0; i < 10; i++) await push.send(msg(`m${i}`))
        const pull = new PullSocket(h.context)
        await pull.bind(endpoint)
        expect(await receiveN(pull, 1)).toEqual([["m9"]])
        expect(await receiveNothing(pull)).toEqual([])
      })

      it("of a multipart message only the last part is kept, sending and receiving", async () => {
        const push = new PushSocket(h.context, { conflate: true })
        const endpoint = h.endpoint(t)
        push.connect(endpoint)
        await push.send(msg("a", "b", "c"))
        const pull = new PullSocket(h.context)
        await pull.bind(endpoint)
        expect(await receiveN(pull, 1)).toEqual([["c"]])

        const sender = new PushSocket(h.context)
        const receiver = new PullSocket(h.context, { conflate: true })
        await link(h, t, sender, [receiver])
        await sender.send(msg("x", "y"))
        expect(await receiveN(receiver, 1)).toEqual([["y"]])
      })

      it("a conflating DEALER keeps the newest message of each peer, fair-queued", async () => {
        const dealer = new DealerSocket(h.context, { conflate: true })
        const a = new DealerSocket(h.context)
        const b = new DealerSocket(h.context)
        await link(h, t, a, [dealer])
        await link(h, t, b, [dealer])
        for (let i = 0; i < 3; i++) await a.send(msg(`a${i}`))
        for (let i = 0; i < 3; i++) await b.send(msg(`b${i}`))
        await settle()
        const got = (await receiveN(dealer, 2)).map((m) => m[0]).sort()
        expect(got).toEqual(["a2", "b2"])
        expect(await receiveNothing(dealer)).toEqual([])
      })

      it("a conflating SUB filters on the part it keeps, the last one", async () => {
        const pub = new PublisherSocket(h.context)
        const sub = new SubscriberSocket(h.context, { conflate: true })
        sub.subscribe(new TextEncoder().encode("news"))
        await link(h, t, pub, [sub])
        // (the SUB connects: over inproc the connecting side decides, see below)
        await settle()
        await pub.send(msg("news", "one"))
        await pub.send(msg("news"))
        expect(await receiveN(sub, 1)).toEqual([["news"]])
        expect(await receiveNothing(sub)).toEqual([])
      })

      it("has no effect on a PAIR, as in libzmq", async () => {
        const a = new PairSocket(h.context, { conflate: true })
        const b = new PairSocket(h.context, { conflate: true })
        await link(h, t, a, [b])
        for (let i = 0; i < 3; i++) await b.send(msg(`m${i}`, "x"))
        expect(await receiveN(a, 3)).toEqual([
          ["m0", "x"],
          ["m1", "x"],
          ["m2", "x"],
        ])
      })
    })
  }

  it("inproc: the connecting socket decides whether both directions of a link conflate, as in libzmq", async () => {
    const pull = new PullSocket(h.context, { conflate: true })
    const push = new PushSocket(h.context)
    await link(h, "inproc", pull, [push])
    for (let i = 0; i < 3; i++) await push.send(msg(`m${i}`))
    expect(await receiveN(pull, 3)).toEqual([["m0"], ["m1"], ["m2"]])

    const quiet = new PullSocket(h.context)
    const conflating = new PushSocket(h.context, { conflate: true })
    await link(h, "inproc", quiet, [conflating])
    for (let i = 0; i < 3; i++) await conflating.send(msg(`n${i}`))
    expect(await receiveN(quiet, 1)).toEqual([["n2"]])
    expect(await receiveNothing(quiet)).toEqual([])
  })

  it("memory: a conflating PUSH sends while the transport takes it, then only the newest once it drains", async () => {
    // A small socket buffer: a PULL that stops reading (RCVHWM 1) soon pushes back on the PUSH.
    const tight = new Harness({ capacity: 64 })
    try {
      const push = new PushSocket(tight.context, { conflate: true })
      const pull = new PullSocket(tight.context, { receiveHighWaterMark: 1 })
      await link(tight, "memory", pull, [push])
      const sent = 200
      for (let i = 0; i < sent; i++) await push.send(msg(`m${String(i).padStart(3, "0")}`))
      await settle()
      const got: string[] = []
      for (;;) {
        const more = await receiveNothing(pull, 30)
        if (more.length === 0) break
        for (const m of more) got.push(m[0]!)
      }
      // In order, starting with the first, ending with the newest, with the ones the slot replaced gone.
      expect(got[0]).toBe("m000")
      expect(got[got.length - 1]).toBe("m199")
      expect(got.length).toBeLessThan(sent)
      expect([...got].sort()).toEqual(got)
    } finally {
      tight.close()
    }
  })
})
