/**
 * PUSH/PULL: delivery, round robin over several PULLs, and `immediate` keeping messages away from
 * a connection that never came up. Runs once per implementation and transport.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  deadIpcEndpoint,
  type Impl,
  impls,
  outcome,
  socketTracker,
  type Transport,
  transports,
  waitUntil,
  within,
} from "../fixtures.js"

const open = socketTracker()

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("delivers messages in order", async () => {
    const push = open(new zmq.Push())
    const pull = open(new zmq.Pull())
    push.connect(await bindAny(pull, transport))
    const sent = ["foo", "bar", "baz", "qux"]
    for (const text of sent) await push.send(text)
    const received: string[] = []
    for await (const [frame] of pull) {
      expect(Buffer.isBuffer(frame)).toBe(true)
      received.push(String(frame))
      if (received.length === sent.length) break
    }
    expect(received).toEqual(sent)
  })

  it("with immediate, ignores a connection that never came up", async () => {
    const push = open(new zmq.Push({ immediate: true }))
    const pull = open(new zmq.Pull())
    const shaken = within(
      5_000,
      new Promise<void>((resolve) => push.events.on("handshake", () => resolve())),
      "handshake",
    )
    push.connect(await bindAny(pull, transport))
    // Without immediate, half of the messages would wait in the queue of this dead connection.
    push.connect(deadIpcEndpoint())
    await shaken
    const sent = ["foo", "bar", "baz", "qux"]
    for (const text of sent) await push.send(text)
    const received: string[] = []
    for (let i = 0; i < sent.length; i += 1)
      received.push(String((await within(5_000, pull.receive(), text(i)))[0]))
    expect(received).toEqual(sent)
  })

  it("round-robins over connected PULLs, one message each in turn", async () => {
    const pulls = [open(new zmq.Pull()), open(new zmq.Pull())]
    const push = open(new zmq.Push())
    let handshakes = 0
    push.events.on("handshake", () => {
      handshakes += 1
    })
    push.connect(await bindAny(pulls[0]!, transport))
    push.connect(await bindAny(pulls[1]!, transport))
    await waitUntil(() => handshakes === 2, "both connections")
    for (let i = 0; i < 10; i += 1) await push.send(`m${i}`)
    const drain = async (index: number) => {
      const got: string[] = []
      for (let i = 0; i < 5; i += 1)
        got.push(String((await within(5_000, pulls[index]!.receive(), text(i)))[0]))
      return got
    }
    // Which PULL gets the first message is the implementation's choice; strict alternation is not.
    const both = [await drain(0), await drain(1)].sort((x, y) => x[0]!.localeCompare(y[0]!))
    expect(both).toEqual([
      ["m0", "m2", "m4", "m6", "m8"],
      ["m1", "m3", "m5", "m7", "m9"],
    ])
    for (const pull of pulls) {
      pull.receiveTimeout = 50
      expect(await outcome(() => pull.receive())).toMatchObject({
        how: "rejected",
        error: { code: "EAGAIN" },
      })
    }
  })
}

function text(i: number): string {
  return `message ${i}`
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`PUSH/PULL over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
