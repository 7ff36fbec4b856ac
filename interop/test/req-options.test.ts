/**
 * REQ's `relaxed` (ZMQ_REQ_RELAXED) and `correlate` (ZMQ_REQ_CORRELATE) between every ordered pair of
 * implementations: the REQ connects, a REP or a ROUTER binds. The ROUTER shows the request id frame
 * as it crosses the wire and answers with the ids it chooses, so every expectation below holds for a
 * libzmq REQ (libzmq<-libzmq validates the test) and for a zlink one.
 */
import { describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import {
  bindAny,
  type ImplPair,
  pairs,
  socketTracker,
  type Transport,
  transports,
  within,
} from "./fixtures.js"
import { expectFrames, type Frames, frames } from "./messages.js"

const open = socketTracker()
const STEP = 5_000
const EMPTY = Buffer.alloc(0)

/** A request id frame as a 32-bit number; libzmq copies its counter in host order (little-endian). */
function idOf(frame: Buffer | undefined): number {
  expect(frame?.length, "request id frame size").toBe(4)
  return frame!.readUInt32LE(0)
}

function describePair({ binder, connecter }: ImplPair, transport: Transport): void {
  /**
   * The REQ's reply. Through zeromq 6.8.0, a libzmq REQ whose receive is waiting when a message it
   * skips arrives rejects it with EAGAIN (`Traits.staleReplyRejectsReceive`); the next receive
   * then goes on with what follows.
   */
  async function reply(req: zmq.Request, what: string): Promise<Frames> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await within(STEP, req.receive(), what)) as Frames
      } catch (error) {
        const code = (error as { code?: string }).code
        if (!connecter.traits.staleReplyRejectsReceive || code !== "EAGAIN" || attempt >= 4) throw error
      }
    }
  }

  /** One more request and its reply: nothing of the earlier requests is left to be taken for it. */
  async function nextCycle(
    req: zmq.Request,
    answer: (request: Frames) => Promise<void>,
    receive: () => Promise<Frames>,
  ) {
    await req.send("last")
    const last = await receive()
    expect(last[last.length - 1]!.toString()).toBe("last")
    await answer(last)
    expectFrames(await reply(req, "the last reply"), frames("last reply"))
  }

  async function withRouter(options: { relaxed?: boolean; correlate?: boolean }) {
    const router = open(new binder.zmq.Router())
    const req = open(new connecter.zmq.Request({ routingId: "R", ...options }))
    req.connect(await bindAny(router, transport))
    return { router, req }
  }

  async function request(router: zmq.Router, what: string): Promise<Frames> {
    return (await within(STEP, router.receive(), what)) as Frames
  }

  it("correlate: [id (4 octets), empty, body], the id one more each request; only the echoed id is a reply", async () => {
    const { router, req } = await withRouter({ correlate: true })
    const ids: number[] = []
    for (let i = 0; i < 3; i++) {
      await req.send(`q${i}`)
      const got = await request(router, `q${i}`)
      expect(got.length).toBe(4)
      expect(got[0]!.toString()).toBe("R")
      ids.push(idOf(got[1]))
      expect(got[2]!.length).toBe(0)
      expect(got[3]!.toString()).toBe(`q${i}`)
      const wrong = Buffer.alloc(4)
      wrong.writeUInt32LE((ids[i]! + 7) >>> 0, 0)
      await router.send([got[0]!, wrong, EMPTY, "wrong id"])
      await router.send([got[0]!, EMPTY, "no id"])
      await router.send([got[0]!, got[1]!, EMPTY, `r${i}`])
      expectFrames(await reply(req, `r${i}`), frames(`r${i}`))
    }
    expect(ids[1]).toBe((ids[0]! + 1) >>> 0)
    expect(ids[2]).toBe((ids[0]! + 2) >>> 0)
  })

  it("relaxed and correlate: a resent request gets a new id; the old request's reply is dropped", async () => {
    const { router, req } = await withRouter({ relaxed: true, correlate: true })
    await req.send("a")
    await req.send("b")
    const a = await request(router, "a")
    const b = await request(router, "b")
    expect(idOf(b[1])).toBe((idOf(a[1]) + 1) >>> 0)
    await router.send([a[0]!, a[1]!, EMPTY, "reply-a"])
    await router.send([b[0]!, b[1]!, EMPTY, "reply-b"])
    expectFrames(await reply(req, "reply-b"), frames("reply-b"))
    await nextCycle(
      req,
      (last) => router.send([last[0]!, last[1]!, EMPTY, "last reply"]),
      () => request(router, "last"),
    )
  })

  it("relaxed without correlate: the late reply from the same peer is taken for the new request", async () => {
    const { router, req } = await withRouter({ relaxed: true })
    await req.send("a")
    await req.send("b")
    const a = await request(router, "a")
    const b = await request(router, "b")
    expect(a.map(String)).toEqual(["R", "", "a"])
    expect(b.map(String)).toEqual(["R", "", "b"])
    await router.send(["R", EMPTY, "reply-a"])
    await router.send(["R", EMPTY, "reply-b"])
    expectFrames(await reply(req, "the first reply"), frames("reply-a"))
    // reply-b came after the reply was taken: zlink drops it as it arrives, libzmq when the next
    // request goes out (if it is in the pipe by then: a race of libzmq's threads).
  })

  it("without correlate, a reply with an id frame is skipped and the connection stays", async () => {
    const { router, req } = await withRouter({})
    await req.send("q")
    await request(router, "q")
    await router.send(["R", Buffer.from("abcd"), EMPTY, "with id"])
    await router.send(["R", EMPTY, "plain"])
    expectFrames(await reply(req, "plain"), frames("plain"))
  })

  it("a reply without the delimiter drops the connection", async () => {
    const router = open(new binder.zmq.Router())
    const req = open(new connecter.zmq.Request({ routingId: "R" }))
    req.connect(await bindAny(router, transport))
    const disconnected = within(
      STEP,
      new Promise<void>((resolve) => req.events.on("disconnect", () => resolve())),
      "disconnect",
    )
    await req.send("q")
    await request(router, "q")
    await router.send(["R", "no delimiter"])
    // libzmq's REQ session refuses the message (EFAULT), and the engine drops the connection as a
    // protocol error.
    await disconnected
  })

  it("relaxed and correlate against a REP: the REP answers both requests, the REQ sees the second reply", async () => {
    const rep = open(new binder.zmq.Reply())
    const req = open(new connecter.zmq.Request({ relaxed: true, correlate: true }))
    req.connect(await bindAny(rep, transport))
    await req.send("a")
    await req.send("b")
    expectFrames(await within(STEP, rep.receive(), "a"), frames("a"))
    await rep.send("reply-a")
    expectFrames(await within(STEP, rep.receive(), "b"), frames("b"))
    await rep.send("reply-b")
    expectFrames(await reply(req, "reply-b"), frames("reply-b"))
    await nextCycle(
      req,
      () => rep.send("last reply"),
      () => within(STEP, rep.receive(), "last") as Promise<Frames>,
    )
  })
}

for (const pair of pairs()) {
  for (const transport of transports) {
    describe(`REQ relaxed/correlate over ${transport}: ${pair.label}`, () => describePair(pair, transport))
  }
}
