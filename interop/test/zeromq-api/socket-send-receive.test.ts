/**
 * send() and receive() on PAIR sockets: readable/writable, message types and their coercion, timeouts
 * and high-water marks, async iteration, closed sockets, fairness to the event loop, and what a
 * second concurrent send() or receive() does. Runs once per implementation and transport.
 *
 * Concurrent calls are where zlink deliberately differs: zeromq v6 throws EBUSY synchronously for a
 * second send() (or receive()) while the first is pending; zlink queues it and completes both in
 * call order. `traits.expectsBusy` selects the expectation.
 */

import { describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import {
  bindAny,
  deadEndpoint,
  type Impl,
  impls,
  outcome,
  quiet,
  sleep,
  socketTracker,
  type Transport,
  transports,
  waitUntil,
  within,
} from "../fixtures.js"
import { expectFrames, frames } from "../messages.js"

const open = socketTracker()

const TIMED_OUT = { code: "EAGAIN", message: "Operation was not possible or timed out" }
const CLOSED = { code: "EBADF", message: "Socket is closed" }

function describeImpl({ zmq, traits }: Impl, transport: Transport): void {
  /** A connected PAIR: `a` connects to `b`. */
  async function connectedPair(): Promise<{ a: zmq.Pair; b: zmq.Pair }> {
    const a = open(new zmq.Pair())
    const b = open(new zmq.Pair())
    a.connect(await bindAny(b, transport))
    return { a, b }
  }

  /** A connected PAIR that has exchanged one message each way, so both sides are attached. */
  async function greetedPair(): Promise<{ a: zmq.Pair; b: zmq.Pair }> {
    const pair = await connectedPair()
    await pair.a.send("hello")
    await within(5_000, pair.b.receive(), "greeting")
    await pair.b.send("hello")
    await within(5_000, pair.a.receive(), "greeting back")
    return pair
  }

  describe("when not connected", () => {
    it("a connecting PAIR is writable but not readable", async () => {
      const a = open(new zmq.Pair())
      a.connect(await deadEndpoint(transport))
      expect([a.writable, a.readable]).toEqual([true, false])
    })

    it("a bound PAIR without a peer is neither writable nor readable", async () => {
      const b = open(new zmq.Pair())
      await bindAny(b, transport)
      expect([b.writable, b.readable]).toEqual([false, false])
    })

    it("sends queue up to the high-water mark, then time out with EAGAIN", async () => {
      const a = open(new zmq.Pair({ sendHighWaterMark: 1, sendTimeout: 2 }))
      a.connect(await deadEndpoint(transport))
      await expect(a.send(Buffer.alloc(8192))).resolves.toBeUndefined()
      expect(await outcome(() => a.send(Buffer.alloc(8192)))).toMatchObject({
        how: "rejected",
        error: TIMED_OUT,
      })
    })
  })

  describe("when connected", () => {
    it("is writable but not readable until a message arrives", async () => {
      const { a, b } = await connectedPair()
      expect([a.writable, a.readable]).toEqual([true, false])
      await b.send("foo")
      await waitUntil(() => a.readable, "a to become readable")
      expect(a.readable).toBe(true)
    })

    it("delivers a string", async () => {
      const { a, b } = await connectedPair()
      await a.send("foo")
      expectFrames(await within(5_000, b.receive(), "message"), frames("foo"))
    })

    it("delivers a Buffer", async () => {
      const { a, b } = await connectedPair()
      await a.send(Buffer.from([0, 1, 2, 255]))
      expectFrames(await within(5_000, b.receive(), "message"), [Buffer.from([0, 1, 2, 255])])
    })

    it("delivers multipart strings and multipart Buffers", async () => {
      const { a, b } = await connectedPair()
      await a.send(["foo", "bar"])
      await a.send([Buffer.from("baz"), Buffer.from("qux")])
      expectFrames(await within(5_000, b.receive(), "strings"), frames("foo", "bar"))
      expectFrames(await within(5_000, b.receive(), "buffers"), frames("baz", "qux"))
    })

    it("delivers many messages in order, read through async iteration", async () => {
      const { a, b } = await connectedPair()
      const sent = ["foo", "bar", "baz", "qux"]
      for (const message of sent) await a.send(message)
      const received: string[] = []
      for await (const [frame] of b) {
        received.push(String(frame))
        if (received.length === sent.length) break
      }
      expect(received).toEqual(sent)
    })

    it("sends typed arrays and ArrayBuffers as their bytes", async () => {
      const { a, b } = await connectedPair()
      const foo = Uint8Array.from([0x66, 0x6f, 0x6f])
      const ints = Int32Array.from([0x66, 0x6f, 0x6f])
      for (const message of [foo, foo.buffer, ints, ints.buffer]) await a.send(message)
      const received: string[] = []
      for (let i = 0; i < 4; i += 1)
        received.push((await within(5_000, b.receive(), "message"))[0]!.toString("latin1"))
      const intBytes = "f\x00\x00\x00o\x00\x00\x00o\x00\x00\x00"
      expect(received).toEqual(["foo", "foo", intBytes, intBytes])
    })

    it("sends null as an empty frame and a number as its decimal text", async () => {
      const { a, b } = await connectedPair()
      await a.send(null)
      await a.send(16.19)
      await a.send([null, "x", 7])
      expectFrames(await within(5_000, b.receive(), "null"), [Buffer.alloc(0)])
      expectFrames(await within(5_000, b.receive(), "number"), frames("16.19"))
      expectFrames(await within(5_000, b.receive(), "mixed"), frames("", "x", "7"))
    })

    it("send() without a message throws a TypeError", async () => {
      const { a } = await connectedPair()
      const send = a.send as unknown as (message?: unknown) => Promise<void>
      expect(await outcome(() => send.call(a))).toMatchObject({
        how: "threw",
        error: new TypeError("Message must be present"),
      })
    })

    it("sends and receives on both sides at once", async () => {
      const { a, b } = await greetedPair()
      const [[fromB], [fromA]] = await within(
        5_000,
        Promise.all([Promise.all([a.receive(), a.send("foo")]), Promise.all([b.receive(), b.send("bar")])]),
        "both exchanges",
      )
      expect([String(fromB![0]), String(fromA![0])]).toEqual(["bar", "foo"])
    })

    it("a receive with receiveTimeout rejects with EAGAIN when nothing arrives", async () => {
      const { a } = await connectedPair()
      a.receiveTimeout = 2
      expect(await outcome(() => a.receive())).toMatchObject({ how: "rejected", error: TIMED_OUT })
    })

    it("does not starve the event loop while sending or receiving many messages", async () => {
      const { a, b } = await connectedPair()
      a.sendHighWaterMark = 5000
      b.receiveHighWaterMark = 5000
      // Counts the turns of the event loop that other work got meanwhile: a callback that
      // re-queues itself with setImmediate runs once per turn (a timer would measure speed instead).
      const ticksDuring = async (work: () => Promise<void>) => {
        let ticks = 0
        let running = true
        const turn = () => {
          if (!running) return
          ticks += 1
          setImmediate(turn)
        }
        setImmediate(turn)
        await new Promise(setImmediate)
        ticks = 0
        await work()
        running = false
        return ticks
      }
      const sendTicks = await ticksDuring(async () => {
        for (let i = 0; i < 2500; i += 1) await a.send("x")
      })
      const receiveTicks = await ticksDuring(async () => {
        for (let i = 0; i < 2500; i += 1) await b.receive()
      })
      expect(sendTicks).toBeGreaterThanOrEqual(3)
      expect(receiveTicks).toBeGreaterThanOrEqual(3)
    })
  })

  it("a send and a receive started before bind and connect complete once connected", async () => {
    const a = open(new zmq.Pair())
    const b = open(new zmq.Pair())
    const exchange = Promise.all([b.receive(), a.send("foo")])
    a.connect(await bindAny(b, transport))
    const [received] = await within(5_000, exchange, "the exchange")
    expectFrames(received, frames("foo"))
  })

  describe("when closed", () => {
    it("is neither writable nor readable, and send and receive throw EBADF", async () => {
      const { a } = await connectedPair()
      a.close()
      expect([a.writable, a.readable]).toEqual([false, false])
      expect(await outcome(() => a.send("x"))).toMatchObject({ how: "threw", error: CLOSED })
      expect(await outcome(() => a.receive())).toMatchObject({ how: "threw", error: CLOSED })
    })

    it("async iteration ends quietly when the socket is closed", async () => {
      const a = open(new zmq.Pair())
      process.nextTick(() => a.close())
      const received: unknown[] = []
      for await (const message of a) received.push(message)
      expect(received).toEqual([])
    })

    it("async iteration on a REQ that never sent rejects with EFSM when closed", async () => {
      const req = open(new zmq.Request())
      process.nextTick(() => req.close())
      const iterate = async () => {
        for await (const _ of req) {
          // Nothing arrives: a REQ cannot receive before it sends.
        }
      }
      expect(await outcome(iterate)).toMatchObject({
        how: "rejected",
        error: { code: "EFSM", message: "Operation cannot be accomplished in current state" },
      })
    })
  })

  describe("concurrent operations", () => {
    if (traits.expectsBusy) {
      it("a second send() while one is pending throws EBUSY synchronously", async () => {
        const b = open(new zmq.Pair())
        const endpoint = await bindAny(b, transport)
        const first = quiet(b.send("one"))
        expect(await outcome(() => b.send("two"))).toMatchObject({
          how: "threw",
          error: {
            code: "EBUSY",
            message: "Socket is busy writing; only one send operation may be in progress at any time",
          },
        })
        const a = open(new zmq.Pair())
        a.connect(endpoint)
        await within(5_000, first, "the first send")
        expectFrames(await within(5_000, a.receive(), "first"), frames("one"))
      })

      it("a second receive() while one is pending throws EBUSY synchronously", async () => {
        const { a, b } = await connectedPair()
        const first = quiet(b.receive())
        expect(await outcome(() => b.receive())).toMatchObject({
          how: "threw",
          error: {
            code: "EBUSY",
            message: "Socket is busy reading; only one receive operation may be in progress at any time",
          },
        })
        await a.send("one")
        expectFrames(await within(5_000, first, "first"), frames("one"))
      })
    } else {
      it("a second send() while one is pending is queued, and both complete in call order", async () => {
        const b = open(new zmq.Pair())
        const endpoint = await bindAny(b, transport)
        const order: string[] = []
        const first = quiet(b.send("one").then(() => order.push("one")))
        const second = quiet(b.send("two").then(() => order.push("two")))
        await sleep(20)
        expect(order).toEqual([])
        const a = open(new zmq.Pair())
        a.connect(endpoint)
        await within(5_000, Promise.all([first, second]), "both sends")
        expect(order).toEqual(["one", "two"])
        expectFrames(await within(5_000, a.receive(), "first"), frames("one"))
        expectFrames(await within(5_000, a.receive(), "second"), frames("two"))
      })

      it("a second receive() while one is pending is queued, and both complete in call order", async () => {
        const { a, b } = await connectedPair()
        const first = quiet(b.receive())
        const second = quiet(b.receive())
        await a.send("one")
        await a.send("two")
        const [one, two] = await within(5_000, Promise.all([first, second]), "both receives")
        expectFrames(one, frames("one"))
        expectFrames(two, frames("two"))
      })
    }
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`send/receive over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
