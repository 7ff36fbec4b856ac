/**
 * socket.events: the monitor events of binding, accepting, connecting, handshaking, disconnecting,
 * reconnecting and closing, in both of its modes (async iteration / receive(), and the emitter), and
 * its end after the socket closes. Runs once per implementation and transport.
 */

import { describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import {
  bindAny,
  deadIpcEndpoint,
  type Impl,
  impls,
  outcome,
  socketTracker,
  type Transport,
  transports,
  within,
} from "../fixtures.js"

const open = socketTracker()

type EventType = zmq.EventType

/** Resolves with the first event of `type` on `socket`. */
function nextEvent<E extends EventType>(socket: zmq.Socket, type: E): Promise<zmq.EventOfType<E>> {
  return within(
    5_000,
    new Promise<zmq.EventOfType<E>>((resolve) => {
      socket.events.on<E>(type, resolve)
    }),
    `a "${type}" event`,
  )
}

/** Records every event of the given types, in order. */
function record(socket: zmq.Socket, types: readonly EventType[]): zmq.Event[] {
  const seen: zmq.Event[] = []
  for (const type of types) socket.events.on<EventType>(type, (event) => seen.push(event))
  return seen
}

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("a socket closed before any use yields exactly one event, end", async () => {
    const socket = open(new zmq.Dealer())
    const events: zmq.Event[] = []
    const done = (async () => {
      for await (const event of socket.events) events.push(event)
    })()
    socket.close()
    await within(5_000, done, "the event stream to end")
    expect(events).toEqual([{ type: "end" }])
  })

  it("events is the same object every time", () => {
    const socket = open(new zmq.Dealer())
    expect(socket.events).toBe(socket.events)
  })

  it("bind emits bind with the resolved endpoint", async () => {
    const socket = open(new zmq.Dealer())
    const bound = nextEvent(socket, "bind")
    const endpoint = await bindAny(socket, transport)
    expect(await bound).toEqual({ type: "bind", address: endpoint })
  })

  it("a connection emits connect on the connecter, accept on the binder, and handshake on both", async () => {
    const server = open(new zmq.Dealer())
    const client = open(new zmq.Dealer())
    const endpoint = await bindAny(server, transport)
    const events = Promise.all([
      nextEvent(client, "connect"),
      nextEvent(server, "accept"),
      nextEvent(client, "handshake"),
      nextEvent(server, "handshake"),
    ])
    client.connect(endpoint)
    expect(await events).toEqual([
      { type: "connect", address: endpoint },
      { type: "accept", address: endpoint },
      { type: "handshake", address: endpoint },
      { type: "handshake", address: endpoint },
    ])
  })

  it("the binder sees disconnect when the connecter closes", async () => {
    const server = open(new zmq.Dealer())
    const client = open(new zmq.Dealer())
    const endpoint = await bindAny(server, transport)
    const shaken = nextEvent(server, "handshake")
    client.connect(endpoint)
    await shaken
    const gone = nextEvent(server, "disconnect")
    client.close()
    expect(await gone).toEqual({ type: "disconnect", address: endpoint })
  })

  it("the connecter sees disconnect when the binder closes, then retries within [ivl, 2 ivl)", async () => {
    const server = open(new zmq.Dealer())
    const client = open(new zmq.Dealer({ reconnectInterval: 50 }))
    const endpoint = await bindAny(server, transport)
    const shaken = nextEvent(client, "handshake")
    client.connect(endpoint)
    await shaken
    const gone = nextEvent(client, "disconnect")
    const retry = nextEvent(client, "connect:retry")
    server.close()
    expect(await gone).toEqual({ type: "disconnect", address: endpoint })
    const { type, address, interval } = await retry
    expect({ type, address }).toEqual({ type: "connect:retry", address: endpoint })
    // libzmq adds a random jitter below one interval to every reconnect delay.
    expect(interval).toBeGreaterThanOrEqual(50)
    expect(interval).toBeLessThan(100)
  })

  if (transport === "ipc") {
    it("connecting where nothing listens emits close and connect:retry, again and again", async () => {
      const client = open(new zmq.Dealer({ reconnectInterval: 20 }))
      const endpoint = deadIpcEndpoint()
      const seen = record(client, ["connect", "close", "connect:retry"])
      client.connect(endpoint)
      await within(
        5_000,
        (async () => {
          while (seen.filter((event) => event.type === "connect:retry").length < 2) {
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        })(),
        "two retries",
      )
      expect(
        seen.slice(0, 4).map((event) => [event.type, "address" in event ? event.address : undefined]),
      ).toEqual([
        ["close", endpoint],
        ["connect:retry", endpoint],
        ["close", endpoint],
        ["connect:retry", endpoint],
      ])
    })
  }

  if (transport === "tcp") {
    it("a failed bind emits bind:error (with the address lacking its tcp:// prefix)", async () => {
      const first = open(new zmq.Dealer())
      const endpoint = await bindAny(first, "tcp")
      const second = open(new zmq.Dealer())
      const failed = nextEvent(second, "bind:error")
      expect(await outcome(() => second.bind(endpoint))).toMatchObject({
        how: "rejected",
        error: { code: "EADDRINUSE" },
      })
      const event = await failed
      expect(event.address).toBe(endpoint.slice("tcp://".length))
      expect(event.error).toBeInstanceOf(Error)
      expect(event.error).toMatchObject({ code: "EADDRINUSE", message: "Address already in use" })
      expect(typeof event.error.errno).toBe("number")
    })
  }

  it("in emitter mode, events.receive() throws", () => {
    const socket = open(new zmq.Dealer())
    socket.events.on("bind", () => {})
    expect(() => socket.events.receive()).toThrow(
      "Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive().",
    )
  })

  it("the emitter reports bind, accept, close and end through a connection's life", async () => {
    const server = open(new zmq.Dealer())
    const client = open(new zmq.Dealer())
    const seen = record(server, ["bind", "accept", "close", "end"])
    const endpoint = await bindAny(server, transport)
    const accepted = nextEvent(server, "accept")
    const ended = nextEvent(server, "end")
    client.connect(endpoint)
    await accepted
    server.close()
    client.close()
    await ended
    expect(seen).toEqual([
      { type: "bind", address: endpoint },
      { type: "accept", address: endpoint },
      { type: "close", address: endpoint },
      { type: "end" },
    ])
  })

  it("off() removes a listener", async () => {
    const socket = open(new zmq.Dealer())
    const seen: string[] = []
    const listener = () => seen.push("bind")
    socket.events.on("bind", listener)
    socket.events.off("bind", listener)
    const bound = nextEvent(socket, "bind")
    await bindAny(socket, transport)
    await bound
    expect(seen).toEqual([])
  })

  it("after close, events.receive() yields end once, then throws EBADF, and events is closed", async () => {
    const socket = open(new zmq.Dealer())
    const events = socket.events
    socket.close()
    expect(await within(5_000, events.receive(), "end")).toEqual({ type: "end" })
    expect(await outcome(() => events.receive())).toMatchObject({
      how: "threw",
      error: { code: "EBADF", message: "Socket is closed" },
    })
    expect(events.closed).toBe(true)
  })
}

for (const impl of impls) {
  for (const transport of transports) {
    describe(`events over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
