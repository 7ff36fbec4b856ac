/**
 * The chaos proxy itself, between two plain `node:net` sockets: what it forwards when no cut is
 * planned (every octet, in order, both ways, whatever the splits, delays and stalls), what each kind
 * of cut leaves on the wire, and that a stall really stops reading the source.
 */
import { once } from "node:events"
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { sleep, waitUntil, within } from "../fixtures.js"
import { patterned } from "../messages.js"
import { type ChaosOptions, ChaosProxy, type Cut, type Faults, NO_FAULTS } from "./proxy.js"
import { Random } from "./random.js"

/** Every fault at once, with splits down to single octets. */
const ROUGH: Faults = {
  split: 0.5,
  tinyPiece: 7,
  maxPiece: 2048,
  delay: 0.1,
  maxDelay: 2,
  stall: 0.05,
  stallMs: [2, 10],
}

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** A target that accepts connections; `accepted` resolves with its side of the first. */
async function target(): Promise<{ port: number; accepted: Promise<Socket> }> {
  const server: Server = createServer({ allowHalfOpen: true })
  server.on("connection", (socket) => {
    socket.on("error", () => {})
    cleanup.push(() => socket.destroy())
  })
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve))
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  cleanup.push(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as AddressInfo).port, accepted }
}

async function start(port: number, options: ChaosOptions): Promise<ChaosProxy> {
  const proxy = await ChaosProxy.start(`tcp://127.0.0.1:${port}`, options)
  cleanup.push(() => proxy.close())
  return proxy
}

async function dial(endpoint: string): Promise<Socket> {
  const port = Number(endpoint.slice(endpoint.lastIndexOf(":") + 1))
  const socket = netConnect({ host: "127.0.0.1", port, allowHalfOpen: true })
  socket.on("error", () => {})
  cleanup.push(() => socket.destroy())
  await once(socket, "connect")
  return socket
}

/** Everything `socket` receives until it ends or closes, and how it ended. */
function collect(socket: Socket): Promise<{ data: Buffer; error: string | undefined }> {
  const chunks: Buffer[] = []
  let error: string | undefined
  socket.on("data", (chunk: Buffer) => chunks.push(chunk))
  socket.on("error", (e: NodeJS.ErrnoException) => {
    error ??= e.code
  })
  return new Promise((resolve) => {
    const done = () => resolve({ data: Buffer.concat(chunks), error })
    socket.once("end", done)
    socket.once("close", done)
  })
}

/** Writes `data` in chunks of varied sizes, then ends. */
function writeAll(socket: Socket, data: Buffer, seed: number): void {
  const random = new Random(seed)
  for (let offset = 0; offset < data.length; ) {
    const size = Math.min(random.int(1, 20_000), data.length - offset)
    socket.write(data.subarray(offset, offset + size))
    offset += size
  }
  socket.end()
}

