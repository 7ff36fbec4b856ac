/**
 * close(): the `closed` flag, pending operations cancelled with EAGAIN, a close requested during a
 * bind or unbind taking effect when that operation ends, EBADF for every later operation, and the
 * default linger delivering what was queued. Runs once per implementation and transport.
 */
import { describe, expect, it } from "vitest"
import {
  bindAny,
  deadEndpoint,
  endpointFor,
  type Impl,
  impls,
  outcome,
  socketTracker,
  type Transport,
  transports,
  within,
} from "../fixtures.js"

const open = socketTracker()

const TIMED_OUT = { code: "EAGAIN", message: "Operation was not possible or timed out" }
const CLOSED = { code: "EBADF", message: "Socket is closed" }

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("close() sets closed, and a second close() does nothing", () => {
    const socket = open(new zmq.Dealer())
    expect(socket.closed).toBe(false)
    socket.close()
    expect(socket.closed).toBe(true)
    expect(() => socket.close()).not.toThrow()
    expect(socket.closed).toBe(true)
  })

  it("close() rejects a pending send with EAGAIN", async () => {
    const socket = open(new zmq.Dealer())
    const sending = outcome(() => socket.send("never"))
    socket.close()
    expect(await within(5_000, sending, "send to settle")).toMatchObject({
      how: "rejected",
      error: TIMED_OUT,
    })
  })

  it("close() rejects a pending receive with EAGAIN", async () => {
    const socket = open(new zmq.Dealer())
    const receiving = outcome(() => socket.receive())
    socket.close()
    expect(await within(5_000, receiving, "receive to settle")).toMatchObject({
      how: "rejected",
      error: TIMED_OUT,
    })
  })

  it("close() during a bind takes effect when the bind resolves", async () => {
    const socket = open(new zmq.Dealer())
    const binding = socket.bind(endpointFor(transport))
    socket.close()
    expect(socket.closed).toBe(false)
    await binding
    expect(socket.closed).toBe(true)
  })

  it("close() during a failing bind takes effect when the bind rejects", async () => {
    const other = open(new zmq.Dealer())
    const address =
      transport === "tcp" ? await bindAny(other, "tcp") : `${endpointFor("ipc")}.d/missing/socket`
    const socket = open(new zmq.Dealer())
    const binding = outcome(() => socket.bind(address))
    socket.close()
    expect(socket.closed).toBe(false)
    expect(await binding).toMatchObject({ how: "rejected" })
    expect(socket.closed).toBe(true)
  })

  it("close() during an unbind takes effect when the unbind resolves", async () => {
    const socket = open(new zmq.Dealer())
    const endpoint = await bindAny(socket, transport)
    const unbinding = socket.unbind(endpoint)
    socket.close()
    expect(socket.closed).toBe(false)
    await unbinding
    expect(socket.closed).toBe(true)
  })

  it("close() during a failing unbind takes effect when the unbind rejects", async () => {
    const socket = open(new zmq.Dealer())
    const never = await deadEndpoint(transport)
    const unbinding = outcome(() => socket.unbind(never))
    socket.close()
    expect(socket.closed).toBe(false)
    expect(await unbinding).toMatchObject({ how: "rejected", error: { code: "ENOENT" } })
    expect(socket.closed).toBe(true)
  })

  it("every operation on a closed socket throws EBADF synchronously", async () => {
    const socket = open(new zmq.Dealer())
    socket.close()
    const endpoint = await deadEndpoint(transport)
    for (const [name, operation] of [
      ["send", () => socket.send("x")],
      ["receive", () => socket.receive()],
      ["bind", () => socket.bind(endpoint)],
      ["unbind", () => socket.unbind(endpoint)],
      ["connect", () => socket.connect(endpoint)],
      ["disconnect", () => socket.disconnect(endpoint)],
    ] as const) {
      expect(await outcome(operation), name).toMatchObject({ how: "threw", error: CLOSED })
    }
  })

  it("with the default linger, messages queued before close() are still delivered", async () => {
    const pull = open(new zmq.Pull())
    const push = open(new zmq.Push())
    expect(push.linger).toBe(-1)
    push.connect(await bindAny(pull, transport))
    for (let i = 0; i < 10; i += 1) await push.send(`m${i}`)
    push.close()
    const got: string[] = []
    for (let i = 0; i < 10; i += 1) got.push(String(await within(5_000, pull.receive(), `m${i}`)))
    expect(got).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"])
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`close over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
