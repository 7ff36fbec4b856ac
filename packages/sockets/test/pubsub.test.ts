/**
 * PUB, SUB, XPUB and XSUB (RFC 29, libzmq 4.3.5 `xpub.cpp`, `xsub.cpp`): prefix fan-out, filtering,
 * subscription replay, XPUB's subscription messages and verbosity, XSUB's raw subscriptions,
 * invertMatching and the publisher's high-water mark, over every transport under test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { PublisherSocket, SubscriberSocket, XPublisherSocket, XSubscriberSocket } from "../src/index.js"
import {
  ascii,
  Harness,
  handshakes,
  link,
  msg,
  receiveN,
  receiveNothing,
  recordEvents,
  settle,
  track,
  transportsUnderTest,
  waitFor,
  within,
} from "./helpers.js"

/** Drains what a socket has received within a short quiet period, as frame strings. */
async function drain(socket: XPublisherSocket | SubscriberSocket | XSubscriberSocket): Promise<string[][]> {
  return receiveNothing(socket, 30)
}

for (const t of transportsUnderTest) {
  describe(`PUB/SUB over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("fans out by prefix, each subscriber once per message", async () => {
      const pub = new PublisherSocket(h.context)
      const all = new SubscriberSocket(h.context)
      const a = new SubscriberSocket(h.context)
      const ab = new SubscriberSocket(h.context)
      const none = new SubscriberSocket(h.context)
      await link(h, t, pub, [all, a, ab, none])
      all.subscribe(new Uint8Array(0))
      a.subscribe(ascii("a"))
      // Two matching prefixes still mean one copy.
      ab.subscribe(ascii("ab"))
      ab.subscribe(ascii("a"))
      await settle()
      for (const topic of ["abc", "ax", "b", "", "a"]) await pub.send(msg(topic, "body"))
      expect(await drain(all)).toEqual([
        ["abc", "body"],
        ["ax", "body"],
        ["b", "body"],
        ["", "body"],
        ["a", "body"],
      ])
      expect(await drain(a)).toEqual([
        ["abc", "body"],
        ["ax", "body"],
        ["a", "body"],
      ])
      expect(await drain(ab)).toEqual([
        ["abc", "body"],
        ["ax", "body"],
        ["a", "body"],
      ])
      expect(await drain(none)).toEqual([])
    })

    it("unsubscribe stops delivery; subscriptions are counted", async () => {
      const pub = new PublisherSocket(h.context)
      const sub = new SubscriberSocket(h.context)
      await link(h, t, pub, [sub])
      sub.subscribe(ascii("t"))
      sub.subscribe(ascii("t"))
      sub.subscribe(ascii("u"))
      await settle()
      await pub.send(msg("t1"))
      await pub.send(msg("u1"))
      sub.unsubscribe(ascii("t"))
      await settle()
      await pub.send(msg("t2"))
      await settle()
      // Still subscribed once: nothing is lost yet.
      expect(sub.readable).toBe(true)
      sub.unsubscribe(ascii("t"))
      await settle()
      await pub.send(msg("t3"))
      // Unsubscribing what is not subscribed changes nothing.
      sub.unsubscribe(ascii("zzz"))
      // libzmq filters as the application reads: t1 and t2 arrived while "t" was subscribed, but
      // are not delivered after its last unsubscribe; u1 still is.
      expect(await drain(sub)).toEqual([["u1"]])
    })

    it("XSUB drops waiting messages of a topic it cancels, and keeps the others", async () => {
      const pub = new PublisherSocket(h.context)
      const xsub = new XSubscriberSocket(h.context)
      await link(h, t, pub, [xsub])
      await xsub.send([Uint8Array.of(1, 0x61)])
      await xsub.send([Uint8Array.of(1, 0x62)])
      await settle()
      for (const m of ["a1", "b1", "a2", "b2"]) await pub.send(msg(m))
      await settle()
      await xsub.send([Uint8Array.of(0, 0x61)])
      expect(await drain(xsub)).toEqual([["b1"], ["b2"]])
    })

    it("SUB filters what arrives by its own subscriptions (XPUB sending to a catch-all peer)", async () => {
      const xpub = new XPublisherSocket(h.context)
      const sub = new SubscriberSocket(h.context)
      await link(h, t, xpub, [sub])
      sub.subscribe(ascii("keep"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01keep"]])
      await xpub.send(msg("keep-1"))
      await xpub.send(msg("drop-1"))
      expect(await drain(sub)).toEqual([["keep-1"]])
    })

    it("SUB and PUB cannot do the other's job (ENOTSUP)", async () => {
      const pub = new PublisherSocket(h.context)
      const sub = new SubscriberSocket(h.context)
      await expect(pub.receive()).rejects.toMatchObject({ code: "ENOTSUP" })
      await expect(sub.send(msg("x"))).rejects.toMatchObject({ code: "ENOTSUP" })
    })

    it("replays subscriptions to a publisher that binds after the SUB connected", async () => {
      const sub = new SubscriberSocket(h.context, { reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      sub.subscribe(ascii("a"))
      sub.connect(endpoint)
      const pub = new XPublisherSocket(h.context)
      await pub.bind(endpoint)
      expect(await receiveN(pub, 1)).toEqual([["\x01a"]])
      await pub.send(msg("a1"))
      await pub.send(msg("b1"))
      expect(await drain(sub)).toEqual([["a1"]])
    })

    it("replays subscriptions to a publisher that connects to the bound SUB", async () => {
      const sub = new SubscriberSocket(h.context)
      const endpoint = await sub.bind(h.endpoint(t))
      sub.subscribe(ascii("a"))
      sub.subscribe(ascii("b"))
      const pub = new XPublisherSocket(h.context)
      pub.connect(endpoint)
      expect((await receiveN(pub, 2)).sort()).toEqual([["\x01a"], ["\x01b"]])
      await pub.send(msg("a1"))
      await pub.send(msg("c1"))
      await pub.send(msg("b1"))
      expect(await drain(sub)).toEqual([["a1"], ["b1"]])
    })

    it("invertMatching: the PUB sends, and the SUB accepts, only messages that do not match", async () => {
      const pub = new PublisherSocket(h.context, { invertMatching: true })
      const sub = new SubscriberSocket(h.context, { invertMatching: true })
      const plain = new SubscriberSocket(h.context)
      await link(h, t, pub, [sub, plain])
      sub.subscribe(ascii("a"))
      plain.subscribe(ascii("b"))
      await settle()
      for (const topic of ["a1", "b1", "c1"]) await pub.send(msg(topic))
      expect(await drain(sub)).toEqual([["b1"], ["c1"]])
      // `plain` is subscribed to "b": the inverting PUB sends it a1 and c1, which its own (not
      // inverted) filter drops. libzmq's docs ask both sides to set the option.
      expect(await drain(plain)).toEqual([])
    })

    it("invertMatching on a SUB alone drops everything a matching PUB sends it", async () => {
      const pub = new PublisherSocket(h.context)
      const sub = new SubscriberSocket(h.context, { invertMatching: true })
      await link(h, t, pub, [sub])
      sub.subscribe(ascii("a"))
      await settle()
      await pub.send(msg("a1"))
      await pub.send(msg("b1"))
      expect(await drain(sub)).toEqual([])
    })
  })

  describe(`XPUB/XSUB over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    async function setup(verbosity: null | "allSubs" | "allSubsUnsubs") {
      const xpub = new XPublisherSocket(h.context, { verbosity })
      const s1 = new SubscriberSocket(h.context)
      const s2 = new SubscriberSocket(h.context)
      await link(h, t, xpub, [s1, s2])
      s1.subscribe(ascii("a"))
      s1.subscribe(ascii("b"))
      // Settle in between, so that the arrival order is fixed: XPUB passes subscriptions up in that
      // order (libzmq reads each subscriber's pipe dry; no fair-queuing).
      await settle()
      s2.subscribe(ascii("a"))
      await settle()
      return { xpub, s1, s2 }
    }

    it("passes up the first subscription to a topic and its last cancellation", async () => {
      const { xpub, s1, s2 } = await setup(null)
      expect(await drain(xpub)).toEqual([["\x01a"], ["\x01b"]])
      s1.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([])
      s2.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([["\x00a"]])
    })

    it('verbosity "allSubs" passes up every subscription, cancellations only when last', async () => {
      const { xpub, s1, s2 } = await setup("allSubs")
      expect(await drain(xpub)).toEqual([["\x01a"], ["\x01b"], ["\x01a"]])
      s1.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([])
      s2.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([["\x00a"]])
    })

    it('verbosity "allSubsUnsubs" passes up every subscription and every cancellation', async () => {
      const { xpub, s1, s2 } = await setup("allSubsUnsubs")
      expect(await drain(xpub)).toEqual([["\x01a"], ["\x01b"], ["\x01a"]])
      s1.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([["\x00a"]])
      s2.unsubscribe(ascii("a"))
      await settle()
      expect(await drain(xpub)).toEqual([["\x00a"]])
    })

    it("reports the topics of a departed subscriber that lost their last subscriber", async () => {
      const { xpub, s1 } = await setup(null)
      await drain(xpub)
      s1.close()
      expect(await receiveN(xpub, 1)).toEqual([["\x00b"]])
      expect(await drain(xpub)).toEqual([])
    })

    it('with "allSubsUnsubs", reports every topic of a departed subscriber (libzmq 4.3.5)', async () => {
      const { xpub, s1 } = await setup("allSubsUnsubs")
      await drain(xpub)
      s1.close()
      expect(await receiveN(xpub, 2)).toEqual([["\x00a"], ["\x00b"]])
      expect(await drain(xpub)).toEqual([])
    })

    it("a SUB subscribing twice sends both; XPUB passes up the second only when verbose", async () => {
      const quiet = new XPublisherSocket(h.context)
      const verbose = new XPublisherSocket(h.context, { verbosity: "allSubs" })
      const sub = new SubscriberSocket(h.context)
      const events = recordEvents(sub)
      sub.connect(await quiet.bind(h.endpoint(t)))
      sub.connect(await verbose.bind(h.endpoint(t)))
      if (t === "memory") await waitFor(() => handshakes(events) === 2, 2000, "handshakes")
      sub.subscribe(ascii("x"))
      sub.subscribe(ascii("x"))
      await settle()
      expect(await drain(quiet)).toEqual([["\x01x"]])
      expect(await drain(verbose)).toEqual([["\x01x"], ["\x01x"]])
    })

    it("XSUB sends raw subscription messages; a PUB filters by them", async () => {
      const pub = new PublisherSocket(h.context)
      const xsub = new XSubscriberSocket(h.context)
      await link(h, t, pub, [xsub])
      await xsub.send(msg("\x01a"))
      await settle()
      await pub.send(msg("a1"))
      await pub.send(msg("b1"))
      expect(await drain(xsub)).toEqual([["a1"]])
      await xsub.send(msg("\x00a"))
      await settle()
      await pub.send(msg("a2"))
      expect(await drain(xsub)).toEqual([])
    })

    it("XSUB to XPUB: subscriptions and other messages arrive as sent; cancellations of unknown topics do not", async () => {
      const xpub = new XPublisherSocket(h.context, { verbosity: "allSubs" })
      const xsub = new XSubscriberSocket(h.context)
      await link(h, t, xpub, [xsub])
      await xsub.send(msg("\x00zzz"))
      await xsub.send(msg("\x01q"))
      await xsub.send(msg("\x01q"))
      await xsub.send(msg("\x00q"))
      await xsub.send(msg("\x00q"))
      await xsub.send(msg("hello", "world"))
      await settle()
      // libzmq 4.3.5 gives exactly this (XSUB counts its subscriptions and forwards the last cancel).
      expect(await drain(xpub)).toEqual([["\x01q"], ["\x01q"], ["\x00q"], ["hello", "world"]])
    })

    it("XSUB replays its subscriptions to a publisher that arrives later", async () => {
      const xsub = new XSubscriberSocket(h.context, { reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      xsub.connect(endpoint)
      await xsub.send(msg("\x01k"))
      const xpub = new XPublisherSocket(h.context)
      await xpub.bind(endpoint)
      expect(await receiveN(xpub, 1)).toEqual([["\x01k"]])
      await xpub.send(msg("k1"))
      await xpub.send(msg("z1"))
      expect(await drain(xsub)).toEqual([["k1"]])
    })
  })
}

describe("PUB high-water mark over inproc", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("drops what does not fit when noDrop is off: a link holds SNDHWM + RCVHWM (libzmq gives m0..m3)", async () => {
    const pub = new PublisherSocket(h.context, { sendHighWaterMark: 2 })
    const sub = new SubscriberSocket(h.context, { receiveHighWaterMark: 2 })
    await link(h, "inproc", pub, [sub])
    sub.subscribe(new Uint8Array(0))
    for (let i = 0; i < 10; i++) await within(pub.send(msg(`m${i}`)), 100, `send m${i}`)
    expect((await drain(sub)).map((m) => m[0])).toEqual(["m0", "m1", "m2", "m3"])
    // With room again, messages flow.
    await pub.send(msg("after"))
    expect(await receiveN(sub, 1)).toEqual([["after"]])
  })

  it("noDrop: EAGAIN with sendTimeout 0 when full (libzmq: 4 of 6), else the send waits and nothing is lost", async () => {
    const pub = new PublisherSocket(h.context, { sendHighWaterMark: 2, noDrop: true, sendTimeout: 0 })
    const sub = new SubscriberSocket(h.context, { receiveHighWaterMark: 2 })
    await link(h, "inproc", pub, [sub])
    sub.subscribe(new Uint8Array(0))
    for (let i = 0; i < 4; i++) await pub.send(msg(`m${i}`))
    await expect(pub.send(msg("over"))).rejects.toMatchObject({ code: "EAGAIN" })
    pub.options.sendTimeout = -1
    const waiting = track(pub.send(msg("waited")))
    await settle()
    expect(waiting.settled).toBe(false)
    expect(await receiveN(sub, 1)).toEqual([["m0"]])
    await within(waiting.promise, 500, "the waiting send")
    expect(await receiveN(sub, 4)).toEqual([["m1"], ["m2"], ["m3"], ["waited"]])
  })

  it("noDrop waits for the slowest subscriber; the others get each message once it goes", async () => {
    const pub = new PublisherSocket(h.context, { sendHighWaterMark: 1, noDrop: true })
    const slow = new SubscriberSocket(h.context, { receiveHighWaterMark: 1 })
    const fast = new SubscriberSocket(h.context, { receiveHighWaterMark: 1 })
    await link(h, "inproc", pub, [slow, fast])
    slow.subscribe(new Uint8Array(0))
    fast.subscribe(new Uint8Array(0))
    await pub.send(msg("m0"))
    await pub.send(msg("m1"))
    const third = track(pub.send(msg("m2")))
    await settle()
    expect(third.settled).toBe(false)
    // `fast` makes room on its link, but `slow` is still full: the message waits.
    expect(await receiveN(fast, 2)).toEqual([["m0"], ["m1"]])
    await settle()
    expect(third.settled).toBe(false)
    expect(await receiveN(slow, 1)).toEqual([["m0"]])
    await within(third.promise, 500, "the send waiting for the slow subscriber")
    expect(await receiveN(fast, 1)).toEqual([["m2"]])
    expect(await receiveN(slow, 2)).toEqual([["m1"], ["m2"]])
  })
})

