/**
 * bind() and unbind(): resolved endpoints, error codes (with the offending address), EBUSY while a
 * bind or unbind is in progress, and address reuse. Runs once per implementation and transport.
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

const BUSY = { code: "EBUSY", message: "Socket is blocked by a bind or unbind operation" }

function describeImpl({ zmq, name }: Impl, transport: Transport): void {
  it("bind resolves and lastEndpoint names the bound endpoint", async () => {
    const socket = open(new zmq.Dealer())
    const requested = endpointFor(transport)
    await expect(socket.bind(requested)).resolves.toBeUndefined()
    if (transport === "tcp") {
      expect(socket.lastEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
      expect(Number(socket.lastEndpoint!.split(":").pop())).toBeGreaterThan(0)
    } else {
      expect(socket.lastEndpoint).toBe(requested)
    }
  })

  it("unbind of an endpoint that was never bound rejects with ENOENT", async () => {
    const socket = open(new zmq.Dealer())
    const address = await deadEndpoint(transport)
    expect(await outcome(() => socket.unbind(address))).toMatchObject({
      how: "rejected",
      error: { code: "ENOENT", message: "No such endpoint", address },
    })
  })

  it("unbind resolves, and the same endpoint can be bound again", async () => {
    const socket = open(new zmq.Dealer())
    const endpoint = await bindAny(socket, transport)
    await expect(socket.unbind(endpoint)).resolves.toBeUndefined()
    expect(await outcome(() => socket.unbind(endpoint))).toMatchObject({
      how: "rejected",
      error: { code: "ENOENT" },
    })
    // libzmq closes the listening socket in its I/O thread after unbind() resolved, so a bind at
    // once can still meet EADDRINUSE on a busy machine; zlink has closed it when unbind() resolves.
    let attempts = 0
    for (;;) {
      attempts += 1
      const result = await outcome(() => socket.bind(endpoint))
      if (result.how === "resolved" || name !== "libzmq" || attempts === 40) {
        expect(result).toMatchObject({ how: "resolved" })
        break
      }
      expect(result).toMatchObject({ how: "rejected", error: { code: "EADDRINUSE" } })
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    if (name !== "libzmq") expect(attempts).toBe(1)
  })

  it("a peer can no longer connect after unbind", async () => {
    const server = open(new zmq.Pull())
    const endpoint = await bindAny(server, transport)
    await server.unbind(endpoint)
    const client = open(new zmq.Push({ sendTimeout: 0 }))
    client.connect(endpoint)
    // Whether the PUSH queues this or refuses it does not matter: nothing may reach the server.
    await client.send("lost").catch(() => {})
    server.receiveTimeout = 200
    expect(await outcome(() => server.receive())).toMatchObject({
      how: "rejected",
      error: { code: "EAGAIN" },
    })
  })

  it("a second bind while one is in progress throws EBUSY synchronously", async () => {
    const socket = open(new zmq.Dealer())
    const first = socket.bind(endpointFor(transport))
    expect(await outcome(() => socket.bind(endpointFor(transport)))).toMatchObject({
      how: "threw",
      error: BUSY,
    })
    await first
  })

  it("connect while a bind is in progress throws EBUSY synchronously", async () => {
    const socket = open(new zmq.Dealer())
    const first = socket.bind(endpointFor(transport))
    expect(await outcome(() => socket.connect(endpointFor(transport)))).toMatchObject({
      how: "threw",
      error: BUSY,
    })
    await first
  })

  it("a second unbind while one is in progress throws EBUSY synchronously", async () => {
    const socket = open(new zmq.Dealer())
    const endpoint = await bindAny(socket, transport)
    const first = socket.unbind(endpoint)
    expect(await outcome(() => socket.unbind(endpoint))).toMatchObject({ how: "threw", error: BUSY })
    await first
  })

  if (transport === "tcp") {
    it("binding an address in use by another socket rejects with EADDRINUSE", async () => {
      const first = open(new zmq.Dealer())
      const endpoint = await bindAny(first, "tcp")
      const second = open(new zmq.Dealer())
      expect(await outcome(() => second.bind(endpoint))).toMatchObject({
        how: "rejected",
        error: { code: "EADDRINUSE", message: "Address already in use", address: endpoint },
      })
    })

    it("an endpoint without a port rejects with EINVAL", async () => {
      const socket = open(new zmq.Dealer())
      expect(await outcome(() => socket.bind("tcp://127.0.0.1"))).toMatchObject({
        how: "rejected",
        error: { code: "EINVAL", address: "tcp://127.0.0.1" },
      })
    })

    it("binding to tcp://*:* listens on every interface with a system-chosen port", async () => {
      const socket = open(new zmq.Dealer())
      await socket.bind("tcp://*:*")
      expect(socket.lastEndpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/)
    })
  } else {
    it("binding an ipc path that another socket holds takes the path over", async () => {
      // libzmq unlinks a leftover socket file before it binds, so the second bind succeeds and new
      // connections reach the second socket.
      const first = open(new zmq.Pull())
      const endpoint = await bindAny(first, "ipc")
      const second = open(new zmq.Pull())
      await expect(second.bind(endpoint)).resolves.toBeUndefined()
      const client = open(new zmq.Push())
      client.connect(endpoint)
      await client.send("hello")
      const [message] = await within(5_000, second.receive(), "message at the second socket")
      expect(message?.toString()).toBe("hello")
      first.receiveTimeout = 100
      expect(await outcome(() => first.receive())).toMatchObject({
        how: "rejected",
        error: { code: "EAGAIN" },
      })
    })

    it("an ipc path in a missing directory rejects with ENOENT", async () => {
      const socket = open(new zmq.Dealer())
      const address = `${endpointFor("ipc")}.d/missing/socket`
      expect(await outcome(() => socket.bind(address))).toMatchObject({
        how: "rejected",
        error: { code: "ENOENT", address },
      })
    })
  }
}

describe("bind errors that do not depend on the transport", () => {
  for (const { name, zmq } of impls) {
    describe(name, () => {
      for (const [address, code, message] of [
        ["foo-bar", "EINVAL", "Invalid argument"],
        ["foo://bar", "EPROTONOSUPPORT", "Protocol not supported"],
      ] as const) {
        it(`bind("${address}") rejects with ${code}`, async () => {
          const socket = open(new zmq.Dealer())
          expect(await outcome(() => socket.bind(address))).toMatchObject({
            how: "rejected",
            error: { code, message, address },
          })
        })

        it(`unbind("${address}") rejects with ${code}`, async () => {
          const socket = open(new zmq.Dealer())
          expect(await outcome(() => socket.unbind(address))).toMatchObject({
            how: "rejected",
            error: { code, message, address },
          })
        })
      }

      it("bind errors carry a numeric errno", async () => {
        const socket = open(new zmq.Dealer())
        const { error } = await outcome(() => socket.bind("foo-bar"))
        expect(typeof (error as { errno?: unknown }).errno).toBe("number")
      })
    })
  }
})

for (const impl of impls) {
  for (const transport of transports) {
    describe(`bind/unbind over ${transport} (${impl.name})`, () => describeImpl(impl, transport))
  }
}
