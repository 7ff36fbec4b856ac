/**
 * The compliance suite every transport must pass, for this repository's transports and for plugin
 * authors alike: `runTransportCompliance(name, setup)` declares vitest `describe`/`it` blocks that
 * exercise the contract of `types.ts` through the public interface only.
 *
 * @packageDocumentation
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { parseEndpoint } from "./endpoint.js"
import {
  type Connection,
  type ConnectionHandlers,
  isTransport,
  type Listener,
  TRANSPORT_SPEC_VERSION,
  type Transport,
} from "./types.js"

/**
 * What `setup` gives each test of {@link runTransportCompliance}.
 *
 * @example
 * ```ts
 * const fixture: TransportFixture = {
 *   transport: ipc()(createTransportContext()),
 *   address: () => join(dir, `${randomUUID()}.sock`),
 *   teardown: () => rm(dir, { recursive: true, force: true }),
 * }
 * ```
 */
export interface TransportFixture {
  /** The transport under test, built with a context of the test's choosing. */
  readonly transport: Transport
  /** Returns a fresh address to listen on, without `scheme://`: `127.0.0.1:*`, a new temporary path, ... */
  readonly address: () => string
  /** Runs after each test, once every connection and listener of the test is closed. */
  teardown?(): Promise<void>
}

/**
 * Builds the fixture of one test; called before each test.
 *
 * @example
 * ```ts
 * const setup: TransportFixtureSetup = async () => ({ transport: memory()(createTransportContext()), address: () => "*" })
 * ```
 */
export type TransportFixtureSetup = () => Promise<TransportFixture>

const TEST_TIMEOUT = 20_000
const WAIT_TIMEOUT = 10_000
const KiB = 1024
const MiB = 1024 * KiB
/** How long "nothing happens" is watched for. */
const QUIET_MS = 50

/**
 * Declares the transport compliance tests (vitest) for the transport that `setup` builds. Each test
 * gets a fresh fixture and cleans up every connection and listener it opened.
 *
 * The suite checks: a concrete listen endpoint; 1 MiB each way in random chunks, intact and in
 * order; the `writeSome` contract (`written <= offered`, `canWriteMore` only after a full write,
 * `onDrain` after every `canWriteMore: false`); 10,000 writes of 64 octets; `pause`/`resume`; data
 * held until `start()`; `close()` flushing then `onClose()` once on both sides; `destroy(error)`;
 * a coded rejection when dialling a closed address; listener close; dial abort; and, where the
 * runtime reports what keeps it alive, that a listener and idle connections keep nothing alive.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts of a transport package
 * import { createTransportContext } from "@zl/transport"
 * import { runTransportCompliance } from "@zl/transport/compliance"
 * import { tcp } from "../src/index.js"
 *
 * runTransportCompliance("tcp", async () => ({
 *   transport: tcp()(createTransportContext()),
 *   address: () => "127.0.0.1:*",
 * }))
 * ```
 */
