/**
 * `conflate` (ZMQ_CONFLATE): a conflating socket keeps only the newest message of each pipe, both
 * ways, ignores its high-water marks, and of a multipart message keeps only the last part. Runs for
 * every ordered pair of implementations (one binds, the other connects) and transport, so zlink's
 * conflation meets libzmq's own on either side.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  deadEndpoint,
  type ImplPair,
  outcome,
  pairs,
  sleep,
  socketTracker,
  type Transport,
  transports,
  waitUntil,
  within,
} from "../fixtures.js"

const open = socketTracker()

/** Long enough for a few small messages to cross a loopback connection. */
const SETTLE_MS = 300

async function expectNothingMore(socket: { receiveTimeout: number; receive(): Promise<unknown> }) {
  socket.receiveTimeout = 100
  expect(await outcome(() => socket.receive())).toMatchObject({ how: "rejected", error: { code: "EAGAIN" } })
}

function describePair({ binder, connecter }: ImplPair, transport: Transport): void {
  it("a conflating PULL receives only the newest of what arrived, whatever its receiveHighWaterMark", async () => {
    const pull = open(new binder.zmq.Pull({ conflate: true, receiveHighWaterMark: 1 }))
    const push = open(new connecter.zmq.Push())
    let shaken = false
    push.events.on("handshake", () => {
      shaken = true
    })
    push.connect(await bindAny(pull, transport))
    await waitUntil(() => shaken, "handshake")
    for (let i = 0; i < 20; i += 1) await push.send(`m${i}`)
    await sleep(SETTLE_MS)
    expect(String((await within(5_000, pull.receive(), "the newest message"))[0])).toBe("m19")
    await expectNothingMore(pull)
  })

  it("a conflating PUSH connecting before its peer binds sends only its newest message", async () => {
    const endpoint = await deadEndpoint(transport)
    const push = open(new connecter.zmq.Push({ conflate: true, sendHighWaterMark: 1, sendTimeout: 0 }))
    push.connect(endpoint)
    // The high-water mark does not apply: none of these waits or fails.
    for (let i = 0; i < 10; i += 1) await push.send(`m${i}`)
    const pull = open(new binder.zmq.Pull())
    await pull.bind(endpoint)
    expect(String((await within(5_000, pull.receive(), "the newest message"))[0])).toBe("m9")
    await expectNothingMore(pull)
  })

  it("keeps only the last part of a multipart message, sending and receiving", async () => {
    const endpoint = await deadEndpoint(transport)
    const push = open(new connecter.zmq.Push({ conflate: true }))
    push.connect(endpoint)
    await push.send(["a", "b", "c"])
    const pull = open(new binder.zmq.Pull())
    await pull.bind(endpoint)
    expect((await within(5_000, pull.receive(), "the kept part")).map(String)).toEqual(["c"])

    const receiver = open(new binder.zmq.Pull({ conflate: true }))
    const sender = open(new connecter.zmq.Push())
    let shaken = false
    sender.events.on("handshake", () => {
      shaken = true
    })
    sender.connect(await bindAny(receiver, transport))
    await waitUntil(() => shaken, "handshake")
    await sender.send(["x", "y"])
    await sleep(SETTLE_MS)
    expect((await within(5_000, receiver.receive(), "the kept part")).map(String)).toEqual(["y"])
    await expectNothingMore(receiver)
  })

  it("a conflating DEALER keeps the newest message of each peer", async () => {
    const dealer = open(new binder.zmq.Dealer({ conflate: true }))
    const endpoint = await bindAny(dealer, transport)
    const peers = [open(new connecter.zmq.Dealer()), open(new connecter.zmq.Dealer())]
    let shaken = 0
    for (const peer of peers) {
      peer.events.on("handshake", () => {
        shaken += 1
      })
      peer.connect(endpoint)
    }
    await waitUntil(() => shaken === 2, "both handshakes")
    for (const [index, peer] of peers.entries())
      for (let i = 0; i < 5; i += 1) await peer.send(`p${index}-${i}`)
    await sleep(SETTLE_MS)
    const got: string[] = []
    for (let i = 0; i < 2; i += 1)
      got.push(String((await within(5_000, dealer.receive(), `message ${i}`))[0]))
    expect(got.sort()).toEqual(["p0-4", "p1-4"])
    await expectNothingMore(dealer)
  })
}

for (const pair of pairs()) {
  for (const transport of transports) {
    describe(`conflate over ${transport}: ${pair.label}`, () => describePair(pair, transport))
  }
}
