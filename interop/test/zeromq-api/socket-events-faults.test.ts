/**
 * The monitor events of connections that fail, from raw peers over tcp: which events come, in which
 * order, and with which error code and errno. Each case runs once per implementation and expects the
 * same sequence from both, libzmq's.
 */

import { createServer, type Socket as NetSocket, connect as netConnect } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import { type Impl, impls, sleep, socketTracker, waitUntil } from "../fixtures.js"

const open = socketTracker()
const raws: NetSocket[] = []
afterEach(() => {
  for (const raw of raws.splice(0)) raw.destroy()
})

/** An event reduced to what both implementations must agree on. */
interface Seen {
  type: string
  code?: string
  errno?: number
  interval?: boolean
}

function reduce(event: zmq.Event): Seen {
  const seen: Seen = { type: event.type }
  if (event.type === "connect:retry") seen.interval = event.interval > 0
  if (event.type !== "disconnect" && "error" in event && event.error !== undefined) {
    const error = event.error as { code?: string; errno?: number }
    seen.code = error.code
    if (error.errno !== undefined) seen.errno = error.errno
  }
  return seen
}

function record(socket: zmq.Socket): Seen[] {
  const seen: Seen[] = []
  const types: zmq.EventType[] = [
    "accept",
    "connect",
    "connect:delay",
    "connect:retry",
    "close",
    "handshake",
    "handshake:error:protocol",
    "handshake:error:other",
    "handshake:error:auth",
    "disconnect",
  ]
  for (const type of types) socket.events.on(type, (event) => seen.push(reduce(event)))
  return seen
}

/** Our greeting: ZMTP 3.1, the given mechanism, as-server 0. */
function greeting(mechanism = "NULL"): Buffer {
  const g = Buffer.alloc(64)
  g[0] = 0xff
  g[9] = 0x7f
  g[10] = 3
  g[11] = 1
  g.write(mechanism, 12, "latin1")
  return g
}

function ready(socketType: string): Buffer {
  const name = Buffer.from("Socket-Type", "latin1")
  const value = Buffer.from(socketType, "latin1")
  const length = Buffer.alloc(4)
  length.writeUInt32BE(value.length)
  const body = Buffer.concat([
    Buffer.from("\x05READY", "latin1"),
    Buffer.from([name.length]),
    name,
    length,
    value,
  ])
  return Buffer.concat([Buffer.from([0x04, body.length]), body])
}

/** A raw peer: connects, does `act`, and resolves once its connection has closed. */
function raw(port: number, act: (socket: NetSocket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1", () => act(socket))
    raws.push(socket)
    socket.on("data", () => {})
    socket.on("error", () => {})
    socket.on("close", () => resolve())
  })
}

const ACCEPT: Seen = { type: "accept" }
const DISCONNECT: Seen = { type: "disconnect" }
const EPIPE: Seen = { type: "handshake:error:other", code: "EPIPE", errno: 32 }

