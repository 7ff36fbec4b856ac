/**
 * XPUB's `manual` (ZMQ_XPUB_MANUAL) and `welcomeMessage` (ZMQ_XPUB_WELCOME_MSG), as libzmq 4.3.5's
 * `xpub_t`: subscriptions passed up and applied by the application to the subscriber they came
 * from, and the message each subscriber gets first.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { SubscriberSocket, XPublisherSocket, XSubscriberSocket } from "../src/index.js"
import {
  ascii,
  Harness,
  link,
  msg,
  receiveN,
  receiveNothing,
  settle,
  transportsUnderTest,
  waitFor,
} from "./helpers.js"

for (const t of transportsUnderTest) {
  describe(`XPUB manual and welcomeMessage over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("manual: every subscription is passed up and none applies until the application applies it", async () => {
      const xpub = new XPublisherSocket(h.context, { manual: true })
      const a = new SubscriberSocket(h.context)
      const b = new SubscriberSocket(h.context)
      await link(h, t, xpub, [a, b])
      a.subscribe(ascii("t"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01t"]])
      b.subscribe(ascii("t"))
      // Not the first subscription to "t", passed up all the same.
      expect(await receiveN(xpub, 1)).toEqual([["\x01t"]])
      await xpub.send(msg("t1"))
      expect(await receiveNothing(a, 20)).toEqual([])
      expect(await receiveNothing(b, 20)).toEqual([])
      // The last subscription received came from b: only b is subscribed.
      xpub.subscribeLast(ascii("t"))
      await xpub.send(msg("t2"))
      expect(await receiveN(b, 1)).toEqual([["t2"]])
      expect(await receiveNothing(a, 20)).toEqual([])
    })

    it("manual: the application may subscribe the subscriber to another topic than it asked for", async () => {
      const xpub = new XPublisherSocket(h.context, { manual: true })
      const xsub = new XSubscriberSocket(h.context)
      await link(h, t, xpub, [xsub])
      // The XSUB takes every message (it filters too), the XPUB decides what it sends it.
      await xsub.send([Uint8Array.of(1)])
      expect(await receiveN(xpub, 1)).toEqual([["\x01"]])
      xpub.subscribeLast(ascii("b"))
      await xpub.send(msg("a1"))
      await xpub.send(msg("b1"))
      expect(await receiveN(xsub, 1)).toEqual([["b1"]])
      expect(await receiveNothing(xsub, 20)).toEqual([])
    })

    it("manual: cancellations are passed up too, and unsubscribeLast applies one", async () => {
      const xpub = new XPublisherSocket(h.context, { manual: true })
      const sub = new SubscriberSocket(h.context)
      await link(h, t, xpub, [sub])
      sub.subscribe(ascii("t"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01t"]])
      xpub.subscribeLast(ascii("t"))
      sub.unsubscribe(ascii("t"))
      expect(await receiveN(xpub, 1)).toEqual([["\x00t"]])
      xpub.unsubscribeLast(ascii("t"))
      sub.subscribe(ascii("t"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01t"]])
      // The XPUB no longer sends "t" to it until the application subscribes it again.
      await xpub.send(msg("t1"))
      expect(await receiveNothing(sub, 20)).toEqual([])
      xpub.subscribeLast(ascii("t"))
      await xpub.send(msg("t2"))
      expect(await receiveN(sub, 1)).toEqual([["t2"]])
    })

    it("manual: a departed subscriber's every requested topic is reported, and subscribeLast then does nothing", async () => {
      const xpub = new XPublisherSocket(h.context, { manual: true })
      const stays = new SubscriberSocket(h.context)
      const leaves = new SubscriberSocket(h.context)
      await link(h, t, xpub, [stays, leaves])
      stays.subscribe(ascii("a"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01a"]])
      xpub.subscribeLast(ascii("a"))
      leaves.subscribe(ascii("a"))
      leaves.subscribe(ascii("b"))
      expect(await receiveN(xpub, 2)).toEqual([["\x01a"], ["\x01b"]])
      leaves.close()
      // "a" is still wanted by `stays`, and is reported all the same.
      expect(await receiveN(xpub, 2)).toEqual([["\x00a"], ["\x00b"]])
      expect(xpub.resources.pipes).toBe(1)
      xpub.subscribeLast(ascii("b"))
      await xpub.send(msg("b1"))
      await xpub.send(msg("a1"))
      expect(await receiveN(stays, 1)).toEqual([["a1"]])
    })

    it("without manual, subscribeLast does nothing and subscriptions apply as usual", async () => {
      const xpub = new XPublisherSocket(h.context)
      const sub = new SubscriberSocket(h.context)
      await link(h, t, xpub, [sub])
      sub.subscribe(ascii("a"))
      expect(await receiveN(xpub, 1)).toEqual([["\x01a"]])
      xpub.subscribeLast(ascii("b"))
      await xpub.send(msg("b1"))
      await xpub.send(msg("a1"))
      expect(await receiveN(sub, 1)).toEqual([["a1"]])
    })

    it("welcomeMessage: each subscriber gets it as it connects, before anything else", async () => {
      const xpub = new XPublisherSocket(h.context, { welcomeMessage: ascii("Welcome") })
      const endpoint = await xpub.bind(h.endpoint(t))
      const first = new SubscriberSocket(h.context)
      first.subscribe(ascii("W"))
      first.connect(endpoint)
      expect(await receiveN(first, 1)).toEqual([["Welcome"]])
      expect(await receiveN(xpub, 1)).toEqual([["\x01W"]])
      const second = new SubscriberSocket(h.context)
      second.subscribe(ascii("W"))
      second.connect(endpoint)
      expect(await receiveN(second, 1)).toEqual([["Welcome"]])
      // A subscriber that does not subscribe to it filters it out, as any message.
      const other = new XSubscriberSocket(h.context)
      other.connect(endpoint)
      await xpub.send(msg("W-after"))
      expect(await receiveN(first, 1)).toEqual([["W-after"]])
      expect(await receiveNothing(first, 20)).toEqual([])
      expect(await receiveNothing(other, 20)).toEqual([])
    })

    it("welcomeMessage: a connecting XPUB sends it once its subscriber is there", async () => {
      const sub = new SubscriberSocket(h.context)
      sub.subscribe(ascii(""))
      const endpoint = await sub.bind(h.endpoint(t))
      const xpub = new XPublisherSocket(h.context, { welcomeMessage: ascii("hi") })
      xpub.connect(endpoint)
      expect(await receiveN(sub, 1)).toEqual([["hi"]])
      expect(await receiveNothing(sub, 20)).toEqual([])
    })

    it("welcomeMessage set to null: no welcome", async () => {
      const xpub = new XPublisherSocket(h.context, { welcomeMessage: ascii("x") })
      xpub.options.welcomeMessage = null
      const sub = new SubscriberSocket(h.context)
      sub.subscribe(ascii(""))
      await link(h, t, xpub, [sub])
      await waitFor(() => xpub.readable, 2000, "subscription")
      await settle()
      expect(await receiveNothing(sub, 20)).toEqual([])
    })
  })
}
