/**
 * `probeRouter` (ZMQ_PROBE_ROUTER): a DEALER, REQ or ROUTER sends an empty message first on each
 * new connection, so that a ROUTER peer learns its routing id. Runs for every ordered pair of
 * implementations (one binds, the other connects) and transport: zlink's probes reach libzmq's
 * ROUTER, and libzmq's reach zlink's.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  type ImplPair,
  outcome,
  pairs,
  quiet,
  socketTracker,
  type Transport,
  transports,
  within,
} from "../fixtures.js"

const open = socketTracker()

async function next(socket: { receive(): Promise<Buffer[]> }, what: string): Promise<string[]> {
  return (await within(5_000, socket.receive(), what)).map(String)
}

async function expectNothingMore(socket: { receiveTimeout: number; receive(): Promise<unknown> }) {
  socket.receiveTimeout = 100
  expect(await outcome(() => socket.receive())).toMatchObject({ how: "rejected", error: { code: "EAGAIN" } })
}

function describePair({ binder, connecter }: ImplPair, transport: Transport): void {
  it("a DEALER's probe reaches the ROUTER first, which can then address the DEALER", async () => {
    const router = open(new binder.zmq.Router())
    const dealer = open(new connecter.zmq.Dealer({ probeRouter: true, routingId: "dealer-1" }))
    dealer.connect(await bindAny(router, transport))
    expect(await next(router, "the probe")).toEqual(["dealer-1", ""])
    await router.send(["dealer-1", "hello"])
    expect(await next(dealer, "the ROUTER's message")).toEqual(["hello"])
    await dealer.send("after")
    expect(await next(router, "the DEALER's message")).toEqual(["dealer-1", "after"])
  })

  it("a REQ's probe is a lone empty frame, and the request follows with its delimiter", async () => {
    const router = open(new binder.zmq.Router())
    const req = open(new connecter.zmq.Request({ probeRouter: true, routingId: "req-1" }))
    req.connect(await bindAny(router, transport))
    expect(await next(router, "the probe")).toEqual(["req-1", ""])
    await req.send("question")
    expect(await next(router, "the request")).toEqual(["req-1", "", "question"])
    await router.send(["req-1", "", "answer"])
    expect(await next(req, "the reply")).toEqual(["answer"])
  })

  it("a bound ROUTER probes each peer that connects: a DEALER receives an empty message", async () => {
    const prober = open(new binder.zmq.Router({ probeRouter: true }))
    const dealer = open(new connecter.zmq.Dealer())
    dealer.connect(await bindAny(prober, transport))
    // libzmq attaches an accepted connection's pipe (and writes the probe) only when its socket
    // processes commands, which the zeromq package makes it do while a receive waits.
    quiet(prober.receive())
    expect(await next(dealer, "the probe")).toEqual([""])
    await expectNothingMore(dealer)
  })

  it("a connecting ROUTER's probe tells the bound ROUTER its routing id", async () => {
    const router = open(new binder.zmq.Router({ routingId: "bound" }))
    const prober = open(new connecter.zmq.Router({ probeRouter: true, routingId: "prober" }))
    prober.connect(await bindAny(router, transport))
    expect(await next(router, "the probe")).toEqual(["prober", ""])
    await router.send(["prober", "hi"])
    expect(await next(prober, "the bound ROUTER's message")).toEqual(["bound", "hi"])
  })

  it("without probeRouter a ROUTER hears nothing from a DEALER that sends nothing", async () => {
    const router = open(new binder.zmq.Router())
    const dealer = open(new connecter.zmq.Dealer({ routingId: "quiet" }))
    dealer.connect(await bindAny(router, transport))
    await expectNothingMore(router)
  })
}

for (const pair of pairs()) {
  for (const transport of transports) {
    describe(`probeRouter over ${transport}: ${pair.label}`, () => describePair(pair, transport))
  }
}
