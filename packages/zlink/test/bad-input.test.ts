import { connect, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"

const sockets: { close(): void }[] = []
const raws: NetSocket[] = []

afterEach(() => {
  for (const s of sockets.splice(0)) s.close()
  for (const r of raws.splice(0)) r.destroy()
})

function track<T extends { close(): void }>(socket: T): T {
  sockets.push(socket)
  return socket
}

/** Collects a socket's monitor events as they come. */
function recorder(socket: zl.Socket): zl.Event[] {
  const events: zl.Event[] = []
  socket.events.on("handshake:error:protocol", (e) => events.push(e))
  socket.events.on("handshake:error:other", (e) => events.push(e))
  socket.events.on("disconnect", (e) => events.push(e))
  socket.events.on("accept", (e) => events.push(e))
  socket.events.on("handshake", (e) => events.push(e))
  return events
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function rawPeer(endpoint: string): Promise<NetSocket> {
  const { hostname, port } = new URL(endpoint.replace("tcp://", "http://"))
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket))
    socket.on("error", reject)
    raws.push(socket)
  })
}

function closed(socket: NetSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) resolve()
    socket.on("close", () => resolve())
    socket.resume()
  })
}

const GREETING_NULL = Buffer.from(
  "ff00000000000000017f03014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
  "hex",
)
/** READY for a PUSH peer: Socket-Type PUSH. */
const READY_PUSH = Buffer.from("041a0552454144590b536f636b65742d547970650000000450555348", "hex")

/** A healthy libzmq PUSH peer keeps delivering while bad peers come and go. */
async function serving(pull: zl.Pull, endpoint: string, tag: string): Promise<void> {
  const push = track(new zmq.Push())
  push.connect(endpoint)
  await push.send(tag)
  const [message] = await pull.receive()
  expect(message!.toString()).toBe(tag)
  push.close()
}

describe("bad input to a bound socket closes only that connection", () => {
  const cases: { name: string; bytes: Buffer; code: string | undefined; event: string }[] = [
    {
      name: "garbage bytes",
      bytes: Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      code: "ZMTP_ERR_BAD_SIGNATURE",
      event: "handshake:error:protocol",
    },
    {
      name: "a ZMTP 2.0 greeting",
      bytes: Buffer.concat([GREETING_NULL.subarray(0, 10), Buffer.from([0x01, 0x00])]),
      code: "ZMTP_ERR_BAD_VERSION",
      event: "handshake:error:protocol",
    },
    {
      name: "a greeting with the PLAIN mechanism",
      bytes: Buffer.concat([GREETING_NULL.subarray(0, 12), Buffer.from("PLAIN".padEnd(52, "\0"), "latin1")]),
      code: "ZMTP_ERR_MECHANISM_MISMATCH",
      event: "handshake:error:protocol",
    },
    {
      name: "an incompatible socket type (PUB talking to PULL)",
      bytes: Buffer.concat([
        GREETING_NULL,
        Buffer.from("04190552454144590b536f636b65742d5479706500000003505542", "hex"),
      ]),
      code: "ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE",
      event: "handshake:error:protocol",
    },
    {
      name: "a frame over maxMessageSize",
      bytes: Buffer.concat([GREETING_NULL, READY_PUSH, Buffer.from([0x02, 0, 0, 0, 0, 0, 0x10, 0, 0])]),
      code: "ZMTP_ERR_FRAME_TOO_LARGE",
      event: "disconnect",
    },
    {
      name: "a frame size with the top bit set",
      bytes: Buffer.concat([GREETING_NULL, READY_PUSH, Buffer.from([0x02, 0x80, 0, 0, 0, 0, 0, 0, 1])]),
      code: "ZMTP_ERR_BAD_SIZE",
      event: "disconnect",
    },
  ]

  for (const c of cases) {
    it(`${c.name}: ${c.code}, an event, and the socket keeps serving`, async () => {
      const pull = track(new zl.Pull({ maxMessageSize: 1024 }))
      const events = recorder(pull)
      await pull.bind("tcp://127.0.0.1:*")
      const endpoint = pull.lastEndpoint!
      await serving(pull, endpoint, "before")
      const bad = await rawPeer(endpoint)
      bad.write(c.bytes)
      await closed(bad)
      await waitFor(() =>
        events.some(
          (e) =>
            e.type === c.event && "error" in e && (e.error as { code?: string } | undefined)?.code === c.code,
        ),
      )
      await serving(pull, endpoint, "after")
    })
  }

  it("a connection closed mid-frame is a disconnect, and the socket keeps serving", async () => {
    const pull = track(new zl.Pull())
    const events = recorder(pull)
    await pull.bind("tcp://127.0.0.1:*")
    const endpoint = pull.lastEndpoint!
    const bad = await rawPeer(endpoint)
    bad.write(Buffer.concat([GREETING_NULL, READY_PUSH, Buffer.from([0x00, 100, 1, 2, 3])]))
    await waitFor(() => events.some((e) => e.type === "handshake"))
    bad.end()
    await waitFor(() => events.some((e) => e.type === "disconnect"))
    await serving(pull, endpoint, "still here")
    // The half frame never surfaces as a message.
    pull.receiveTimeout = 50
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" })
  })
})