describe("chaos proxy", () => {
  it("forwards every octet in order, both ways, through splits down to 1 octet, delays and stalls", async () => {
    const { port, accepted } = await target()
    const proxy = await start(port, { seed: 11, faults: ROUGH })
    const client = await dial(proxy.endpoint)
    const server = await within(5_000, accepted, "the proxy to dial the target")
    const upData = patterned(300_000, 1)
    const downData = patterned(250_000, 2)
    const atServer = collect(server)
    const atClient = collect(client)
    writeAll(client, upData, 3)
    writeAll(server, downData, 4)
    const [up, down] = await within(20_000, Promise.all([atServer, atClient]), "both directions to finish")

    expect(up.data.equals(upData), "octets that reached the target are the client's, in order").toBe(true)
    expect(down.data.equals(downData), "octets that reached the client are the target's, in order").toBe(true)
    const [record] = proxy.connections
    expect(proxy.connections).toHaveLength(1)
    for (const [stats, size] of [
      [record!.up, upData.length],
      [record!.down, downData.length],
    ] as const) {
      expect(stats.bytesIn).toBe(size)
      expect(stats.bytesOut).toBe(size)
      expect(stats.dropped).toBe(0)
      // The faults really happened: chunks were split down to single octets, some waited, some stalled.
      expect(stats.pieces).toBeGreaterThan(stats.chunks * 2)
      expect(stats.smallestPiece).toBe(1)
      expect(stats.delays).toBeGreaterThan(0)
      expect(stats.stalls).toBeGreaterThan(0)
    }
    await waitUntil(() => record!.closed, "the proxy to close both sockets after both FINs")
  })

  it("forwards unchanged with no faults: one write per chunk read", async () => {
    const { port, accepted } = await target()
    const proxy = await start(port, { seed: 1, faults: NO_FAULTS })
    const client = await dial(proxy.endpoint)
    const server = await accepted
    const data = patterned(64_000, 9)
    const atServer = collect(server)
    writeAll(client, data, 5)
    const { data: got } = await within(10_000, atServer, "the stream")
    expect(got.equals(data)).toBe(true)
    const { up } = proxy.totals()
    expect(up.pieces).toBe(up.chunks)
    expect(up.delays + up.stalls).toBe(0)
  })

  const cuts: Array<{ cut: Cut; what: string }> = [
    { cut: { direction: "up", at: 3_000, kind: "reset" }, what: "a reset" },
    { cut: { direction: "up", at: 3_000, kind: "destroy" }, what: "destroying both sockets" },
    { cut: { direction: "up", at: 37, kind: "reset" }, what: "a reset inside the first 64 octets" },
  ]
  for (const { cut, what } of cuts) {
    it(`a cut by ${what} forwards exactly ${cut.at} octets of that direction, then closes both sides`, async () => {
      const { port, accepted } = await target()
      const proxy = await start(port, { seed: 5, faults: ROUGH, cutFor: (i) => (i === 0 ? cut : undefined) })
      const client = await dial(proxy.endpoint)
      const server = await accepted
      const data = patterned(10_000, 6)
      const atServer = collect(server)
      const atClient = collect(client)
      writeAll(client, data, 7)
      const [up, down] = await within(10_000, Promise.all([atServer, atClient]), "both sides to be closed")
      expect(up.data.equals(data.subarray(0, cut.at)), `the target got the first ${cut.at} octets`).toBe(true)
      if (cut.kind === "reset") {
        expect(up.error, "the target was reset").toBe("ECONNRESET")
        expect(down.error, "the client was reset").toBe("ECONNRESET")
      }
      expect(proxy.cuts).toBe(1)
      expect(proxy.connections[0]!.up.bytesOut).toBe(cut.at)
    })
  }

  it("a cut at offset 0 of the way down forwards nothing that way", async () => {
    const { port, accepted } = await target()
    const proxy = await start(port, {
      seed: 5,
      cutFor: () => ({ direction: "down", at: 0, kind: "destroy" }),
    })
    const client = await dial(proxy.endpoint)
    const server = await accepted
    const atClient = collect(client)
    server.write(patterned(64, 1))
    const { data } = await within(5_000, atClient, "the client to be closed")
    expect(data.length).toBe(0)
    expect(proxy.connections[0]!.down.bytesOut).toBe(0)
  })

  it("a half-close ends one direction only: the other keeps flowing until its side ends", async () => {
    const { port, accepted } = await target()
    const proxy = await start(port, {
      seed: 8,
      faults: ROUGH,
      cutFor: () => ({ direction: "up", at: 500, kind: "half-close" }),
    })
    const client = await dial(proxy.endpoint)
    const server = await accepted
    const upData = patterned(5_000, 1)
    const atClient = collect(client)
    const serverEnded = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      server.on("data", (chunk: Buffer) => chunks.push(chunk))
      server.once("end", () => resolve(Buffer.concat(chunks)))
    })
    client.write(upData)
    const gotUp = await within(5_000, serverEnded, "the target to see the FIN")
    expect(gotUp.equals(upData.subarray(0, 500))).toBe(true)
    // The way down is still open: the target can answer after the FIN it received.
    const downData = patterned(20_000, 2)
    server.end(downData)
    const { data, error } = await within(10_000, atClient, "the client to get the answer and the FIN")
    expect(error).toBeUndefined()
    expect(data.equals(downData)).toBe(true)
    expect(proxy.connections[0]!.cutTime).toBeDefined()
  })

  it("a stall stops reading the source, and reading resumes after it", async () => {
    const { port, accepted } = await target()
    const proxy = await start(port, { seed: 2, faults: { ...NO_FAULTS, stall: 1, stallMs: [400, 400] } })
    const client = await dial(proxy.endpoint)
    const server = await accepted
    const data = patterned(16 << 20, 3)
    const atServer = collect(server)
    client.end(data)
    const { up } = proxy.connections[0]!
    await waitUntil(() => up.stalls === 1, "the first stall")
    // Only the first piece stalls; everything after it flows.
    proxy.faults = NO_FAULTS
    await sleep(100)
    const during = up.bytesIn
    await sleep(150)
    expect(up.bytesIn, "no octet was read from the source during the stall").toBe(during)
    expect(during, "the source had more to give").toBeLessThan(data.length)
    expect(client.writableLength, "the writer is held back").toBeGreaterThan(0)
    const { data: got } = await within(15_000, atServer, "the rest of the stream")
    expect(got.equals(data)).toBe(true)
    expect(up.stalls).toBe(1)
  })

  it("moves a planned cut whose connection closed before its offset to the next connection", async () => {
    const { port, accepted } = await target()
    // The target answers a FIN with its own, so that the first connection closes completely.
    void accepted.then((socket) => socket.on("end", () => socket.end()).resume())
    const proxy = await start(port, {
      seed: 4,
      cutFor: (slot) => (slot === 0 ? { direction: "up", at: 1_000, kind: "destroy" } : undefined),
    })
    const first = await dial(proxy.endpoint)
    first.end(patterned(100, 1))
    await waitUntil(() => proxy.connections[0]?.closed === true, "the first connection to close")
    const second = await dial(proxy.endpoint)
    const closed = collect(second)
    second.write(patterned(5_000, 2))
    await within(5_000, closed, "the cut of the second connection")
    expect(proxy.connections.map((c) => c.cut?.at)).toEqual([1_000, 1_000])
    expect(proxy.connections.map((c) => c.cutTime !== undefined)).toEqual([false, true])
    expect(proxy.connections[1]!.up.bytesOut).toBe(1_000)
  })

  it("refuses connections for the downtime after a cut", async () => {
    const { port } = await target()
    const proxy = await start(port, {
      seed: 3,
      downtime: 300,
      cutFor: (i) => (i === 0 ? { direction: "up", at: 10, kind: "reset" } : undefined),
    })
    const first = await dial(proxy.endpoint)
    const firstClosed = collect(first)
    first.write(patterned(100, 1))
    await within(5_000, firstClosed, "the cut")
    const second = netConnect({ host: "127.0.0.1", port: Number(proxy.endpoint.split(":")[2]) })
    cleanup.push(() => second.destroy())
    const { error } = await within(5_000, collect(second), "the refusal")
    expect(error).toBe("ECONNRESET")
    expect(proxy.refused).toBe(1)
    expect(proxy.connections).toHaveLength(1)
  })
})

describe("seeded generator", () => {
  it("gives the same sequence for the same seed, and another for another seed", () => {
    const draw = (seed: number) => {
      const random = new Random(seed)
      return Array.from({ length: 32 }, () => random.int(0, 1_000_000))
    }
    expect(draw(42)).toEqual(draw(42))
    expect(draw(42)).not.toEqual(draw(43))
  })

  it("derives generators that depend on the tag, not on what the parent drew", () => {
    const a = new Random(7)
    expect(a.derive(3).next()).not.toBe(a.derive(4).next())
    expect(a.derive(3).next()).toBe(new Random(7).derive(3).next())
    // derive() reads the parent's state but does not advance it.
    const before = new Random(7)
    before.derive(1)
    expect(before.next()).toBe(new Random(7).next())
  })

  it("spreads int() over its whole range", () => {
    const random = new Random(1)
    const seen = new Set<number>()
    for (let i = 0; i < 1_000; i += 1) seen.add(random.int(1, 7))
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
  })
})
