/**
 * XPUB/XSUB: a forwarding proxy (PUB -> XSUB | XPUB -> SUB) that passes subscriptions upstream and
 * messages downstream, filtering through the chain, and XPUB verbosity (which duplicate
 * subscriptions and unsubscriptions reach the application). Runs once per implementation and
 * transport.
 */

import { describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import { bindAny, type Impl, impls, socketTracker, type Transport, transports, within } from "../fixtures.js"
import { prefetched, probeUntilHeard } from "../links.js"
import { type Frames, frames } from "../messages.js"

const open = socketTracker()

/** Forwards every message from `from` to `to` until either socket closes. */
async function forward(from: zmq.Socket & zmq.Readable, to: zmq.Socket & zmq.Writable): Promise<void> {
  try {
    for await (const message of from) await to.send(message)
  } catch {
    // The test closed a socket; the proxy stops.
  }
}

function describeImpl({ zmq }: Impl, transport: Transport): void {
  /** PUB -> XSUB, XPUB -> SUB, with the XSUB and XPUB forwarding to each other. */
  async function chain(...prefixes: string[]) {
    const pub = open(new zmq.Publisher())
    const xsub = open(new zmq.XSubscriber())
    const xpub = open(new zmq.XPublisher())
    const sub = open(new zmq.Subscriber())
    if (prefixes.length === 0) sub.subscribe()
    else sub.subscribe(...prefixes)
    xsub.connect(await bindAny(pub, transport))
    sub.connect(await bindAny(xpub, transport))
    void forward(xpub, xsub)
    void forward(xsub, xpub)
    return { pub, sub }
  }

  async function receiveTexts(receive: () => Promise<Frames>, count: number): Promise<string[]> {
    const texts: string[] = []
    while (texts.length < count) texts.push(String((await within(5_000, receive(), "message"))[0]))
    return texts
  }

  it("a proxy delivers messages from PUB to SUB", async () => {
    const { pub, sub } = await chain()
    const receive = await probeUntilHeard(pub, prefetched(sub))
    const sent = ["foo", "bar", "baz", "qux"]
    for (const text of sent) await pub.send(text)
    expect(await receiveTexts(receive, sent.length)).toEqual(sent)
  })

  it("a proxy passes subscriptions upstream, so only subscribed messages arrive", async () => {
    const { pub, sub } = await chain("fo", "ba", "qu")
    sub.unsubscribe("fo", "qu")
    const receive = await probeUntilHeard(pub, prefetched(sub), frames("ba-probe"))
    for (const text of ["foo", "bar", "baz", "qux", "ba-end"]) await pub.send(text)
    expect(await receiveTexts(receive, 3)).toEqual(["bar", "baz", "ba-end"])
  })

  describe("verbosity", () => {
    /**
     * Two subscribers on one XPUB. The first subscribes to "fo"; the second proves its connection
     * with a subscription of its own, then subscribes to "fo", unsubscribes it, and subscribes to
     * "zz". Everything of the second subscriber travels in order over one connection, so the "zz"
     * subscription marks the end of what the XPUB can report.
     */
    async function subscriptionsSeen(verbosity: null | "allSubs" | "allSubsUnsubs"): Promise<string[]> {
      const xpub = open(new zmq.XPublisher())
      xpub.verbosity = verbosity
      const endpoint = await bindAny(xpub, transport)
      const sub1 = open(new zmq.Subscriber())
      const sub2 = open(new zmq.Subscriber())
      sub1.connect(endpoint)
      sub2.connect(endpoint)
      const next = async () => String((await within(5_000, xpub.receive(), "subscription"))[0])
      sub1.subscribe("fo")
      expect(await next()).toBe("\x01fo")
      sub2.subscribe("s2")
      expect(await next()).toBe("\x01s2")
      sub2.subscribe("fo")
      sub2.unsubscribe("fo")
      sub2.subscribe("zz")
      const seen: string[] = []
      for (;;) {
        const subscription = await next()
        if (subscription === "\x01zz") return seen
        seen.push(subscription)
      }
    }

    it("by default, passes only the first subscription and the last unsubscription of a topic", async () => {
      expect(await subscriptionsSeen(null)).toEqual([])
    })

    it('"allSubs" passes every subscription, but unsubscriptions only for the last subscriber', async () => {
      expect(await subscriptionsSeen("allSubs")).toEqual(["\x01fo"])
    })

    it('"allSubsUnsubs" passes every subscription and every unsubscription', async () => {
      expect(await subscriptionsSeen("allSubsUnsubs")).toEqual(["\x01fo", "\x00fo"])
    })
  })

  it("an XPUB welcome message reaches each new subscriber", async () => {
    const xpub = open(new zmq.XPublisher({ welcomeMessage: "welcome" }))
    const sub = open(new zmq.Subscriber())
    sub.subscribe("wel")
    sub.connect(await bindAny(xpub, transport))
    const [subscription] = await within(5_000, xpub.receive(), "subscription")
    expect(String(subscription)).toBe("\x01wel")
    const [welcome] = await within(5_000, sub.receive(), "welcome message")
    expect(String(welcome)).toBe("welcome")
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`XPUB/XSUB over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
