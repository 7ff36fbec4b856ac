/**
 * REQ's `relaxed` and `correlate` (libzmq 4.3.5 `req.cpp`, ZMQ_REQ_RELAXED and ZMQ_REQ_CORRELATE): a
 * request sent before the last reply, what becomes of that reply, and the request id frame.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { RequestSocket, RouterSocket } from "../src/index.js"
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
} from "./helpers.js"

/** The 32-bit value of a request id frame, read as libzmq writes it on little-endian hosts. */
function idOf(frame: Uint8Array): number {
  expect(frame.length).toBe(4)
  return (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0
}

for (const t of transportsUnderTest) {
  describe(`REQ relaxed and correlate over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    /** A REQ connected to two ROUTERs, in the order it load-balances over them. */
    async function twoPeers(options: { relaxed?: boolean; correlate?: boolean }) {
      const first = new RouterSocket(h.context)
      const second = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R"), ...options })
      const events = recordEvents(req)
      req.connect(await first.bind(h.endpoint(t)))
      req.connect(await second.bind(h.endpoint(t)))
      if (t === "memory") await waitFor(() => handshakes(events) === 2, 2000, "handshakes")
      return { first, second, req }
    }

    it("strict (the default): a second send waits, and fails with EFSM after sendTimeout", async () => {
      const { first, req } = await twoPeers({})
      await req.send(msg("q1"))
      req.options.sendTimeout = 0
      await expect(req.send(msg("q2"))).rejects.toMatchObject({ code: "EFSM" })
      expect(await receiveN(first, 1)).toEqual([["R", "", "q1"]])
    })

    it("relaxed: a new request goes out at once, to the next peer; the old peer's late reply is dropped", async () => {
      const { first, second, req } = await twoPeers({ relaxed: true })
      await req.send(msg("q1"))
      expect(await receiveN(first, 1)).toEqual([["R", "", "q1"]])
      await req.send(msg("q2"))
      expect(await receiveN(second, 1)).toEqual([["R", "", "q2"]])
      await first.send(msg("R", "", "reply to q1"))
      await settle()
      await second.send(msg("R", "", "reply to q2"))
      expect(await receiveN(req, 1)).toEqual([["reply to q2"]])
      expect(await receiveNothing(req, 20)).toEqual([])
      // The abandoned request's pipe stays: the next request goes to the first peer again.
      await req.send(msg("q3"))
      expect(await receiveN(first, 1)).toEqual([["R", "", "q3"]])
      expect(req.resources.pipes).toBe(2)
    })

    it("relaxed: a reply that arrived but was not received is dropped by the next request", async () => {
      const { first, second, req } = await twoPeers({ relaxed: true })
      await req.send(msg("q1"))
      expect(await receiveN(first, 1)).toEqual([["R", "", "q1"]])
      await first.send(msg("R", "", "reply to q1"))
      await waitFor(() => req.readable, 2000, "reply queued")
      await req.send(msg("q2"))
      expect(req.readable).toBe(false)
      expect(req.resources.queued).toBe(0)
      expect(await receiveN(second, 1)).toEqual([["R", "", "q2"]])
      await second.send(msg("R", "", "reply to q2"))
      expect(await receiveN(req, 1)).toEqual([["reply to q2"]])
    })

    it("relaxed without correlate: a late reply from the same peer is taken as the new request's (libzmq)", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R"), relaxed: true })
      await link(h, t, router, [req])
      await req.send(msg("q1"))
      await req.send(msg("q2"))
      expect(await receiveN(router, 2)).toEqual([
        ["R", "", "q1"],
        ["R", "", "q2"],
      ])
      await router.send(msg("R", "", "reply to q1"))
      await router.send(msg("R", "", "reply to q2"))
      expect(await receiveN(req, 1)).toEqual([["reply to q1"]])
      expect(await receiveNothing(req, 20)).toEqual([])
    })

    it("relaxed: a receive waiting across the new request gets the new request's reply", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R"), relaxed: true, correlate: true })
      await link(h, t, router, [req])
      await req.send(msg("q1"))
      const reply = track(req.receive())
      await req.send(msg("q2"))
      const [q1, q2] = [(await router.receive()) as Uint8Array[], (await router.receive()) as Uint8Array[]]
      await router.send([q1[0]!, q1[1]!, ascii(""), ascii("reply to q1")])
      await settle()
      expect(reply.settled).toBe(false)
      await router.send([q2[0]!, q2[1]!, ascii(""), ascii("reply to q2")])
      expect(new TextDecoder().decode((await reply.promise)[0])).toBe("reply to q2")
    })

    it("correlate: each request carries a 4-octet id before the delimiter, one more each time", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R"), correlate: true })
      await link(h, t, router, [req])
      const ids: number[] = []
      for (let i = 0; i < 3; i++) {
        await req.send(msg(`q${i}`))
        const frames = await router.receive()
        expect(frames).toHaveLength(4)
        expect(new TextDecoder().decode(frames[0])).toBe("R")
        ids.push(idOf(frames[1]!))
        expect(frames[2]!.length).toBe(0)
        expect(new TextDecoder().decode(frames[3])).toBe(`q${i}`)
        await router.send([frames[0]!, frames[1]!, new Uint8Array(0), ascii(`r${i}`)])
        expect(await receiveN(req, 1)).toEqual([[`r${i}`]])
      }
      expect(ids[1]).toBe((ids[0]! + 1) >>> 0)
      expect(ids[2]).toBe((ids[0]! + 2) >>> 0)
    })

    it("correlate: replies with another id, or without one, are dropped; the connection stays", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R"), correlate: true })
      const events = recordEvents(req)
      await link(h, t, router, [req])
      await req.send(msg("q"))
      const [peer, id] = (await router.receive()) as Uint8Array[]
      const other = Uint8Array.from(id!)
      other[0] = (other[0]! + 1) & 0xff
      await router.send([peer!, other, new Uint8Array(0), ascii("wrong id")])
      await router.send([peer!, new Uint8Array(0), ascii("no id")])
      await settle()
      expect(req.readable).toBe(false)
      await router.send([peer!, id!, new Uint8Array(0), ascii("right id")])
      expect(await receiveN(req, 1)).toEqual([["right id"]])
      expect(events.filter((e) => e.type === "disconnect")).toEqual([])
    })

    it("without correlate, a reply that carries an id frame is skipped, not taken", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R") })
      await link(h, t, router, [req])
      await req.send(msg("q"))
      await receiveN(router, 1)
      await router.send([ascii("R"), ascii("abcd"), new Uint8Array(0), ascii("with id")])
      await settle()
      expect(req.readable).toBe(false)
      await router.send(msg("R", "", "plain"))
      expect(await receiveN(req, 1)).toEqual([["plain"]])
    })
  })
}

describe("REQ: a malformed reply", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("over a connection, drops it, as libzmq's REQ session does", async () => {
    const router = new RouterSocket(h.context)
    const req = new RequestSocket(h.context, { routingId: ascii("R") })
    const events = recordEvents(req)
    await link(h, "memory", router, [req])
    await req.send(msg("q"))
    await receiveN(router, 1)
    await router.send(msg("R", "no delimiter"))
    await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "disconnect")
    expect(req.readable).toBe(false)
  })

  it("over inproc (no session), is skipped", async () => {
    const router = new RouterSocket(h.context)
    const req = new RequestSocket(h.context, { routingId: ascii("R") })
    await link(h, "inproc", router, [req])
    await req.send(msg("q"))
    await receiveN(router, 1)
    await router.send(msg("R", "no delimiter"))
    await router.send(msg("R", ""))
    await router.send(msg("R", "", "good"))
    expect(await receiveN(req, 1)).toEqual([["good"]])
    expect(req.resources.pipes).toBe(1)
  })
})
