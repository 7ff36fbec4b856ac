/**
 * PAIR, PUSH/PULL and DEALER over every transport under test (RFC 28, 30, 31): who gets what, in
 * which order.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, PairSocket, PullSocket, PushSocket, RouterSocket } from "../src/index.js"
import {
  Harness,
  link,
  msg,
  receiveN,
  receiveNothing,
  recordEvents,
  settle,
  texts,
  transportsUnderTest,
  waitFor,
  within,
} from "./helpers.js"

for (const t of transportsUnderTest) {
  describe(`PAIR over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("carries multipart messages both ways, in order", async () => {
      const a = new PairSocket(h.context)
      const b = new PairSocket(h.context)
      await link(h, t, a, [b])
      await a.send(msg("a1", "more"))
      await a.send(msg("a2"))
      await b.send(msg("b1"))
      expect(await receiveN(b, 2)).toEqual([["a1", "more"], ["a2"]])
      expect(await receiveN(a, 1)).toEqual([["b1"]])
    })

    it("refuses a second peer: its messages are not received and sends go to the first", async () => {
      const a = new PairSocket(h.context)
      const first = new PairSocket(h.context)
      const second = new PairSocket(h.context)
      const endpoint = await link(h, t, a, [first])
      const events = recordEvents(a)
      second.connect(endpoint)
      if (t === "memory")
        await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "second dropped")
      void second.send(msg("intruder")).catch(() => {})
      await a.send(msg("to-first"))
      await first.send(msg("from-first"))
      expect(await receiveN(first, 1)).toEqual([["to-first"]])
      expect(await receiveN(a, 1)).toEqual([["from-first"]])
      expect(await receiveNothing(a, 50)).toEqual([])
      expect(await receiveNothing(second, 20)).toEqual([])
    })
  })

  describe(`PUSH/PULL over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("load-balances round-robin over the PULLs it connected to, in connect order", async () => {
      const pulls = [0, 1, 2].map(() => new PullSocket(h.context))
      const push = new PushSocket(h.context)
      const endpoints: string[] = []
      for (const pull of pulls) endpoints.push(await pull.bind(h.endpoint(t)))
      for (const endpoint of endpoints) push.connect(endpoint)
      for (let i = 1; i <= 9; i++) await push.send(msg(`m${i}`))
      expect(await receiveN(pulls[0]!, 3)).toEqual([["m1"], ["m4"], ["m7"]])
      expect(await receiveN(pulls[1]!, 3)).toEqual([["m2"], ["m5"], ["m8"]])
      expect(await receiveN(pulls[2]!, 3)).toEqual([["m3"], ["m6"], ["m9"]])
      for (const pull of pulls) expect(await receiveNothing(pull, 10)).toEqual([])
    })

    it("load-balances round-robin over PULLs that connected to it", async () => {
      const push = new PushSocket(h.context)
      const pulls = [0, 1, 2].map(() => new PullSocket(h.context))
      await link(h, t, push, pulls)
      for (let i = 0; i < 12; i++) await push.send(msg(`${i}`))
      const got = await Promise.all(pulls.map((pull) => receiveN(pull, 4)))
      // Each PULL gets every third message, starting from a different one.
      const firsts = got.map((messages) => Number(messages[0]![0]))
      expect([...firsts].sort()).toEqual([0, 1, 2])
      for (const [i, messages] of got.entries()) {
        const k = firsts[i]!
        expect(messages).toEqual([[`${k}`], [`${k + 3}`], [`${k + 6}`], [`${k + 9}`]])
      }
    })

    it("PULL fair-queues between PUSH peers that both have messages waiting", async () => {
      const pull = new PullSocket(h.context)
      const a = new PushSocket(h.context)
      const b = new PushSocket(h.context)
      await link(h, t, pull, [a, b])
      for (let i = 0; i < 4; i++) await a.send(msg(`a${i}`))
      for (let i = 0; i < 4; i++) await b.send(msg(`b${i}`))
      await settle()
      // libzmq 4.3.5 (fq_t) serves a0,b0,a1,b1,... here, over inproc and tcp alike.
      expect((await receiveN(pull, 8)).map((m) => m[0])).toEqual([
        "a0",
        "b0",
        "a1",
        "b1",
        "a2",
        "b2",
        "a3",
        "b3",
      ])
    })

    it("PUSH cannot receive and PULL cannot send (ENOTSUP)", async () => {
      const push = new PushSocket(h.context)
      const pull = new PullSocket(h.context)
      await expect(push.receive()).rejects.toMatchObject({ code: "ENOTSUP" })
      await expect(pull.send(msg("x"))).rejects.toMatchObject({ code: "ENOTSUP" })
    })
  })

  describe(`DEALER over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("sends round-robin over its peers and receives from all of them", async () => {
      const peers = [0, 1, 2].map(() => new DealerSocket(h.context))
      const dealer = new DealerSocket(h.context)
      const endpoints: string[] = []
      for (const peer of peers) endpoints.push(await peer.bind(h.endpoint(t)))
      for (const endpoint of endpoints) dealer.connect(endpoint)
      for (let i = 1; i <= 6; i++) await dealer.send(msg(`m${i}`, "body"))
      expect(await receiveN(peers[0]!, 2)).toEqual([
        ["m1", "body"],
        ["m4", "body"],
      ])
      expect(await receiveN(peers[1]!, 2)).toEqual([
        ["m2", "body"],
        ["m5", "body"],
      ])
      expect(await receiveN(peers[2]!, 2)).toEqual([
        ["m3", "body"],
        ["m6", "body"],
      ])
      for (const [i, peer] of peers.entries()) await peer.send(msg(`from${i}`))
      const got = (await receiveN(dealer, 3)).map((m) => m[0])
      expect(got.sort()).toEqual(["from0", "from1", "from2"])
    })

    it("fair-queues what its peers send", async () => {
      const dealer = new DealerSocket(h.context)
      const a = new DealerSocket(h.context)
      const b = new DealerSocket(h.context)
      await link(h, t, dealer, [a, b])
      for (let i = 0; i < 3; i++) await a.send(msg(`a${i}`))
      for (let i = 0; i < 3; i++) await b.send(msg(`b${i}`))
      await settle()
      expect((await receiveN(dealer, 6)).map((m) => m[0])).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"])
    })

    it("talks to a ROUTER, which sees the DEALER's routing id", async () => {
      const router = new RouterSocket(h.context)
      const dealer = new DealerSocket(h.context, { routingId: msg("D1")[0]! })
      await link(h, t, router, [dealer])
      await dealer.send(msg("", "hello"))
      const got = await router.receive()
      expect(texts(got)).toEqual(["D1", "", "hello"])
      await router.send([got[0]!, ...msg("", "world")])
      expect(await receiveN(dealer, 1)).toEqual([["", "world"]])
    })
  })
}

describe("PAIR over inproc, refused links", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("a PAIR that has its peer refuses a second link without leaving the other binder a dead pipe", async () => {
    const first = new PairSocket(h.context)
    const second = new PairSocket(h.context)
    const connecter = new PairSocket(h.context)
    connecter.connect(await first.bind(h.endpoint("inproc")))
    const endpoint = await second.bind(h.endpoint("inproc"))
    connecter.connect(endpoint)
    await connecter.send(msg("to-first"))
    expect(await receiveN(first, 1)).toEqual([["to-first"]])
    // `second` is still free: a new peer links with it.
    const other = new PairSocket(h.context)
    other.connect(endpoint)
    await within(other.send(msg("hello")), 500, "send to the free binder")
    expect(await receiveN(second, 1)).toEqual([["hello"]])
    await second.send(msg("back"))
    expect(await receiveN(other, 1)).toEqual([["back"]])
  })
})
