/**
 * `probeRouter` (libzmq `ZMQ_PROBE_ROUTER`): DEALER, REQ and ROUTER write an empty message to each
 * pipe as they attach it, so that a ROUTER peer learns the peer's routing id first.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, PullSocket, PushSocket, RequestSocket, RouterSocket } from "../src/index.js"
import { ascii, Harness, link, msg, receiveN, receiveNothing, transportsUnderTest } from "./helpers.js"

describe("probeRouter", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  for (const t of transportsUnderTest) {
    describe(t, () => {
      it("a DEALER's probe reaches the ROUTER as an empty message from its routing id, before anything else", async () => {
        const router = new RouterSocket(h.context)
        const dealer = new DealerSocket(h.context, { probeRouter: true, routingId: ascii("d1") })
        await link(h, t, router, [dealer])
        expect(await receiveN(router, 1)).toEqual([["d1", ""]])
        // The ROUTER can address the peer at once, with nothing sent by the application.
        await router.send([ascii("d1"), ascii("hello")])
        expect(await receiveN(dealer, 1)).toEqual([["hello"]])
        await dealer.send(msg("after"))
        expect(await receiveN(router, 1)).toEqual([["d1", "after"]])
      })

      it("a REQ's probe has no delimiter and leaves the REQ free to send its request", async () => {
        const router = new RouterSocket(h.context)
        const req = new RequestSocket(h.context, { probeRouter: true, routingId: ascii("r1") })
        await link(h, t, router, [req])
        expect(await receiveN(router, 1)).toEqual([["r1", ""]])
        await req.send(msg("question"))
        expect(await receiveN(router, 1)).toEqual([["r1", "", "question"]])
        await router.send([ascii("r1"), new Uint8Array(0), ascii("answer")])
        expect(await receiveN(req, 1)).toEqual([["answer"]])
      })

      it("a ROUTER probes each peer: a DEALER receives an empty message, a ROUTER it from the prober's id", async () => {
        const prober = new RouterSocket(h.context, { probeRouter: true, routingId: ascii("p") })
        const dealer = new DealerSocket(h.context)
        await link(h, t, prober, [dealer])
        expect(await receiveN(dealer, 1)).toEqual([[""]])

        const binder = new RouterSocket(h.context)
        const connecting = new RouterSocket(h.context, { probeRouter: true, routingId: ascii("c") })
        await link(h, t, binder, [connecting])
        expect(await receiveN(binder, 1)).toEqual([["c", ""]])
        expect(await receiveNothing(connecting)).toEqual([])
      })

      it("without probeRouter nothing is sent first", async () => {
        const router = new RouterSocket(h.context)
        const dealer = new DealerSocket(h.context, { routingId: ascii("d1") })
        await link(h, t, router, [dealer])
        expect(await receiveNothing(router)).toEqual([])
      })

      it("a connect before the bind sends one probe, once the connection is up", async () => {
        const dealer = new DealerSocket(h.context, { probeRouter: true, routingId: ascii("early") })
        const endpoint = h.endpoint(t)
        dealer.connect(endpoint)
        await dealer.send(msg("queued"))
        const router = new RouterSocket(h.context)
        await router.bind(endpoint)
        expect(await receiveN(router, 2)).toEqual([
          ["early", ""],
          ["early", "queued"],
        ])
        expect(await receiveNothing(router)).toEqual([])
      })

      it("has no effect on a PUSH", async () => {
        const push = new PushSocket(h.context, { probeRouter: true })
        const pull = new PullSocket(h.context)
        await link(h, t, pull, [push])
        await push.send(msg("only"))
        expect(await receiveN(pull, 1)).toEqual([["only"]])
        expect(await receiveNothing(pull)).toEqual([])
      })
    })
  }
})
