/**
 * connect() and disconnect(): both are synchronous in zeromq v6, so their errors are thrown, not
 * rejected. Also connecting before the peer binds, a ROUTER's connect-time routing id, and
 * disconnect() taking a peer out of a PUSH's round robin. Runs once per implementation and transport.
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
  waitUntil,
  within,
} from "../fixtures.js"

const open = socketTracker()

function describeImpl({ zmq }: Impl, transport: Transport): void {
  it("connect() returns synchronously, before any peer exists", async () => {
    const socket = open(new zmq.Dealer())
    const endpoint = await deadEndpoint(transport)
    expect(await outcome(() => socket.connect(endpoint))).toEqual({ how: "returned", value: undefined })
  })

  it("disconnect() of an endpoint that was never connected throws ENOENT", async () => {
    const socket = open(new zmq.Dealer())
    const address = await deadEndpoint(transport)
    expect(await outcome(() => socket.disconnect(address))).toMatchObject({
      how: "threw",
      error: { code: "ENOENT", message: "No such endpoint", address },
    })
  })

  it("disconnect() of a connected endpoint succeeds once, then throws ENOENT", async () => {
    const server = open(new zmq.Dealer())
    const endpoint = await bindAny(server, transport)
    const client = open(new zmq.Dealer())
    client.connect(endpoint)
    expect(await outcome(() => client.disconnect(endpoint))).toEqual({ how: "returned", value: undefined })
    expect(await outcome(() => client.disconnect(endpoint))).toMatchObject({
      how: "threw",
      error: { code: "ENOENT" },
    })
  })

  it("a message sent before the peer binds is delivered once it does", async () => {
    const endpoint = transport === "tcp" ? undefined : endpointFor("ipc")
    const server = open(new zmq.Pull())
    const client = open(new zmq.Push({ reconnectInterval: 20 }))
    if (endpoint !== undefined) {
      client.connect(endpoint)
      await client.send("early")
      await server.bind(endpoint)
    } else {
      // The tcp port is only known after bind, so the send is started first and the bind follows.
      const sent = server.bind("tcp://127.0.0.1:*").then(() => {
        client.connect(server.lastEndpoint!)
      })
      await client.send("early")
      await sent
    }
    const [message] = await within(5_000, server.receive(), "the early message")
    expect(message?.toString()).toBe("early")
  })

  it("a ROUTER can address a peer by the routing id it gave connect(), before the connection is up", async () => {
    const router = open(new zmq.Router({ mandatory: true }))
    const endpoint = await deadEndpoint(transport)
    router.connect(endpoint, { routingId: "remoteId" })
    expect(await outcome(() => router.send(["remoteId", "hi"]))).toEqual({
      how: "resolved",
      value: undefined,
    })
  })

  it("disconnect() takes the peer out of a PUSH's round robin", async () => {
    const pulls = [open(new zmq.Pull()), open(new zmq.Pull())]
    const endpoints = [await bindAny(pulls[0]!, transport), await bindAny(pulls[1]!, transport)]
    const push = open(new zmq.Push())
    let handshakes = 0
    push.events.on("handshake", () => {
      handshakes += 1
    })
    push.connect(endpoints[0]!)
    push.connect(endpoints[1]!)
    await waitUntil(() => handshakes === 2, "both connections")
    push.disconnect(endpoints[0]!)
    for (let i = 0; i < 6; i += 1) await push.send(`m${i}`)
    const got: string[] = []
    for (let i = 0; i < 6; i += 1) got.push(String(await within(5_000, pulls[1]!.receive(), `m${i}`)))
    expect(got).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"])
    pulls[0]!.receiveTimeout = 100
    expect(await outcome(() => pulls[0]!.receive())).toMatchObject({
      how: "rejected",
      error: { code: "EAGAIN" },
    })
  })

  if (transport === "tcp") {
    it("an endpoint without a port throws EINVAL", async () => {
      const socket = open(new zmq.Dealer())
      expect(await outcome(() => socket.connect("tcp://127.0.0.1"))).toMatchObject({
        how: "threw",
        error: { code: "EINVAL", address: "tcp://127.0.0.1" },
      })
    })
  }
}

describe("connect errors that do not depend on the transport", () => {
  for (const { name, zmq } of impls) {
    describe(name, () => {
      for (const [address, code, message] of [
        ["foo-bar", "EINVAL", "Invalid argument"],
        ["foo://bar", "EPROTONOSUPPORT", "Protocol not supported"],
      ] as const) {
        it(`connect("${address}") throws ${code}`, async () => {
          const socket = open(new zmq.Dealer())
          expect(await outcome(() => socket.connect(address))).toMatchObject({
            how: "threw",
            error: { code, message, address },
          })
        })

        it(`disconnect("${address}") throws ${code}`, async () => {
          const socket = open(new zmq.Dealer())
          expect(await outcome(() => socket.disconnect(address))).toMatchObject({
            how: "threw",
            error: { code, message, address },
          })
        })
      }
    })
  }
})

for (const impl of impls) {
  for (const transport of transports) {
    describe(`connect/disconnect over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
