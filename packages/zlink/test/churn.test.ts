/**
 * Connection churn against a bound ROUTER: port scanners, health checks and peers that go at once
 * must leave nothing behind (sockets, timers, engines, pipes), and a good peer connected all along
 * keeps being served while they come and go. The speed of this is the bench's churn row; here only
 * what must hold.
 */
import { connect, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"
import { coreOf } from "../src/internal.js"

const sockets: { close(): void }[] = []

afterEach(() => {
  for (const s of sockets.splice(0)) s.close()
})

function track<T extends { close(): void }>(socket: T): T {
  sockets.push(socket)
  return socket
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const GREETING_NULL = Buffer.from(
  "ff00000000000000017f03014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
  "hex",
)
/** READY for a DEALER peer: Socket-Type DEALER. */
const READY_DEALER = Buffer.from("041c0552454144590b536f636b65742d54797065000000064445414c4552", "hex")
/** What the ROUTER sends before its READY can be read: its 64-octet greeting. */
const GREETING_SIZE = 64

/**
 * One connection of the churn: connect, then either end at once (`handshake` false) or send a greeting
 * and READY, read the ROUTER's greeting and READY, then end. Resolves once the ROUTER has closed its
 * side as well; rejects on an error or after 5 s.
 */
function cycle(port: number, handshake: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: NetSocket = connect(port, "127.0.0.1")
    let input = Buffer.alloc(0)
    let ended = false
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`a ${handshake ? "handshake" : "connect"} cycle did not finish in 5 s`))
    }, 5000)
    const end = () => {
      if (ended) return
      ended = true
      socket.end()
    }
    socket.on("connect", () =>
      handshake ? socket.write(Buffer.concat([GREETING_NULL, READY_DEALER])) : end(),
    )
    socket.on("data", (chunk: Buffer) => {
      if (!handshake) return
      input = Buffer.concat([input, chunk])
      // The READY frame: flags 0x04, a one-octet size, the body.
      if (input.length > GREETING_SIZE + 1 && input.length >= GREETING_SIZE + 2 + input[GREETING_SIZE + 1]!)
        end()
    })
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on("close", () => {
      clearTimeout(timer)
      if (handshake && !ended) reject(new Error("the ROUTER closed before its READY"))
      else resolve()
    })
  })
}

/** What the process holds that a connection could leak: sockets and timers. */
function held(): { sockets: number; timers: number } {
  const kinds = process.getActiveResourcesInfo()
  return {
    sockets: kinds.filter((k) => k === "TCPSocketWrap").length,
    timers: kinds.filter((k) => k === "Timeout").length,
  }
}

/** The engines of a bound socket's endpoints and its pipes, read from the core socket. */
function insides(socket: zl.Socket): { engines: number; pipes: number } {
  const core = coreOf(socket) as unknown as {
    bindings: Map<string, { engines: Set<unknown> }>
    pipes: unknown[]
  }
  let engines = 0
  for (const binding of core.bindings.values()) engines += binding.engines.size
  return { engines, pipes: core.pipes.length }
}

describe("connection churn against a ROUTER over tcp", () => {
  it("2,000 connect/close cycles leave no socket, timer, engine or pipe behind, and a good peer is served throughout", async () => {
    const router = track(new zl.Router())
    const counts = { accept: 0, handshake: 0, failed: 0, disconnect: 0 }
    router.events.on("accept", () => counts.accept++)
    router.events.on("handshake", () => counts.handshake++)
    router.events.on("handshake:error:other", () => counts.failed++)
    router.events.on("disconnect", () => counts.disconnect++)
    await router.bind("tcp://127.0.0.1:*")
    const endpoint = router.lastEndpoint!
    const port = Number(new URL(endpoint.replace("tcp://", "http://")).port)
    // The ROUTER echoes what it gets; its loop ends with the socket's close.
    const echo = (async () => {
      for (;;) await router.send(await router.receive())
    })().catch((error: unknown) => error)

    // The good peer: a libzmq DEALER, doing round trips through the ROUTER's echo all along.
    const dealer = track(new zmq.Dealer())
    dealer.connect(endpoint)
    let trips = 0
    let stop = false
    const good = (async () => {
      while (!stop) {
        const text = `trip ${trips}`
        await dealer.send(text)
        const [reply] = await dealer.receive()
        if (reply?.toString() !== text) throw new Error(`round trip ${trips}: got ${String(reply)}`)
        trips++
      }
    })()
    try {
      await waitFor(() => trips > 0, "the good peer's first round trip")
      const baseline = held()
      expect(insides(router)).toEqual({ engines: 1, pipes: 1 })

      // 2,000 cycles, 8 at a time, half of them with a full handshake; in each tenth of the churn the
      // good peer must have completed round trips.
      const CYCLES = 2000
      const LANES = 8
      let started = 0
      const tripsAt: number[] = []
      const lane = async () => {
        while (started < CYCLES) {
          const n = started++
          if (n % (CYCLES / 10) === 0) tripsAt.push(trips)
          await cycle(port, n % 2 === 1)
        }
      }
      await Promise.all(Array.from({ length: LANES }, lane))
      tripsAt.push(trips)
      const served = tripsAt.slice(1).map((t, i) => t - tripsAt[i]!)
      expect(served).toHaveLength(10)
      for (const n of served) expect(n).toBeGreaterThan(0)

      // Every churn connection was taken in and went away; as libzmq, those that closed before the
      // handshake report it (EPIPE) before their disconnect.
      await waitFor(() => counts.disconnect === CYCLES, "a disconnect event for each connection")
      expect(counts).toEqual({
        accept: CYCLES + 1,
        handshake: CYCLES / 2 + 1,
        failed: CYCLES / 2,
        disconnect: CYCLES,
      })
      // The ROUTER holds the good peer's engine and pipe only, and the process what it held before.
      expect(insides(router)).toEqual({ engines: 1, pipes: 1 })
      await waitFor(
        () => held().sockets <= baseline.sockets && held().timers <= baseline.timers,
        `sockets and timers back to ${JSON.stringify(baseline)} (now ${JSON.stringify(held())})`,
        2000,
      )

      // And the good peer is still served.
      const before = trips
      await waitFor(() => trips >= before + 10, "ten more round trips after the churn")
    } finally {
      stop = true
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        good.catch(() => {}),
        new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
      ])
      clearTimeout(timer)
      router.close()
      dealer.close()
    }
    // The good peer's loop ended by `stop`, not by an error.
    await expect(good).resolves.toBeUndefined()
    expect(await echo).toMatchObject({ code: "EAGAIN" })
  }, 60_000)
})
