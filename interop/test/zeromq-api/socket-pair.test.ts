/**
 * PAIR: an echo conversation in both directions, and a binding PAIR that talks to its first peer
 * only. Runs once per implementation and transport.
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
import { greet } from "../links.js"

const open = socketTracker()

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("echoes every message back, in order", async () => {
    const a = open(new zmq.Pair())
    const b = open(new zmq.Pair())
    b.connect(await bindAny(a, transport))
    const sent = ["foo", "bar", "baz", "qux"]
    const echo = (async () => {
      for await (const message of b) await b.send(message)
    })()
    for (const text of sent) await a.send(text)
    const received: string[] = []
    for await (const [frame] of a) {
      received.push(String(frame))
      if (received.length === sent.length) break
    }
    b.close()
    await within(5_000, echo, "the echo loop to end")
    expect(received).toEqual(sent)
  })

  it("a binding PAIR ignores a second peer", async () => {
    const server = open(new zmq.Pair())
    const first = open(new zmq.Pair())
    const second = open(new zmq.Pair())
    const endpoint = await bindAny(server, transport)
    first.connect(endpoint)
    await greet(first, server)
    const shaken = within(
      5_000,
      new Promise<void>((resolve) => second.events.on("handshake", () => resolve())),
      "the second peer's handshake",
    )
    second.connect(endpoint)
    await shaken
    await second.send("from-second").catch(() => {})
    await server.send("to-first")
    expect(String((await within(5_000, first.receive(), "to-first"))[0])).toBe("to-first")
    second.receiveTimeout = 100
    expect(await outcome(() => second.receive())).toMatchObject({
      how: "rejected",
      error: { code: "EAGAIN" },
    })
    server.receiveTimeout = 100
    expect(await outcome(() => server.receive())).toMatchObject({
      how: "rejected",
      error: { code: "EAGAIN" },
    })
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`PAIR over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