const cases: {
  name: string
  options?: zmq.SocketOptions<zmq.Pull>
  act: (s: NetSocket) => void
  expected: Seen[]
}[] = [
  {
    name: "a peer that closes before its greeting",
    act: (s) => s.end(),
    expected: [ACCEPT, EPIPE, DISCONNECT],
  },
  {
    name: "a peer that closes after its greeting",
    act: (s) => s.write(greeting(), () => setTimeout(() => s.end(), 50)),
    expected: [ACCEPT, EPIPE, DISCONNECT],
  },
  {
    name: "a peer that never completes the handshake",
    options: { handshakeInterval: 100 },
    act: (s) => setTimeout(() => s.end(), 400),
    expected: [ACCEPT, { type: "handshake:error:other", code: "EAGAIN", errno: 11 }, DISCONNECT],
  },
  {
    name: "a peer with the PLAIN mechanism",
    act: (s) => s.write(greeting("PLAIN")),
    expected: [ACCEPT, { type: "handshake:error:protocol", code: "ERR_ZMTP_MECHANISM_MISMATCH" }, DISCONNECT],
  },
  {
    name: "a peer that sends HELLO to a NULL socket",
    act: (s) =>
      s.write(Buffer.concat([greeting(), Buffer.from([0x04, 6, 5]), Buffer.from("HELLO", "latin1")])),
    expected: [ACCEPT, { type: "handshake:error:protocol", code: "ERR_ZMTP_UNEXPECTED_COMMAND" }, DISCONNECT],
  },
  {
    name: "a peer that sends a message before its READY",
    act: (s) => s.write(Buffer.concat([greeting(), Buffer.from([0x00, 1, 0x41])])),
    expected: [ACCEPT, { type: "handshake:error:protocol", code: "ERR_ZMTP_UNEXPECTED_COMMAND" }, DISCONNECT],
  },
  {
    name: "a PUB talking to a PULL",
    act: (s) => s.write(Buffer.concat([greeting(), ready("PUB")])),
    expected: [ACCEPT, DISCONNECT],
  },
  {
    name: "a READY over maxMessageSize",
    options: { maxMessageSize: 10 },
    act: (s) => s.write(Buffer.concat([greeting(), ready("PUSH")])),
    expected: [ACCEPT, DISCONNECT],
  },
  {
    name: "a completed handshake, then a frame over maxMessageSize",
    options: { maxMessageSize: 30 },
    act: (s) => {
      s.write(Buffer.concat([greeting(), ready("PUSH")]))
      setTimeout(() => s.write(Buffer.concat([Buffer.from([0x00, 40]), Buffer.alloc(40)])), 100)
    },
    expected: [ACCEPT, { type: "handshake" }, DISCONNECT],
  },
  {
    name: "a completed handshake, then the peer closes",
    act: (s) => s.write(Buffer.concat([greeting(), ready("PUSH")]), () => setTimeout(() => s.end(), 50)),
    expected: [ACCEPT, { type: "handshake" }, DISCONNECT],
  },
]

function describeImpl({ zmq }: Impl): void {
  for (const c of cases) {
    it(`${c.name}: ${c.expected.map((e) => e.type).join(", ")}`, async () => {
      const pull = open(new zmq.Pull({ linger: 0, ...c.options }))
      await pull.bind("tcp://127.0.0.1:*")
      const seen = record(pull)
      await raw(Number(pull.lastEndpoint!.split(":").pop()), c.act)
      await waitUntil(() => seen.some((e) => e.type === "disconnect"), "the disconnect")
      // Nothing may follow the disconnect.
      await sleep(50)
      expect(seen).toEqual(c.expected)
    })
  }

  it("a dialer whose server closes at once: connect:delay, connect, EPIPE, disconnect, connect:retry", async () => {
    const server = createServer((socket) => {
      socket.on("error", () => {})
      socket.end()
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const push = open(new zmq.Push({ linger: 0, reconnectInterval: 10_000 }))
      const seen = record(push)
      push.connect(`tcp://127.0.0.1:${(server.address() as { port: number }).port}`)
      await waitUntil(() => seen.some((e) => e.type === "connect:retry"), "the retry")
      expect(seen).toEqual([
        { type: "connect:delay" },
        { type: "connect" },
        EPIPE,
        DISCONNECT,
        { type: "connect:retry", interval: true },
      ])
    } finally {
      server.close()
    }
  })

  it("a refused dial: connect:delay, close, connect:retry", async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const push = open(new zmq.Push({ linger: 0, reconnectInterval: 10_000 }))
    const seen = record(push)
    push.connect(`tcp://127.0.0.1:${port}`)
    await waitUntil(() => seen.some((e) => e.type === "connect:retry"), "the retry")
    expect(seen).toEqual([
      { type: "connect:delay" },
      { type: "close" },
      { type: "connect:retry", interval: true },
    ])
  })
}

for (const impl of impls) {
  describe(`events of failing connections (${impl.name})`, () => describeImpl(impl))
}
