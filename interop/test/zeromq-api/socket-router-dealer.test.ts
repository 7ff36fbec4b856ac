/**
 * ROUTER/DEALER: a ROUTER echoing to several DEALERs by routing id, the ids it makes up for
 * anonymous peers, and unroutable messages with and without `mandatory`. Runs once per
 * implementation and transport.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  type Impl,
  impls,
  outcome,
  sleep,
  socketTracker,
  type Transport,
  track,
  transports,
  within,
} from "../fixtures.js"
import { expectFrames, frames } from "../messages.js"

const open = socketTracker()

const UNREACHABLE = { code: "EHOSTUNREACH", message: "Host unreachable" }

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("a ROUTER echoes to each DEALER what that DEALER sent", async () => {
    const router = open(new zmq.Router())
    const endpoint = await bindAny(router, transport)
    const dealers = [open(new zmq.Dealer()), open(new zmq.Dealer())]
    for (const dealer of dealers) dealer.connect(endpoint)
    const echo = (async () => {
      try {
        for await (const [sender, ...rest] of router) await router.send([sender!, ...rest])
      } catch {
        // Closed at the end of the test.
      }
    })()
    const sent = ["foo", "bar", "baz", "qux"]
    for (const text of sent) {
      await dealers[0]!.send(`A-${text}`)
      await dealers[1]!.send(`B-${text}`)
    }
    const collect = async (index: number, prefix: string) => {
      const got: string[] = []
      for (let i = 0; i < sent.length; i += 1)
        got.push(String((await within(5_000, dealers[index]!.receive(), "echo"))[0]))
      expect(got).toEqual(sent.map((text) => `${prefix}-${text}`))
    }
    await collect(0, "A")
    await collect(1, "B")
    router.close()
    await echo
  })

  it("an anonymous DEALER gets a 5-byte routing id starting with a zero byte", async () => {
    const router = open(new zmq.Router())
    const dealers = [open(new zmq.Dealer()), open(new zmq.Dealer())]
    const endpoint = await bindAny(router, transport)
    for (const dealer of dealers) {
      dealer.connect(endpoint)
      await dealer.send("hi")
    }
    const ids = [
      (await within(5_000, router.receive(), "first"))[0]!,
      (await within(5_000, router.receive(), "second"))[0]!,
    ]
    for (const id of ids) {
      expect(id.length).toBe(5)
      expect(id[0]).toBe(0)
    }
    expect(ids[0]!.equals(ids[1]!)).toBe(false)
  })

  it("with mandatory and no peers, sendTimeout 0 rejects with EHOSTUNREACH", async () => {
    const router = open(new zmq.Router({ mandatory: true, sendTimeout: 0 }))
    await bindAny(router, transport)
    expect(await outcome(() => router.send(["fooId", "foo"]))).toMatchObject({
      how: "rejected",
      error: UNREACHABLE,
    })
  })

  it("with mandatory and a connected peer, an unknown routing id rejects with EHOSTUNREACH", async () => {
    const router = open(new zmq.Router({ mandatory: true }))
    const dealer = open(new zmq.Dealer())
    dealer.connect(await bindAny(router, transport))
    await dealer.send("hi")
    await within(5_000, router.receive(), "hi")
    expect(await outcome(() => router.send(["unknown", "foo"]))).toMatchObject({
      how: "rejected",
      error: UNREACHABLE,
    })
  })

  it("with mandatory and no peers at all, a send waits until the addressed peer connects", async () => {
    const router = open(new zmq.Router({ mandatory: true }))
    const endpoint = await bindAny(router, transport)
    const sending = track(router.send(["late", "hello"]))
    await sleep(50)
    expect(sending.state()).toBe("pending")
    const dealer = open(new zmq.Dealer({ routingId: "late" }))
    dealer.connect(endpoint)
    await within(5_000, sending.promise, "the pending send")
    expectFrames(await within(5_000, dealer.receive(), "hello"), frames("hello"))
  })

  it("without mandatory, a message to an unknown routing id is dropped silently", async () => {
    const router = open(new zmq.Router())
    const dealer = open(new zmq.Dealer({ routingId: "known" }))
    dealer.connect(await bindAny(router, transport))
    await dealer.send("hi")
    await within(5_000, router.receive(), "hi")
    expect(await outcome(() => router.send(["unknown", "lost"]))).toEqual({
      how: "resolved",
      value: undefined,
    })
    await router.send(["known", "kept"])
    expectFrames(await within(5_000, dealer.receive(), "kept"), frames("kept"))
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`ROUTER/DEALER over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
