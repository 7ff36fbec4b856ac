/**
 * PUB/SUB: delivery to a subscriber that subscribed to everything, prefix filtering with several
 * subscriptions and unsubscriptions, and a publisher without subscribers. Runs once per
 * implementation and transport.
 *
 * Instead of sleeping to let the subscription propagate, the publisher publishes a probe until the
 * subscriber hears it (links.ts, `probeUntilHeard`); the subscriber then skips the leftover probes.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  type Impl,
  impls,
  outcome,
  socketTracker,
  type Transport,
  transports,
  within,
} from "../fixtures.js"
import { prefetched, probeUntilHeard } from "../links.js"
import { type Frames, frames } from "../messages.js"

const open = socketTracker()

async function receiveTexts(receive: () => Promise<Frames>, count: number): Promise<string[]> {
  const texts: string[] = []
  while (texts.length < count)
    texts.push(String((await within(5_000, receive(), `message ${texts.length}`))[0]))
  return texts
}

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("delivers every message to a subscriber of everything (SUB binds)", async () => {
    const pub = open(new zmq.Publisher())
    const sub = open(new zmq.Subscriber())
    sub.subscribe()
    pub.connect(await bindAny(sub, transport))
    const receive = await probeUntilHeard(pub, prefetched(sub))
    const sent = ["foo", "bar", "baz", "qux"]
    for (const text of sent) await pub.send(text)
    const received = await receiveTexts(receive, sent.length)
    expect(received).toEqual(sent)
  })

  it("received frames are Buffers", async () => {
    const pub = open(new zmq.Publisher())
    const sub = open(new zmq.Subscriber())
    sub.subscribe()
    sub.connect(await bindAny(pub, transport))
    const receive = await probeUntilHeard(pub, prefetched(sub))
    await pub.send(["topic", "body"])
    const message = await within(5_000, receive(), "message")
    expect(message.every((frame) => Buffer.isBuffer(frame))).toBe(true)
    expect(message.map(String)).toEqual(["topic", "body"])
  })

  it("filters by prefix, honouring later unsubscriptions", async () => {
    const pub = open(new zmq.Publisher())
    const sub = open(new zmq.Subscriber())
    sub.subscribe("fo", "ba", "qu")
    sub.unsubscribe("fo", "qu")
    pub.connect(await bindAny(sub, transport))
    const receive = await probeUntilHeard(pub, prefetched(sub), frames("ba-probe"))
    for (const text of ["foo", "bar", "baz", "qux", "ba"]) await pub.send(text)
    expect(await receiveTexts(receive, 3)).toEqual(["bar", "baz", "ba"])
  })

  it("accepts Buffer prefixes, including bytes that are not text", async () => {
    const pub = open(new zmq.Publisher())
    const sub = open(new zmq.Subscriber())
    sub.subscribe(Buffer.from([0xff, 0x00]))
    sub.connect(await bindAny(pub, transport))
    const probe = [Buffer.from([0xff, 0x00, 0x01])]
    const receive = await probeUntilHeard(pub, prefetched(sub), probe)
    await pub.send(Buffer.from([0xff, 0x01]))
    await pub.send(Buffer.from([0xff, 0x00, 0x02]))
    const [frame] = await within(5_000, receive(), "the matching message")
    expect(frame).toEqual(Buffer.from([0xff, 0x00, 0x02]))
  })

  it("a publisher without subscribers sends into the void without waiting", async () => {
    const pub = open(new zmq.Publisher({ sendTimeout: 0 }))
    await bindAny(pub, transport)
    expect(await outcome(() => pub.send("nobody listens"))).toEqual({ how: "resolved", value: undefined })
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`PUB/SUB over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