describe("PUB high-water mark over memory", () => {
  // A small in-flight capacity: a SUB that stops reading pushes back on the PUB's connection, and
  // the PUB's pipe fills up to its SNDHWM.
  let h: Harness
  beforeEach(() => {
    h = new Harness({ capacity: 2048 })
  })
  afterEach(() => h.close())

  const body = "x".repeat(100)

  async function setup(noDrop: boolean) {
    const pub = new PublisherSocket(h.context, { sendHighWaterMark: 4, noDrop, sendTimeout: 0 })
    const sub = new SubscriberSocket(h.context, { receiveHighWaterMark: 1 })
    await link(h, "memory", pub, [sub])
    sub.subscribe(new Uint8Array(0))
    await settle()
    return { pub, sub }
  }

  /** With noDrop: sends, one per task, until one fails with EAGAIN; returns how many were taken. */
  async function fill(pub: PublisherSocket): Promise<number> {
    for (let n = 0; n < 500; n++) {
      const result = await pub.send(msg(`m${n}`, body)).then(
        () => undefined,
        (error: { code: string }) => error,
      )
      if (result !== undefined) {
        expect(result.code).toBe("EAGAIN")
        return n
      }
      await settle(1)
    }
    throw new Error("the PUB never filled up")
  }

  it("noDrop: once the SUB stops reading, sends fail with EAGAIN (sendTimeout 0) or wait, and nothing is lost", async () => {
    const { pub, sub } = await setup(true)
    const taken = await fill(pub)
    expect(taken).toBeGreaterThan(4)
    pub.options.sendTimeout = -1
    const waiting = track(pub.send(msg("waited", body)))
    await settle()
    expect(waiting.settled).toBe(false)
    const got = (await receiveN(sub, taken + 1)).map((m) => m[0])
    await within(waiting.promise, 1000, "the waiting send")
    expect(got).toEqual([...Array.from({ length: taken }, (_, i) => `m${i}`), "waited"])
  })

  it("without noDrop, sends never wait: exactly the messages noDrop would have waited for are dropped", async () => {
    const { pub: probe } = await setup(true)
    const taken = await fill(probe)
    const { pub, sub } = await setup(false)
    for (let n = 0; n < taken * 3; n++) {
      await within(pub.send(msg(`m${n}`, body)), 50, `send m${n}`)
      await settle(1)
    }
    expect((await drain(sub)).map((m) => m[0])).toEqual(Array.from({ length: taken }, (_, i) => `m${i}`))
    await pub.send(msg("after", body))
    expect(await receiveN(sub, 1)).toEqual([["after", body]])
  })
})
