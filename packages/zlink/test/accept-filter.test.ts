/**
 * `tcpAcceptFilter` side by side with libzmq 4.3.5 (through the `zeromq` package): the values each
 * accepts, that it cannot be read, and real connections from addresses the filter lets in and from
 * addresses it refuses (127.0.0.0/8 is all loopback on Linux, so a client can connect from
 * 127.0.0.2).
 */
import { connect, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it, vi } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"

const impls = [
  ["libzmq", zmq],
  ["zlink", zl as unknown as typeof zmq],
] as const

const closers: (() => void)[] = []

afterEach(() => {
  vi.restoreAllMocks()
  for (const close of closers.splice(0).reverse()) close()
})

function track<T extends { close(): void }>(socket: T): T {
  closers.push(() => socket.close())
  return socket
}

function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** What happened to a raw client connecting from `localAddress`: the octets it got, and if it was closed. */
function probe(endpoint: string, localAddress: string) {
  const port = Number(endpoint.split(":").pop())
  const socket: NetSocket = connect({ port, host: "127.0.0.1", localAddress })
  closers.push(() => socket.destroy())
  const chunks: Buffer[] = []
  socket.on("data", (chunk) => chunks.push(chunk))
  socket.on("error", () => {})
  return {
    /** Resolves with everything received once the listener closed the connection. */
    closed: within(
      2000,
      new Promise<Buffer>((resolve) => socket.on("close", () => resolve(Buffer.concat(chunks)))),
      `the close of a connection from ${localAddress}`,
    ),
    /** Resolves with the first octets of the greeting. */
    greeted: within(2000, new Promise<Buffer>((resolve) => socket.once("data", resolve)), "the greeting"),
  }
}

// The values zeromq 6.8.0 accepts (true) and refuses with EINVAL (false), with ipv6 off and on.
const VALUES: readonly [string | null, boolean, boolean][] = [
  ["127.0.0.1", true, true],
  ["127.0.0.1/0", true, true],
  ["127.0.0.1/24abc", true, true],
  ["127.0.0.1/ 8", true, true],
  ["127.1", true, true],
  ["0x7f.1", true, true],
  ["0.0.0.0", true, true],
  ["::ffff:127.0.0.1", true, true],
  ["::1", false, true],
  ["[::1]", false, true],
  ["::1/64", false, true],
  ["::ffff:127.0.0.1/120", false, true],
  ["127.0.0.1/", false, false],
  ["127.0.0.1/00", false, false],
  ["127.0.0.1/33", false, true],
  ["1.2.3.4/-1", false, false],
  ["localhost", false, false],
  ["*", false, false],
  [" 127.0.0.1", false, false],
  ["127.0.0.1:80", false, false],
  ["127.0.0.256", false, false],
  ["", false, false],
  [null, true, true],
]

for (const [name, impl] of impls) {
  describe(`tcpAcceptFilter on ${name}`, () => {
    it("takes the addresses libzmq takes, with the socket's ipv6 at the time", () => {
      for (const ipv6 of [false, true]) {
        const socket = track(new impl.Router({ ipv6 }))
        const outcomes = VALUES.map(([value]) => {
          try {
            socket.tcpAcceptFilter = value
            return true
          } catch (err) {
            expect(err).toMatchObject({ code: "EINVAL" })
            return false
          }
        })
        expect(outcomes, `ipv6 ${ipv6}`).toEqual(VALUES.map(([, v4, v6]) => (ipv6 ? v6 : v4)))
      }
    })

    it("cannot be read back (EINVAL), as zmq_getsockopt has no case for it", () => {
      const socket = track(new impl.Router())
      expect(() => socket.tcpAcceptFilter).toThrow(expect.objectContaining({ code: "EINVAL" }))
      socket.tcpAcceptFilter = "127.0.0.1"
      expect(() => socket.tcpAcceptFilter).toThrow(expect.objectContaining({ code: "EINVAL" }))
    })

    it.runIf(process.platform === "linux")(
      "closes a peer outside the list before the greeting, and greets one inside it",
      async () => {
        const router = track(new impl.Router({ linger: 0 }))
        router.tcpAcceptFilter = "127.0.0.2"
        await router.bind("tcp://127.0.0.1:*")
        const endpoint = router.lastEndpoint!
        expect((await probe(endpoint, "127.0.0.1").closed).length).toBe(0)
        const greeting = await probe(endpoint, "127.0.0.2").greeted
        expect(greeting[0]).toBe(0xff)
      },
    )

    it.runIf(process.platform === "linux")(
      "adds an entry with each value; null empties the list for the next bind only",
      async () => {
        const router = track(new impl.Router({ linger: 0 }))
        router.tcpAcceptFilter = "127.0.0.2"
        router.tcpAcceptFilter = "127.0.0.8/30"
        await router.bind("tcp://127.0.0.1:*")
        const first = router.lastEndpoint!
        for (const from of ["127.0.0.2", "127.0.0.9", "127.0.0.11"]) {
          expect((await probe(first, from).greeted)[0], from).toBe(0xff)
        }
        for (const from of ["127.0.0.3", "127.0.0.12"]) {
          expect((await probe(first, from).closed).length, from).toBe(0)
        }
        vi.spyOn(process, "emitWarning").mockImplementation(() => {})
        router.tcpAcceptFilter = null
        // The listener kept the list it was bound with.
        expect((await probe(first, "127.0.0.1").closed).length).toBe(0)
        await router.bind("tcp://127.0.0.1:*")
        expect((await probe(router.lastEndpoint!, "127.0.0.1").greeted)[0]).toBe(0xff)
      },
    )
  })
}

describe.runIf(process.platform === "linux")("a zlink ROUTER with an accept filter and libzmq peers", () => {
  it("serves a libzmq DEALER connecting from a listed address; one from elsewhere never gets in", async () => {
    const router = track(new zl.Router({ linger: 0 }))
    const events: string[] = []
    router.events.on("accept", () => events.push("accept"))
    router.tcpAcceptFilter = "127.0.0.2"
    await router.bind("tcp://127.0.0.1:*")
    const port = router.lastEndpoint!.split(":").pop()
    const outsider = track(new zmq.Dealer({ linger: 0, routingId: "outsider" }))
    outsider.connect(`tcp://127.0.0.1:${port}`)
    const insider = track(new zmq.Dealer({ linger: 0, routingId: "insider" }))
    // libzmq's source-address syntax: connect from 127.0.0.2.
    insider.connect(`tcp://127.0.0.2:0;127.0.0.1:${port}`)
    await outsider.send("from 127.0.0.1")
    await insider.send("from 127.0.0.2")
    const [id, body] = await within(2000, router.receive(), "the insider's message")
    expect([id!.toString(), body!.toString()]).toEqual(["insider", "from 127.0.0.2"])
    await router.send(["insider", "welcome"])
    const [reply] = await within(2000, insider.receive(), "the reply")
    expect(reply!.toString()).toBe("welcome")
    // The outsider redials every 100 ms and is closed each time; its message never arrives.
    await new Promise((resolve) => setTimeout(resolve, 300))
    router.receiveTimeout = 0
    await expect(router.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    expect(events).toEqual(["accept"])
  })
})
