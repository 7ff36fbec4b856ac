/**
 * REQ/REP: the request/reply cycle, and the state machine around it: a REQ that sends twice, a REQ
 * that receives before sending, a REP that sends before receiving, and the relaxed/correlate REQ.
 * Runs once per implementation and transport.
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

const WRONG_STATE = { code: "EFSM", message: "Operation cannot be accomplished in current state" }

function describeImpl({ zmq, traits }: Impl, transport: Transport): void {
  async function connected(options: { sendTimeout?: number; relaxed?: boolean; correlate?: boolean } = {}) {
    const rep = open(new zmq.Reply())
    const req = open(new zmq.Request(options))
    req.connect(await bindAny(rep, transport))
    return { req, rep }
  }

  it("each request gets its reply", async () => {
    const { req, rep } = await connected()
    const echo = (async () => {
      try {
        for await (const message of rep) await rep.send(message)
      } catch {
        // Closed at the end of the test.
      }
    })()
    const received: string[] = []
    for (const text of ["foo", "bar", "baz", "qux"]) {
      await req.send(Buffer.from(text))
      received.push(String((await within(5_000, req.receive(), text))[0]))
    }
    rep.close()
    await echo
    expect(received).toEqual(["foo", "bar", "baz", "qux"])
  })

  it("after a send, a REQ is not writable, and a second send with sendTimeout rejects with EFSM", async () => {
    const { req, rep } = await connected({ sendTimeout: 2 })
    await req.send("foo")
    expect(req.writable).toBe(false)
    expect(await outcome(() => req.send("bar"))).toMatchObject({ how: "rejected", error: WRONG_STATE })
    const [request] = await within(5_000, rep.receive(), "request")
    await rep.send(request!)
    expectFrames(await within(5_000, req.receive(), "reply"), frames("foo"))
  })

  it("without sendTimeout, a second send waits until the reply has been received", async () => {
    const { req, rep } = await connected()
    await req.send("first")
    const second = track(req.send("second"))
    expectFrames(await within(5_000, rep.receive(), "first"), frames("first"))
    await rep.send("reply")
    await sleep(20)
    expect(second.state()).toBe("pending")
    expectFrames(await within(5_000, req.receive(), "reply"), frames("reply"))
    await within(5_000, second.promise, "the second send")
    expectFrames(await within(5_000, rep.receive(), "second"), frames("second"))
  })

  it("a REQ that receives before sending rejects with EFSM once receiveTimeout expires", async () => {
    const req = open(new zmq.Request({ receiveTimeout: 20 }))
    expect(await outcome(() => req.receive())).toMatchObject({ how: "rejected", error: WRONG_STATE })
  })

  it("a REP that sends before receiving rejects with EFSM once sendTimeout expires", async () => {
    const rep = open(new zmq.Reply({ sendTimeout: 20 }))
    expect(await outcome(() => rep.send("x"))).toMatchObject({ how: "rejected", error: WRONG_STATE })
  })

  it("a relaxed, correlating REQ may resend; the reply to the abandoned request is dropped", async () => {
    const { req, rep } = await connected({ relaxed: true, correlate: true })
    await req.send("a")
    await req.send("b")
    expectFrames(await within(5_000, rep.receive(), "a"), frames("a"))
    await rep.send("reply-a")
    // The REP does not take request "b" yet, so "reply-a" is the only reply the REQ can see.
    const receiving = track(outcome(() => req.receive()))
    if (traits.staleReplyRejectsReceive) {
      expect(await within(5_000, receiving.promise, "the receive to fail")).toMatchObject({
        how: "rejected",
        error: { code: "EAGAIN" },
      })
    } else {
      await sleep(50)
      expect(receiving.state()).toBe("pending")
    }
    expectFrames(await within(5_000, rep.receive(), "b"), frames("b"))
    await rep.send("reply-b")
    const reply = traits.staleReplyRejectsReceive
      ? await outcome(() => req.receive())
      : await within(5_000, receiving.promise, "reply-b")
    expect(reply).toMatchObject({ how: "resolved", value: frames("reply-b") })
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`REQ/REP over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