export function runTransportCompliance(name: string, setup: TransportFixtureSetup): void {
  describe(`transport compliance: ${name}`, () => {
    let fixture: TransportFixture
    let listeners: Listener[] = []
    let connections: Connection[] = []

    beforeEach(async () => {
      fixture = await setup()
      listeners = []
      connections = []
    })

    afterEach(async () => {
      for (const connection of connections) connection.destroy()
      await Promise.all(listeners.map((listener) => listener.close()))
      await fixture.teardown?.()
    })

    const track = (connection: Connection): Connection => {
      connections.push(connection)
      return connection
    }

    /** Listens on a fresh address; every accepted connection is queued for {@link Server.accept}. */
    async function listen(): Promise<Server> {
      const accepted: Connection[] = []
      const waiting: Array<(connection: Connection) => void> = []
      let count = 0
      const listener = await fixture.transport.listen(fixture.address(), (connection) => {
        count++
        track(connection)
        const next = waiting.shift()
        if (next) next(connection)
        else accepted.push(connection)
      })
      listeners.push(listener)
      return {
        listener,
        address: parseEndpoint(listener.endpoint).address,
        accepted: () => count,
        accept: () =>
          withTimeout(
            new Promise<Connection>((resolve) => {
              const ready = accepted.shift()
              if (ready) resolve(ready)
              else waiting.push(resolve)
            }),
            "an accepted connection",
          ),
      }
    }

    async function dial(address: string, signal?: AbortSignal): Promise<Connection> {
      return track(await fixture.transport.dial(address, signal ? { signal } : {}))
    }

    /** A connected pair; neither side is started. */
    async function pair(): Promise<{ server: Server; client: Connection; peer: Connection }> {
      const server = await listen()
      const [client, peer] = await Promise.all([dial(server.address), server.accept()])
      return { server, client, peer }
    }

    it(
      "is a transport of this contract version",
      async () => {
        const transport = fixture.transport
        expect(isTransport(transport)).toBe(true)
        expect(transport.specVersion).toBe(TRANSPORT_SPEC_VERSION)
        expect(typeof transport[Symbol.toStringTag]).toBe("string")
        expect(transport.schemes.length).toBeGreaterThan(0)
        expect(["stream", "message"]).toContain(transport.framing)
      },
      TEST_TIMEOUT,
    )

    it(
      "listen resolves a concrete endpoint that can be dialled",
      async () => {
        const server = await listen()
        const endpoint = parseEndpoint(server.listener.endpoint)
        expect(fixture.transport.schemes).toContain(endpoint.scheme)
        expect(endpoint.address).not.toContain("*")
        const client = await dial(endpoint.address)
        const peer = await server.accept()
        expect(typeof client.peerAddress).toBe("string")
        expect(typeof peer.peerAddress).toBe("string")
      },
      TEST_TIMEOUT,
    )

    it(
      "accepts several connections on one listener, each its own pipe",
      async () => {
        const server = await listen()
        const clients = await Promise.all([0, 1, 2].map(() => dial(server.address)))
        const peers = await Promise.all(clients.map(() => server.accept()))
        const probes = peers.map((peer) => new ConnectionProbe(peer).start())
        await Promise.all(
          clients.map((client, i) => send(new ConnectionProbe(client).start(), [new Uint8Array([i, i, i])])),
        )
        await Promise.all(probes.map((probe) => probe.until(() => probe.received >= 3, "3 octets")))
        const firstOctets = probes.map((probe) => probe.bytes()[0]).sort()
        expect(firstOctets).toEqual([0, 1, 2])
        for (const probe of probes) expect(probe.bytes()).toEqual(new Uint8Array(3).fill(probe.bytes()[0]!))
      },
      TEST_TIMEOUT,
    )

    it.runIf(activeResources !== undefined)(
      "a listener and its idle connections keep nothing alive (the runtime's active resources do not grow)",
      async () => {
        await sleep(QUIET_MS)
        const before = countResources()
        const { client, peer } = await pair()
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        await send(clientProbe, [new Uint8Array([1, 2, 3])])
        await send(peerProbe, [new Uint8Array([4])])
        await peerProbe.until(() => peerProbe.received >= 3, "3 octets at the listener side")
        await clientProbe.until(() => clientProbe.received >= 1, "1 octet at the dialling side")
        await sleep(QUIET_MS)
        const after = countResources()
        const grown = [...after].filter(([type, n]) => n > (before.get(type) ?? 0))
        expect(grown, "resources that keep the process alive, added by the transport").toEqual([])
      },
      TEST_TIMEOUT,
    )

    it(
      "moves 1 MiB each way in random chunks, intact and in order",
      async () => {
        const { client, peer } = await pair()
        const rng = prng(0x5eed)
        const up = randomBytes(MiB, rng)
        const down = randomBytes(MiB, rng)
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        const batch = () => 1 + Math.floor(rng() * 8)
        await Promise.all([
          send(clientProbe, randomChunks(up, 64 * KiB, rng), { batch }),
          send(peerProbe, randomChunks(down, 64 * KiB, rng), { batch }),
        ])
        await peerProbe.until(() => peerProbe.received >= up.length, "1 MiB at the listener side")
        await clientProbe.until(() => clientProbe.received >= down.length, "1 MiB at the dialling side")
        expectSameBytes(peerProbe.bytes(), up)
        expectSameBytes(clientProbe.bytes(), down)
        expect(peerProbe.chunks.every((chunk) => chunk.length > 0)).toBe(true)
      },
      TEST_TIMEOUT,
    )

    it(
      "writeSome obeys its contract against a peer that does not read, and onDrain follows saturation",
      async () => {
        const { client, peer } = await pair()
        const source = randomBytes(MiB, prng(7))
        const chunkSize = 64 * KiB
        const limit = 32 * MiB
        const clientProbe = new ConnectionProbe(client).start()
        // The peer checks what it gets against the source instead of keeping 32 MiB.
        let mismatch = -1
        const peerProbe = new ConnectionProbe(peer, (chunk, at) => {
          for (let i = 0; i < chunk.length && mismatch < 0; i++) {
            if (chunk[i] !== source[(at + i) % source.length]) mismatch = at + i
          }
        })
        peerProbe.start()
        peer.pause()

        let offered = 0
        let taken = 0
        let saturated = false
        let pending: Uint8Array[] = []
        while (offered < limit) {
          const at = offered % source.length
          pending.push(source.subarray(at, at + chunkSize))
          offered += chunkSize
          const drainsBefore = clientProbe.drains
          const offer = pending
          const result = client.writeSome(offer)
          checkResult(result, total(offer))
          taken += result.written
          pending = advance(offer, result.written)
          if (!result.canWriteMore) {
            saturated = true
            peer.resume()
            await clientProbe.until(
              () => clientProbe.drains > drainsBefore,
              "onDrain after writeSome returned canWriteMore: false",
            )
            break
          }
        }
        if (!saturated) peer.resume()
        // Whatever was not taken is still ours: send it now, so the peer's stream stays whole.
        await send(clientProbe, pending)
        const expected = taken + total(pending)
        await peerProbe.until(() => peerProbe.received >= expected, `${expected} octets`)
        expect(peerProbe.received).toBe(expected)
        expect(mismatch).toBe(-1)
      },
      TEST_TIMEOUT,
    )

    it(
      "delivers 10,000 writes of 64 octets complete and in order",
      async () => {
        const { client, peer } = await pair()
        const count = 10_000
        const size = 64
        const messages = Array.from({ length: count }, (_, i) => {
          const message = new Uint8Array(size).fill(i & 0xff)
          new DataView(message.buffer).setUint32(0, i)
          return message
        })
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        await send(clientProbe, messages, { batch: () => 1 })
        await peerProbe.until(() => peerProbe.received >= count * size, `${count * size} octets`)
        expectSameBytes(peerProbe.bytes(), concat(messages))
      },
      TEST_TIMEOUT,
    )

    it(
      "pause stops onData and resume continues",
      async () => {
        const { client, peer } = await pair()
        const data = randomBytes(64 * KiB, prng(3))
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        peer.pause()
        await send(clientProbe, [data.subarray(0, 16 * KiB)])
        await sleep(QUIET_MS)
        expect(peerProbe.received).toBe(0)
        peer.resume()
        await peerProbe.until(() => peerProbe.received >= 16 * KiB, "16 KiB after resume")

        // Pausing from inside onData holds back whatever follows.
        let atPause = -1
        peerProbe.hook = () => {
          if (atPause < 0) {
            atPause = peerProbe.received
            peer.pause()
          }
        }
        await send(
          clientProbe,
          Array.from({ length: 12 }, (_, i) =>
            data.subarray(16 * KiB + i * 4 * KiB, 16 * KiB + (i + 1) * 4 * KiB),
          ),
          { batch: () => 1 },
        )
        await peerProbe.until(() => atPause >= 0, "the first chunk after the second write")
        await sleep(QUIET_MS)
        expect(peerProbe.received).toBe(atPause)
        peerProbe.hook = undefined
        peer.resume()
        await peerProbe.until(() => peerProbe.received >= data.length, "all 64 KiB")
        expectSameBytes(peerProbe.bytes(), data)
      },
      TEST_TIMEOUT,
    )

    it(
      "holds data sent before the peer calls start(), and an end that follows it",
      async () => {
        const { client, peer } = await pair()
        const data = randomBytes(4 * KiB, prng(11))
        const clientProbe = new ConnectionProbe(client).start()
        await send(clientProbe, [data])
        await sleep(QUIET_MS)
        const peerProbe = new ConnectionProbe(peer).start()
        await peerProbe.until(() => peerProbe.received >= data.length, "the held 4 KiB")
        expectSameBytes(peerProbe.bytes(), data)

        // Data and then the end, both before the next connection's peer starts.
        const second = await pair()
        const secondClient = new ConnectionProbe(second.client).start()
        await send(secondClient, [data])
        second.client.close()
        await sleep(QUIET_MS)
        const secondPeer = new ConnectionProbe(second.peer).start()
        await secondPeer.until(() => secondPeer.closes.length > 0, "onClose after the held data")
        expectSameBytes(secondPeer.bytes(), data)
        expect(secondPeer.closes).toEqual([undefined])
        await secondClient.until(() => secondClient.closes.length > 0, "onClose at the closing side")
      },
      TEST_TIMEOUT,
    )

    it(
      "close() delivers everything taken before it, then onClose() once on both sides",
      async () => {
        const { client, peer } = await pair()
        const rng = prng(99)
        const data = randomBytes(MiB, rng)
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        await send(clientProbe, randomChunks(data, 64 * KiB, rng), { batch: () => 4, drainLast: false })
        client.close()
        expect(client.writeSome([new Uint8Array(1)])).toEqual({ written: 0, canWriteMore: false })
        await peerProbe.until(() => peerProbe.closes.length > 0, "onClose at the peer")
        await clientProbe.until(() => clientProbe.closes.length > 0, "onClose at the closing side")
        expectSameBytes(peerProbe.bytes(), data)
        await sleep(QUIET_MS)
        expect(peerProbe.closes).toEqual([undefined])
        expect(clientProbe.closes).toEqual([undefined])
        client.close()
        client.destroy(new Error("late"))
        await sleep(QUIET_MS)
        expect(clientProbe.closes).toEqual([undefined])
        expect(peer.writeSome([new Uint8Array(1)])).toEqual({ written: 0, canWriteMore: false })
      },
      TEST_TIMEOUT,
    )

    it(
      "close() right after a saturated write still delivers everything taken, to a peer that reads late",
      async () => {
        const { client, peer } = await pair()
        const rng = prng(1234)
        const source = randomBytes(MiB, rng)
        const clientProbe = new ConnectionProbe(client).start()
        let mismatch = -1
        const peerProbe = new ConnectionProbe(peer, (chunk, at) => {
          for (let i = 0; i < chunk.length && mismatch < 0; i++) {
            if (chunk[i] !== source[(at + i) % source.length]) mismatch = at + i
          }
        })
        peerProbe.start()
        peer.pause()
        // Offer random-sized views of the source, cyclically, until the transport is saturated
        // (or 32 MiB were taken by a transport that buffers without limit), then close at once.
        let offered = 0
        let taken = 0
        while (taken < 32 * MiB) {
          const at = offered % source.length
          const chunk = source.subarray(at, Math.min(source.length, at + 1 + Math.floor(rng() * 256 * KiB)))
          const result = client.writeSome([chunk])
          checkResult(result, chunk.length)
          taken += result.written
          offered += result.written
          if (!result.canWriteMore) break
        }
        client.close()
        await sleep(QUIET_MS)
        peer.resume()
        await peerProbe.until(() => peerProbe.closes.length > 0, "onClose at the peer")
        await clientProbe.until(() => clientProbe.closes.length > 0, "onClose at the closing side")
        expect(peerProbe.received).toBe(taken)
        expect(mismatch).toBe(-1)
        expect(peerProbe.closes).toEqual([undefined])
        expect(clientProbe.closes).toEqual([undefined])
      },
      TEST_TIMEOUT,
    )

    it(
      "close() on both sides at once ends both once",
      async () => {
        const { client, peer } = await pair()
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        client.close()
        peer.close()
        await clientProbe.until(() => clientProbe.closes.length > 0, "onClose at the dialling side")
        await peerProbe.until(() => peerProbe.closes.length > 0, "onClose at the listening side")
        await sleep(QUIET_MS)
        expect(clientProbe.closes).toEqual([undefined])
        expect(peerProbe.closes).toEqual([undefined])
      },
      TEST_TIMEOUT,
    )

    it(
      "destroy(error) gives onClose(error) locally and onClose at the peer, each exactly once",
      async () => {
        const { client, peer } = await pair()
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        await send(clientProbe, [new Uint8Array(1000)])
        await peerProbe.until(() => peerProbe.received >= 1000, "1000 octets")
        const error = new Error("boom")
        client.destroy(error)
        expect(client.writeSome([new Uint8Array(1)])).toEqual({ written: 0, canWriteMore: false })
        await clientProbe.until(() => clientProbe.closes.length > 0, "onClose at the destroyed side")
        await peerProbe.until(() => peerProbe.closes.length > 0, "onClose at the peer")
        client.destroy(new Error("again"))
        client.close()
        await sleep(QUIET_MS)
        expect(clientProbe.closes).toEqual([error])
        expect(peerProbe.closes).toHaveLength(1)

        // Without an error, the local close is orderly.
        const second = await pair()
        const secondClient = new ConnectionProbe(second.client).start()
        const secondPeer = new ConnectionProbe(second.peer).start()
        second.client.destroy()
        await secondClient.until(() => secondClient.closes.length > 0, "onClose at the destroyed side")
        await secondPeer.until(() => secondPeer.closes.length > 0, "onClose at the peer")
        await sleep(QUIET_MS)
        expect(secondClient.closes).toEqual([undefined])
        expect(secondPeer.closes).toHaveLength(1)
      },
      TEST_TIMEOUT,
    )

    it(
      "dialling an address nobody listens on rejects with a coded error",
      async () => {
        const server = await listen()
        await server.listener.close()
        const error = await fixture.transport.dial(server.address).then(
          (connection) => {
            track(connection)
            return undefined
          },
          (err: unknown) => err,
        )
        expect(error).toBeInstanceOf(Error)
        expect((error as { code?: unknown }).code).toMatch(/^E[A-Z0-9]+$/)
      },
      TEST_TIMEOUT,
    )

    it(
      "listener close stops new connections and keeps accepted ones",
      async () => {
        const { server, client, peer } = await pair()
        await server.listener.close()
        await server.listener.close()
        await expect(dial(server.address)).rejects.toMatchObject({
          code: expect.stringMatching(/^E[A-Z0-9]+$/),
        })
        await sleep(QUIET_MS)
        expect(server.accepted()).toBe(1)
        const clientProbe = new ConnectionProbe(client).start()
        const peerProbe = new ConnectionProbe(peer).start()
        await send(clientProbe, [new Uint8Array(100).fill(1)])
        await send(peerProbe, [new Uint8Array(200).fill(2)])
        await peerProbe.until(() => peerProbe.received >= 100, "100 octets")
        await clientProbe.until(() => clientProbe.received >= 200, "200 octets")
      },
      TEST_TIMEOUT,
    )

    it(
      "an AbortSignal aborts a dial",
      async () => {
        const server = await listen()
        const reason = new Error("dial aborted")
        await expect(dial(server.address, AbortSignal.abort(reason))).rejects.toBe(reason)
        const controller = new AbortController()
        const dialing = dial(server.address, controller.signal)
        controller.abort(reason)
        await expect(dialing).rejects.toBe(reason)
        // The transport still works afterwards.
        const client = await dial(server.address)
        expect(typeof client.peerAddress).toBe("string")
      },
      TEST_TIMEOUT,
    )
  })
}

