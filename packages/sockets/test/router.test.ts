/**
 * ROUTER (RFC 28, libzmq 4.3.5 `router.cpp`): routing ids in and out, automatic ids, the connect routing
 * id, mandatory routing, handover and duplicate ids, over every transport under test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, RouterSocket } from "../src/index.js"
import {
  ascii,
  Harness,
  link,
  msg,
  receiveN,
  receiveNothing,
  recordEvents,
  settle,
  text,
  texts,
  track,
  transportsUnderTest,
  waitFor,
  within,
} from "./helpers.js"

for (const t of transportsUnderTest) {
  describe(`ROUTER over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("prefixes each message with its sender's routing id and routes replies by id", async () => {
      const router = new RouterSocket(h.context)
      const a = new DealerSocket(h.context, { routingId: ascii("A") })
      const b = new DealerSocket(h.context, { routingId: ascii("B") })
      await link(h, t, router, [a, b])
      await a.send(msg("from-a", "x"))
      await b.send(msg("from-b"))
      const got = await receiveN(router, 2)
      expect(got.sort()).toEqual([
        ["A", "from-a", "x"],
        ["B", "from-b"],
      ])
      await router.send(msg("B", "to-b", "y"))
      await router.send(msg("A", "to-a"))
      expect(await receiveN(b, 1)).toEqual([["to-b", "y"]])
      expect(await receiveN(a, 1)).toEqual([["to-a"]])
      expect(await receiveNothing(a, 20)).toEqual([])
    })

    it("routes by the bytes of the id frame, also when the application rewrites one buffer between sends", async () => {
      const router = new RouterSocket(h.context)
      const a = new DealerSocket(h.context, { routingId: ascii("peer-a") })
      const b = new DealerSocket(h.context, { routingId: ascii("peer-b") })
      await link(h, t, router, [a, b])
      await a.send(msg("hello"))
      await b.send(msg("hello"))
      const arrived = await receiveN(router, 2)
      expect(arrived.map((m) => m[0]).sort()).toEqual(["peer-a", "peer-b"])
      const id = ascii("peer-a")
      for (let i = 0; i < 4; i++) {
        id[5] = i % 2 === 0 ? 0x61 : 0x62 // "a", "b", "a", "b"
        await router.send([id, ascii(`m${i}`)])
      }
      expect(await receiveN(a, 2)).toEqual([["m0"], ["m2"]])
      expect(await receiveN(b, 2)).toEqual([["m1"], ["m3"]])
    })

    it("keeps each peer's id in a copy of its own, not a view of bytes the peer was given", async () => {
      const router = new RouterSocket(h.context)
      const given = ascii("chosen")
      const dealer = new DealerSocket(h.context, { routingId: given })
      await link(h, t, router, [dealer])
      await dealer.send(msg("x"))
      expect(await receiveN(router, 1)).toEqual([["chosen", "x"]])
      given.fill(0x7a)
      await dealer.send(msg("y"))
      expect(await receiveN(router, 1)).toEqual([["chosen", "y"]])
      await router.send(msg("chosen", "back"))
      expect(await receiveN(dealer, 1)).toEqual([["back"]])
    })

    it("makes up 5-octet ids starting with 0x00 for peers without one, distinct per peer", async () => {
      const router = new RouterSocket(h.context)
      const a = new DealerSocket(h.context)
      const b = new DealerSocket(h.context)
      await link(h, t, router, [a, b])
      await a.send(msg("a"))
      await b.send(msg("b"))
      const [first, second] = [await router.receive(), await router.receive()]
      for (const m of [first!, second!]) {
        expect(m[0]).toHaveLength(5)
        expect(m[0]![0]).toBe(0)
      }
      expect(text(first![0]!)).not.toBe(text(second![0]!))
      // The made-up id routes the reply.
      const toB = texts(first!)[1] === "b" ? first! : second!
      await router.send([toB[0]!, ascii("reply")])
      expect(await receiveN(b, 1)).toEqual([["reply"]])
      expect(await receiveNothing(a, 20)).toEqual([])
    })

    it("presents its routingId option to a ROUTER peer, which addresses it by that id", async () => {
      const server = new RouterSocket(h.context, { routingId: ascii("server") })
      const client = new RouterSocket(h.context, { routingId: ascii("client") })
      await link(h, t, server, [client])
      // The connecting ROUTER knows the server by the id the server presented.
      await client.send(msg("server", "hello"))
      expect(await receiveN(server, 1)).toEqual([["client", "hello"]])
      await server.send(msg("client", "back"))
      expect(await receiveN(client, 1)).toEqual([["server", "back"]])
    })

    it("addresses a peer by the routing id given to connect(), from the moment of the connect", async () => {
      const server = new RouterSocket(h.context, { routingId: ascii("ignored") })
      const client = new RouterSocket(h.context, { routingId: ascii("client") })
      const endpoint = await server.bind(h.endpoint(t))
      client.connect(endpoint, ascii("srv"))
      // libzmq registers a connect routing id when the pipe is attached, before any handshake: the
      // message queues in the pipe instead of being dropped as one for an unknown peer.
      await within(client.send(msg("srv", "early")), 500, "send to the connect routing id")
      expect(await receiveN(server, 1)).toEqual([["client", "early"]])
      await server.send(msg("client", "back"))
      expect(await receiveN(client, 1)).toEqual([["srv", "back"]])
    })

    it("drops a message for an unknown id when not mandatory", async () => {
      const router = new RouterSocket(h.context)
      const a = new DealerSocket(h.context, { routingId: ascii("A") })
      await link(h, t, router, [a])
      await within(router.send(msg("nobody", "lost")), 200, "send to an unknown id")
      await router.send(msg("A", "found"))
      expect(await receiveN(a, 1)).toEqual([["found"]])
      expect(await receiveNothing(a, 20)).toEqual([])
    })

    it("mandatory: EHOSTUNREACH for an unknown id once some peer is connected", async () => {
      const router = new RouterSocket(h.context, { mandatory: true })
      const a = new DealerSocket(h.context, { routingId: ascii("A") })
      await link(h, t, router, [a])
      await expect(router.send(msg("nobody", "x"))).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      await router.send(msg("A", "ok"))
      expect(await receiveN(a, 1)).toEqual([["ok"]])
    })

    it("mandatory with no peer at all: the send waits, then goes to the peer with that id", async () => {
      const router = new RouterSocket(h.context, { mandatory: true })
      const endpoint = await router.bind(h.endpoint(t))
      const pending = track(router.send(msg("A", "waited")))
      await settle()
      expect(pending.settled).toBe(false)
      const a = new DealerSocket(h.context, { routingId: ascii("A") })
      a.connect(endpoint)
      await within(pending.promise, 1000, "pending mandatory send")
      expect(await receiveN(a, 1)).toEqual([["waited"]])
    })

    it("mandatory with no peer at all: a waiting send for an id that does not come fails EHOSTUNREACH when another peer connects", async () => {
      const router = new RouterSocket(h.context, { mandatory: true })
      const endpoint = await router.bind(h.endpoint(t))
      const pending = router.send(msg("A", "x"))
      const b = new DealerSocket(h.context, { routingId: ascii("B") })
      b.connect(endpoint)
      await expect(within(pending, 1000)).rejects.toMatchObject({ code: "EHOSTUNREACH" })
    })

    it("mandatory with no peer: sendTimeout fails with EHOSTUNREACH, as libzmq does", async () => {
      const router = new RouterSocket(h.context, { mandatory: true, sendTimeout: 30 })
      await router.bind(h.endpoint(t))
      await expect(router.send(msg("A", "x"))).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      router.options.sendTimeout = 0
      await expect(router.send(msg("A", "x"))).rejects.toMatchObject({ code: "EHOSTUNREACH" })
    })

    it("a lone frame is taken as a routing id and nothing is sent, mandatory or not (libzmq)", async () => {
      const router = new RouterSocket(h.context, { mandatory: true })
      const dealer = new DealerSocket(h.context, { routingId: ascii("D") })
      await link(h, t, router, [dealer])
      await router.send(msg("D"))
      await router.send(msg("nobody"))
      await router.send(msg("D", "after"))
      expect(await receiveN(dealer, 1)).toEqual([["after"]])
      expect(await receiveNothing(dealer)).toEqual([])
    })

    it("ignores a second peer presenting a routing id already in use", async () => {
      const router = new RouterSocket(h.context)
      const first = new DealerSocket(h.context, { routingId: ascii("dup") })
      const second = new DealerSocket(h.context, { routingId: ascii("dup") })
      const endpoint = await link(h, t, router, [first])
      const events = recordEvents(router)
      second.connect(endpoint)
      if (t === "memory")
        await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "duplicate dropped")
      await settle()
      void second.send(msg("from-second")).catch(() => {})
      await first.send(msg("from-first"))
      expect(await receiveN(router, 1)).toEqual([["dup", "from-first"]])
      expect(await receiveNothing(router, 30)).toEqual([])
      await router.send(msg("dup", "to-dup"))
      expect(await receiveN(first, 1)).toEqual([["to-dup"]])
      expect(await receiveNothing(second, 20)).toEqual([])
    })

    it("handover: a second peer with the same id takes it over", async () => {
      const router = new RouterSocket(h.context, { handover: true })
      const first = new DealerSocket(h.context, { routingId: ascii("dup"), reconnectInterval: -1 })
      const second = new DealerSocket(h.context, { routingId: ascii("dup") })
      const endpoint = await link(h, t, router, [first])
      const events = recordEvents(second)
      second.connect(endpoint)
      if (t === "memory") await waitFor(() => events.some((e) => e.type === "handshake"), 2000, "handshake")
      await settle()
      await router.send(msg("dup", "to-new"))
      expect(await receiveN(second, 1)).toEqual([["to-new"]])
      expect(await receiveNothing(first, 20)).toEqual([])
      await second.send(msg("from-new"))
      expect(await receiveN(router, 1)).toEqual([["dup", "from-new"]])
    })
  })
}
