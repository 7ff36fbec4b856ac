/**
 * REQ and REP (RFC 28, libzmq 4.3.5 `req.cpp`, `rep.cpp`): the empty delimiter, strict alternation and
 * its EFSM errors, envelopes kept across ROUTER-DEALER hops, over every transport under test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, ReplySocket, RequestSocket, RouterSocket } from "../src/index.js"
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
  texts,
  track,
  transportsUnderTest,
  waitFor,
  within,
} from "./helpers.js"

for (const t of transportsUnderTest) {
  describe(`REQ/REP over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("a request and its reply, many times in a row", async () => {
      const rep = new ReplySocket(h.context)
      const req = new RequestSocket(h.context)
      await link(h, t, rep, [req])
      for (let i = 0; i < 5; i++) {
        await req.send(msg(`q${i}`, "part"))
        expect(await receiveN(rep, 1)).toEqual([[`q${i}`, "part"]])
        await rep.send(msg(`r${i}`))
        expect(await receiveN(req, 1)).toEqual([[`r${i}`]])
      }
    })

    it("REQ puts an empty delimiter before the request; a ROUTER sees it", async () => {
      const router = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R") })
      await link(h, t, router, [req])
      await req.send(msg("hello"))
      expect(await receiveN(router, 1)).toEqual([["R", "", "hello"]])
      await router.send(msg("R", "", "world"))
      expect(await receiveN(req, 1)).toEqual([["world"]])
    })

    it("REQ load-balances requests over its peers, one request at a time", async () => {
      const reps = [0, 1].map(() => new ReplySocket(h.context))
      const req = new RequestSocket(h.context)
      const endpoints: string[] = []
      for (const rep of reps) endpoints.push(await rep.bind(h.endpoint(t)))
      for (const endpoint of endpoints) req.connect(endpoint)
      for (let i = 0; i < 4; i++) {
        await req.send(msg(`q${i}`))
        const rep = reps[i % 2]!
        expect(await receiveN(rep, 1)).toEqual([[`q${i}`]])
        await rep.send(msg(`r${i}`))
        expect(await receiveN(req, 1)).toEqual([[`r${i}`]])
      }
    })

    it("REQ accepts the reply only from the peer it asked, and only one", async () => {
      const asked = new RouterSocket(h.context)
      const other = new RouterSocket(h.context)
      const req = new RequestSocket(h.context, { routingId: ascii("R") })
      const events = recordEvents(req)
      req.connect(await asked.bind(h.endpoint(t)))
      req.connect(await other.bind(h.endpoint(t)))
      if (t === "memory") await waitFor(() => handshakes(events) === 2, 2000, "handshakes")
      await req.send(msg("q"))
      expect(await receiveN(asked, 1)).toEqual([["R", "", "q"]])
      // A stray "reply" from a peer that was not asked is dropped.
      await other.send(msg("R", "", "stray"))
      await settle()
      await asked.send(msg("R", "", "answer"))
      await asked.send(msg("R", "", "duplicate"))
      expect(await receiveN(req, 1)).toEqual([["answer"]])
      // The second answer from the same peer was dropped too; the next request goes to `other`.
      await req.send(msg("q2"))
      expect(await receiveN(other, 1)).toEqual([["R", "", "q2"]])
      await other.send(msg("R", "", "answer2"))
      expect(await receiveN(req, 1)).toEqual([["answer2"]])
      expect(await receiveNothing(req, 20)).toEqual([])
    })

    it("REQ: a second send waits until the reply was received", async () => {
      const rep = new ReplySocket(h.context)
      const req = new RequestSocket(h.context)
      await link(h, t, rep, [req])
      await req.send(msg("first"))
      const second = track(req.send(msg("second")))
      expect(await receiveN(rep, 1)).toEqual([["first"]])
      await rep.send(msg("reply1"))
      await settle()
      expect(second.settled).toBe(false)
      expect(await receiveNothing(rep, 20)).toEqual([])
      expect(await receiveN(req, 1)).toEqual([["reply1"]])
      await within(second.promise, 500, "second request")
      expect(await receiveN(rep, 1)).toEqual([["second"]])
    })

    it("REQ: a second send with sendTimeout fails with EFSM", async () => {
      const rep = new ReplySocket(h.context)
      const req = new RequestSocket(h.context, { sendTimeout: 20 })
      await link(h, t, rep, [req])
      await req.send(msg("first"))
      await expect(req.send(msg("second"))).rejects.toMatchObject({ code: "EFSM" })
      req.options.sendTimeout = 0
      await expect(req.send(msg("third"))).rejects.toMatchObject({ code: "EFSM" })
    })

    it("REQ: receive before any send fails with EFSM after receiveTimeout", async () => {
      const req = new RequestSocket(h.context, { receiveTimeout: 20 })
      await expect(req.receive()).rejects.toMatchObject({ code: "EFSM" })
      req.options.receiveTimeout = 0
      await expect(req.receive()).rejects.toMatchObject({ code: "EFSM" })
    })

    it("REQ: a receive waiting before the send gets the reply", async () => {
      const rep = new ReplySocket(h.context)
      const req = new RequestSocket(h.context)
      await link(h, t, rep, [req])
      const reply = req.receive()
      await req.send(msg("q"))
      await receiveN(rep, 1)
      await rep.send(msg("r"))
      expect(texts(await within(reply, 1000))).toEqual(["r"])
    })

    it("REP skips requests without the empty delimiter", async () => {
      const rep = new ReplySocket(h.context)
      const dealer = new DealerSocket(h.context)
      await link(h, t, rep, [dealer])
      await dealer.send(msg("no-delimiter"))
      await dealer.send(msg("", "good"))
      expect(await receiveN(rep, 1)).toEqual([["good"]])
      await rep.send(msg("reply"))
      expect(await receiveN(dealer, 1)).toEqual([["", "reply"]])
      expect(await receiveNothing(rep, 20)).toEqual([])
    })

    it("REP: send before receive waits, and fails with EFSM after sendTimeout", async () => {
      const rep = new ReplySocket(h.context, { sendTimeout: 20 })
      await expect(rep.send(msg("x"))).rejects.toMatchObject({ code: "EFSM" })
      rep.options.sendTimeout = -1
      const req = new RequestSocket(h.context)
      await link(h, t, rep, [req])
      const early = track(rep.send(msg("early-reply")))
      await settle()
      expect(early.settled).toBe(false)
      await req.send(msg("q"))
      expect(await receiveN(rep, 1)).toEqual([["q"]])
      await within(early.promise, 500, "the waiting reply")
      expect(await receiveN(req, 1)).toEqual([["early-reply"]])
    })

    it("REP: a second receive waits until the reply was sent", async () => {
      const rep = new ReplySocket(h.context)
      const a = new RequestSocket(h.context)
      const b = new RequestSocket(h.context)
      await link(h, t, rep, [a, b])
      await a.send(msg("qa"))
      await b.send(msg("qb"))
      const first = texts(await rep.receive())
      const second = track(rep.receive())
      await settle()
      expect(second.settled).toBe(false)
      await rep.send(msg(`re-${first[0]}`))
      const other = texts(await within(second.promise, 500))
      await rep.send(msg(`re-${other[0]}`))
      expect([first[0], other[0]].sort()).toEqual(["qa", "qb"])
      expect(await receiveN(a, 1)).toEqual([["re-qa"]])
      expect(await receiveN(b, 1)).toEqual([["re-qb"]])
    })

    it("REP restores the whole envelope: replies cross a ROUTER-DEALER broker to the right REQ", async () => {
      const frontend = new RouterSocket(h.context)
      const backend = new DealerSocket(h.context)
      const rep = new ReplySocket(h.context)
      const clients = [0, 1, 2].map((i) => new RequestSocket(h.context, { routingId: ascii(`c${i}`) }))
      await link(h, t, frontend, clients)
      await link(h, t, backend, [rep])
      for (const [i, c] of clients.entries()) await c.send(msg(`q${i}`))
      // The broker: ROUTER -> DEALER and back, frames passed as they are.
      for (let i = 0; i < 3; i++) await backend.send(await frontend.receive())
      for (let i = 0; i < 3; i++) {
        const request = texts(await rep.receive())
        await rep.send(msg(`re-${request[0]}`))
      }
      const replies: string[][] = []
      for (let i = 0; i < 3; i++) {
        const reply = await backend.receive()
        replies.push(texts(reply))
        await frontend.send(reply)
      }
      // The DEALER sees each reply with the envelope the REP restored: client id, delimiter, body.
      expect(replies.sort()).toEqual([
        ["c0", "", "re-q0"],
        ["c1", "", "re-q1"],
        ["c2", "", "re-q2"],
      ])
      for (const [i, c] of clients.entries()) expect(await receiveN(c, 1)).toEqual([[`re-q${i}`]])
    })

    it("REP keeps each envelope with its request when requests are served out of arrival order", async () => {
      const rep = new ReplySocket(h.context)
      const a = new DealerSocket(h.context)
      const b = new DealerSocket(h.context)
      await link(h, t, rep, [a, b])
      // Multi-hop envelopes: each request carries two routing frames before the delimiter.
      await a.send(msg("a-hop1", "a-hop2", "", "qa0"))
      await a.send(msg("a-hop1", "a-hop2", "", "qa1"))
      await b.send(msg("b-hop", "", "qb0"))
      await settle()
      for (let i = 0; i < 3; i++) {
        const request = texts(await rep.receive())
        await rep.send(msg(`re-${request[0]}`))
      }
      expect(await receiveN(a, 2)).toEqual([
        ["a-hop1", "a-hop2", "", "re-qa0"],
        ["a-hop1", "a-hop2", "", "re-qa1"],
      ])
      expect(await receiveN(b, 1)).toEqual([["b-hop", "", "re-qb0"]])
    })
  })
}