interface Server {
  readonly listener: Listener
  /** The resolved address, without `scheme://`. */
  readonly address: string
  /** How many connections the listener handed over so far. */
  readonly accepted: () => number
  /** The next accepted connection. */
  readonly accept: () => Promise<Connection>
}

/**
 * Records what a connection reports (data, drains, closes) and lets a test wait for a condition on
 * it. The compliance suite uses it; transport tests use it too.
 *
 * @example
 * ```ts
 * const probe = new ConnectionProbe(await transport.dial(address)).start()
 * await probe.until(() => probe.received >= 5, "five octets")
 * ```
 */
export class ConnectionProbe implements ConnectionHandlers {
  readonly chunks: Uint8Array[] = []
  readonly closes: Array<Error | undefined> = []
  received = 0
  drains = 0
  /** Called after each chunk is recorded. */
  hook: ((chunk: Uint8Array) => void) | undefined
  private readonly waiters = new Set<() => void>()

  readonly connection: Connection
  private readonly check: ((chunk: Uint8Array, at: number) => void) | undefined

  /** With `check`, chunks are handed to it (with their stream offset) instead of being kept. */
  constructor(connection: Connection, check?: (chunk: Uint8Array, at: number) => void) {
    this.connection = connection
    this.check = check
  }

  start(): this {
    this.connection.start(this)
    return this
  }

