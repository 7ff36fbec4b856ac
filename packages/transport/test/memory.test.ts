import { describe, expect, it } from "vitest"
import {
  type ConnectionHandlers,
  createTransportContext,
  type MemoryConnection,
  MemoryNetwork,
  type MemoryOptions,
  memory,
  parseEndpoint,
} from "../src/index.js"

/** Lets every queued microtask (and the delivery it schedules) run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

class Recorder implements ConnectionHandlers {
  readonly chunks: Uint8Array[] = []
  readonly closes: Array<Error | undefined> = []
  drains = 0
  onDrainHook: (() => void) | undefined
  readonly onData = (chunk: Uint8Array) => void this.chunks.push(chunk)
  readonly onDrain = () => {
    this.drains++
    this.onDrainHook?.()
  }
  readonly onClose = (error?: Error) => void this.closes.push(error)
  octets(): number[] {
    return this.chunks.flatMap((chunk) => [...chunk])
  }
}

async function connected(options: MemoryOptions = {}, serverOptions: MemoryOptions = options) {
  const network = new MemoryNetwork()
  const clientTransport = memory({ ...options, network })(createTransportContext())
  const serverTransport = memory({ ...serverOptions, network })(createTransportContext())
  let server: MemoryConnection | undefined
  const listener = await serverTransport.listen("*", (connection) => {
    server = connection
  })
  const client = await clientTransport.dial(parseEndpoint(listener.endpoint).address)
  const a = new Recorder()
  const b = new Recorder()
  client.start(a)
  server!.start(b)
  return { client, server: server!, a, b, listener, network }
}

const bytes = (...values: number[]) => new Uint8Array(values)

describe("memory transport", () => {
  it("takes whole chunks and then part of the next, within the budget", async () => {
    const { client, a, b } = await connected({ budget: 5 })
    const first = bytes(1, 2, 3)
    const second = bytes(4, 5, 6, 7)
    expect(client.writeSome([first, second])).toEqual({ written: 5, canWriteMore: false })
    expect(client.budget).toBe(0)
    expect(client.writeSome([bytes(6, 7)])).toEqual({ written: 0, canWriteMore: false })
    await settle()
    expect(b.chunks).toHaveLength(2)
    expect(b.chunks[0]).toBe(first) // passed on by reference
    expect(b.chunks[1]!.buffer).toBe(second.buffer) // a view, not a copy
    expect(b.octets()).toEqual([1, 2, 3, 4, 5])
    expect(a.drains).toBe(0)

    client.grant(2)
    expect(a.drains).toBe(1) // synchronous, inside grant
    expect(client.writeSome([bytes(6, 7)])).toEqual({ written: 2, canWriteMore: false })
    client.grant(Number.POSITIVE_INFINITY)
    expect(a.drains).toBe(2)
    expect(client.writeSome([bytes(8)])).toEqual({ written: 1, canWriteMore: true })
    await settle()
    expect(b.octets()).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it("reports canWriteMore false when a write uses the budget up exactly", async () => {
    const { client, a } = await connected({ budget: 3 })
    expect(client.writeSome([bytes(1, 2, 3)])).toEqual({ written: 3, canWriteMore: false })
    client.grant(0)
    expect(a.drains).toBe(0)
    client.grant(1)
    expect(a.drains).toBe(1)
    client.grant(1)
    expect(a.drains).toBe(1) // no writer is waiting
  })

  it("fires onDrain only after a saturated write", async () => {
    const { client, a } = await connected({ budget: 10 })
    expect(client.writeSome([bytes(1)])).toEqual({ written: 1, canWriteMore: true })
    client.grant(5)
    expect(a.drains).toBe(0)
  })

  it("lets the engine write again from onDrain", async () => {
    const { client, a, b } = await connected({ budget: 2 })
    const pending = [bytes(1, 2, 3, 4, 5)]
    const pump = () => {
      const result = client.writeSome(pending)
      pending[0] = pending[0]!.subarray(result.written)
    }
    a.onDrainHook = pump
    pump()
    for (let i = 0; i < 3; i++) client.grant(1)
    await settle()
    expect(b.octets()).toEqual([1, 2, 3, 4, 5])
    expect(pending[0]!.length).toBe(0)
  })

  it("pushes back when the peer does not read, past the capacity", async () => {
    const { client, server, a, b } = await connected({ capacity: 4 })
    server.pause()
    expect(client.writeSome([bytes(1, 2, 3)])).toEqual({ written: 3, canWriteMore: true })
    expect(client.writeSome([bytes(4, 5)])).toEqual({ written: 1, canWriteMore: false })
    expect(client.bufferedAmount).toBe(4)
    await settle()
    expect(b.chunks).toHaveLength(0)
    expect(a.drains).toBe(0)
    server.resume()
    await settle()
    expect(a.drains).toBe(1)
    expect(client.bufferedAmount).toBe(0)
    expect(b.octets()).toEqual([1, 2, 3, 4])
  })

  it("re-chunks deliveries with split", async () => {
    const { client, b } = await connected({ split: 2 })
    client.writeSome([bytes(1, 2, 3, 4, 5)])
    await settle()
    expect(b.chunks.map((chunk) => [...chunk])).toEqual([[1, 2], [3, 4], [5]])

    const custom = await connected({ split: (chunk) => [chunk.subarray(0, 1), chunk.subarray(1)] })
    custom.client.writeSome([bytes(1, 2, 3)])
    await settle()
    expect(custom.b.chunks.map((chunk) => [...chunk])).toEqual([[1], [2, 3]])
  })

  it("delivers asynchronously, never inside writeSome", async () => {
    const { client, b } = await connected()
    client.writeSome([bytes(1)])
    expect(b.chunks).toHaveLength(0)
    await Promise.resolve()
    await Promise.resolve()
    expect(b.chunks).toHaveLength(1)
  })

  it("keeps address spaces apart unless a network is shared", async () => {
    const context = createTransportContext()
    const one = memory()(context)
    const other = memory()(context)
    await one.listen("svc", () => {})
    await expect(other.dial("svc")).rejects.toMatchObject({ code: "ECONNREFUSED" })
    await expect(one.listen("svc", () => {})).rejects.toMatchObject({ code: "EADDRINUSE" })
    await expect(other.listen("svc", () => {})).resolves.toMatchObject({ endpoint: "memory://svc" })

    const network = new MemoryNetwork()
    const factory = memory({ network })
    const listener = await factory(context).listen("*", () => {})
    expect(network.names()).toEqual([parseEndpoint(listener.endpoint).address])
    await expect(
      memory({ network })(context).dial(parseEndpoint(listener.endpoint).address),
    ).resolves.toBeDefined()
    await listener.close()
    expect(network.names()).toEqual([])
  })

  it("gives the destroyed side onClose(error) and the peer onClose() after the data already sent", async () => {
    const { client, server, a, b } = await connected()
    server.pause()
    client.writeSome([bytes(1, 2)])
    const error = new Error("gone")
    client.destroy(error)
    await settle()
    expect(a.closes).toEqual([error])
    expect(b.closes).toEqual([]) // paused: the end waits behind the data
    server.resume()
    await settle()
    expect(b.octets()).toEqual([1, 2])
    expect(b.closes).toEqual([undefined])
  })

  it("discards what arrives after close() and still completes while paused", async () => {
    const { client, server, a, b } = await connected()
    client.pause()
    server.writeSome([bytes(9)])
    client.close()
    await settle()
    expect(a.chunks).toEqual([])
    expect(a.closes).toEqual([undefined])
    expect(b.closes).toEqual([undefined])
    expect(server.bufferedAmount).toBe(0)
  })

  it("reports a close that happened before start() once started", async () => {
    const network = new MemoryNetwork()
    const transport = memory({ network })(createTransportContext())
    let server: MemoryConnection | undefined
    await transport.listen("s", (connection) => {
      server = connection
    })
    const client = await transport.dial("s")
    client.destroy()
    await settle()
    const b = new Recorder()
    server!.start(b)
    await settle()
    expect(b.closes).toEqual([undefined])
    expect(() => server!.start(b)).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })

  it("destroys a connection whose listener callback throws", async () => {
    const transport = memory()(createTransportContext())
    await transport.listen("s", () => {
      throw new Error("bad handler")
    })
    const client = await transport.dial("s")
    const a = new Recorder()
    client.start(a)
    await settle()
    expect(a.closes).toEqual([undefined])
  })

  it("validates its options", () => {
    expect(() => memory({ budget: -1 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => memory({ capacity: 0 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => memory({ split: 0 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => memory({ split: 1.5 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })

  it("rejects an empty listen address", async () => {
    await expect(memory()(createTransportContext()).listen("", () => {})).rejects.toMatchObject({
      code: "EINVAL",
    })
  })
})

describe("memory transport settings", () => {
  it("each end of a connection has the settings of the side that made it", async () => {
    const network = new MemoryNetwork()
    const server = memory({ network, budget: 0 })(createTransportContext())
    const client = memory({ network, budget: 5 })(createTransportContext())
    let accepted: MemoryConnection | undefined
    const listener = await server.listen("settings", (c) => {
      accepted = c
    })
    const dialled = await client.dial("settings")
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(dialled.budget).toBe(5)
    expect(accepted?.budget).toBe(0)
    await listener.close()
  })
})
