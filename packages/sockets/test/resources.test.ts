/**
 * `SocketBase.resources` and `Context.resources()`: the counts leak checks compare. Each step below
 * grows or shrinks exactly one structure, and the counts must follow it exactly, back to all zero
 * once every socket is closed.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, RouterSocket, SubscriberSocket } from "../src/index.js"
import { emptyResources, type SocketResources } from "../src/resources.js"
import { Harness, link, msg, receiveN, transportsUnderTest, waitFor } from "./helpers.js"

/** A socket holding nothing. */
const idle: SocketResources = {
  pipes: 0,
  engines: 0,
  queued: 0,
  sources: 0,
  pendingSends: 0,
  pendingReceives: 0,
  bindings: 0,
  connecters: 0,
  eventListeners: 0,
}

for (const t of transportsUnderTest) {
  describe(`resources over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    // Only ZMTP links run an engine; inproc pipes link the sockets directly.
    const engine = t === "memory" ? 1 : 0

    it("counts peers, engines, queued messages and fair-queue sources, and forgets a departed peer", async () => {
      expect(h.context.resources()).toEqual(emptyResources())
      const router = new RouterSocket(h.context)
      const a = new DealerSocket(h.context)
      const b = new DealerSocket(h.context)
      await link(h, t, router, [a, b])
      expect(router.resources).toEqual({
        ...idle,
        pipes: 2,
        engines: 2 * engine,
        bindings: t === "memory" ? 1 : 0,
        eventListeners: 1,
      })
      for (let i = 0; i < 3; i++) await a.send(msg(`a${i}`))
      await waitFor(() => router.resources.queued === 3, 2000, "three messages queued")
      expect(router.resources).toMatchObject({ queued: 3, sources: 1 })
      await receiveN(router, 3)
      // A live peer's queue is kept (no allocation per message for a busy peer).
      expect(router.resources).toMatchObject({ queued: 0, sources: 1 })
      a.close()
      await waitFor(() => router.resources.pipes === 1, 2000, "the departed peer detached")
      expect(router.resources).toMatchObject({ pipes: 1, engines: engine, sources: 0 })
      expect(b.resources).toMatchObject({ pipes: 1, engines: engine, connecters: t === "memory" ? 1 : 0 })
    })

    it("counts waiting receives and sends, and the context sums its sockets", async () => {
      const dealer = new DealerSocket(h.context, { sendHighWaterMark: 1 })
      const sub = new SubscriberSocket(h.context)
      const receive = dealer.receive()
      receive.catch(() => {})
      dealer.connect(h.endpoint(t, "nobody"))
      await dealer.send(msg("queued"))
      const send = dealer.send(msg("waits"))
      send.catch(() => {})
      expect(dealer.resources).toMatchObject({ pendingReceives: 1, pendingSends: 1, pipes: 1, engines: 0 })
      const total = h.context.resources()
      expect(total).toMatchObject({ sockets: 2, pendingReceives: 1, pendingSends: 1 })
      if (t === "inproc") expect(total.inprocPending).toBe(1)
      dealer.close()
      sub.close()
      expect(h.context.resources()).toEqual(emptyResources())
    })

    it("a socket that connected twice to the same unbound name leaves nothing pending when it closes", () => {
      const dealer = new DealerSocket(h.context)
      const endpoint = h.endpoint(t, "twice")
      dealer.connect(endpoint)
      dealer.connect(endpoint)
      if (t === "inproc") expect(h.context.resources().inprocPending).toBe(2)
      dealer.close()
      expect(h.context.resources()).toEqual(emptyResources())
    })
  })
}