  readonly onData = (chunk: Uint8Array): void => {
    if (this.check) this.check(chunk, this.received)
    else this.chunks.push(chunk)
    this.received += chunk.length
    this.hook?.(chunk)
    this.notify()
  }

  readonly onDrain = (): void => {
    this.drains++
    this.notify()
  }

  readonly onClose = (error?: Error): void => {
    this.closes.push(error)
    this.notify()
  }

  bytes(): Uint8Array {
    return concat(this.chunks)
  }

  /** Resolves once `condition` holds, checked after every event; rejects after `timeout` ms. */
  until(condition: () => boolean, what: string, timeout = WAIT_TIMEOUT): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return
        this.waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(
          new Error(
            `timed out waiting for ${what} (received ${this.received}, closes ${this.closes.length})`,
          ),
        )
      }, timeout)
      this.waiters.add(check)
    })
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

/**
 * Writes `chunks` as an engine would: offers them (in batches of `batch()` chunks), keeps what was
 * not taken, and after `canWriteMore: false` waits for `onDrain` before offering more. Every result
 * is checked against the contract.
 */
async function send(
  probe: ConnectionProbe,
  input: readonly Uint8Array[],
  options: { batch?: () => number; drainLast?: boolean } = {},
): Promise<void> {
  const chunks = input.filter((chunk) => chunk.length > 0)
  // `next` indexes the first chunk not yet offered in full; `head` is what remains of it.
  let next = 0
  let head: Uint8Array | undefined
  const skipEmpty = (): void => {
    while ((head === undefined || head.length === 0) && next < chunks.length) head = chunks[next++]
  }
  skipEmpty()
  while (head !== undefined && head.length > 0) {
    const count = options.batch ? Math.max(1, options.batch()) : chunks.length
    const offer = [head, ...chunks.slice(next, next + count - 1)]
    const drainsBefore = probe.drains
    const result = probe.connection.writeSome(offer)
    checkResult(result, total(offer))
    const rest = advance(offer, result.written)
    next += offer.length - 1
    // Whatever was not taken goes back in front, in order.
    if (rest.length > 0) {
      next -= rest.length - 1
      head = rest[0]
    } else {
      head = undefined
    }
    skipEmpty()
    const more = head !== undefined && head.length > 0
    if (!result.canWriteMore && (more || options.drainLast !== false)) {
      await probe.until(
        () => probe.drains > drainsBefore || probe.closes.length > 0,
        "onDrain after writeSome returned canWriteMore: false",
      )
      expect(probe.closes).toEqual([])
    }
  }
}

function checkResult(result: { written: number; canWriteMore: boolean }, offered: number): void {
  const { written, canWriteMore } = result
  const valid =
    Number.isInteger(written) &&
    written >= 0 &&
    written <= offered &&
    typeof canWriteMore === "boolean" &&
    // A partial write with canWriteMore === true is illegal.
    (!canWriteMore || written === offered)
  // Checked by hand rather than with expect, so that a loop of 10,000 writes stays cheap.
  if (!valid) {
    throw new Error(
      `writeSome broke the contract: offered ${offered}, returned ${JSON.stringify(result)} (written must be an integer in 0..offered; canWriteMore only when all was written)`,
    )
  }
}

/** What remains of `chunks` after `written` octets were taken from their start. */
function advance(chunks: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = []
  for (const chunk of chunks) {
    if (written >= chunk.length) {
      written -= chunk.length
      continue
    }
    rest.push(written > 0 ? chunk.subarray(written) : chunk)
    written = 0
  }
  return rest
}

function total(chunks: readonly Uint8Array[]): number {
  let sum = 0
  for (const chunk of chunks) sum += chunk.length
  return sum
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(total(chunks))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** Compares without handing two large arrays to a deep-equality diff. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  let first = -1
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      first = i
      break
    }
  }
  expect(first, "offset of the first differing octet").toBe(-1)
}

/** A small seeded generator (mulberry32), so that a failure replays identically. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function randomBytes(length: number, rng: () => number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (rng() * 256) | 0
  return out
}

/** Views of `data`, in order, of random sizes in 1..max. */
function randomChunks(data: Uint8Array, max: number, rng: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0; at < data.length; ) {
    const size = 1 + Math.floor(rng() * max)
    chunks.push(data.subarray(at, at + size))
    at += size
  }
  return chunks
}

/**
 * What keeps the runtime alive, by type, where it says (Node's `process.getActiveResourcesInfo`:
 * ref'd handles, timers and pending requests; an unref'd handle is not listed).
 */
const activeResources = (
  globalThis as { process?: { getActiveResourcesInfo?: () => string[] } }
).process?.getActiveResourcesInfo?.bind(globalThis.process)

function countResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of activeResources?.() ?? []) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_TIMEOUT)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}
