/**
 * A fault-injecting TCP proxy for the chaos tests. It listens on `127.0.0.1` (port 0), and for every
 * connection it accepts it dials the target (a bound ZeroMQ socket) and forwards the bytes both ways,
 * while a seeded generator, per connection and per direction, decides to:
 *
 * - split a chunk it read into pieces (down to one octet), each written, and flushed to the kernel,
 *   before the next one goes, so that the receiver sees frames and greetings arrive in fragments;
 * - delay a piece;
 * - stall: stop reading the source for a while (`pause()`), so that the kernel buffers fill and the
 *   sender meets TCP backpressure, then its high-water mark;
 * - cut the connection once a chosen number of octets went through in one direction: with a reset
 *   (RST to both sides), by destroying both sockets, or by a half-close (a FIN in that direction only;
 *   the other direction keeps flowing until a peer gives up). An offset below 64 lands inside the
 *   ZMTP greeting (RFC 37 section "Greeting"), a little above it inside the NULL handshake's READY.
 *
 * Splits, delays and stalls never change the byte stream: what leaves a direction is exactly what
 * entered it, in order. Only a cut loses bytes, and only those the proxy holds or that were in the
 * kernel buffers of the connection it cut. Every connection's counts are kept in `connections`.
 */
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net"
import { Random } from "./random.js"

/** Which way bytes travel: `up` from the connecting socket to the bound one, `down` back. */
export type Direction = "up" | "down"

/** The non-destructive faults, applied to every connection in both directions. */
export interface Faults {
  /**
   * Probability that a chunk read from the source is split before it is forwarded. A split chunk
   * goes out as pieces of which about half are tiny (1 to `tinyPiece` octets) and the rest 1 to
   * `maxPiece` octets, so that a frame header or a greeting is as likely to be torn as a body.
   */
  readonly split: number
  readonly tinyPiece: number
  readonly maxPiece: number
  /** Probability that a piece waits before it is written, and the longest wait (ms). */
  readonly delay: number
  readonly maxDelay: number
  /** Probability that the source is paused after a piece, and the shortest and longest pause (ms). */
  readonly stall: number
  readonly stallMs: readonly [number, number]
}

/** Bytes go through untouched. */
export const NO_FAULTS: Faults = {
  split: 0,
  tinyPiece: 1,
  maxPiece: 1,
  delay: 0,
  maxDelay: 0,
  stall: 0,
  stallMs: [0, 0],
}

/** How a connection is cut. */
export type CutKind = "reset" | "destroy" | "half-close"

/** A destructive fault: once `at` octets went `direction`, the connection is cut. */
export interface Cut {
  readonly direction: Direction
  /** Octets of that direction forwarded before the cut (0: before the first one). */
  readonly at: number
  readonly kind: CutKind
}

export interface ChaosOptions {
  /** Seeds every random choice. */
  readonly seed: number
  readonly faults?: Faults
  /**
   * The `slot`-th cut of the plan (0 for the first), or undefined when the plan has no more. Each
   * connection the proxy forwards gets the next slot; a cut whose connection closed before reaching
   * its offset goes to the next connection instead, so that every planned cut happens as long as
   * traffic goes on. `random` is the slot's own generator.
   */
  readonly cutFor?: (slot: number, random: Random) => Cut | undefined
  /**
   * For this long after a cut (ms), new connections are reset as soon as they are accepted, so that
   * the sockets live through a real outage rather than an instant reconnect.
   */
  readonly downtime?: number
}

/** What one direction of one connection did. */
export interface DirectionStats {
  /** Octets read from the source. */
  bytesIn: number
  /** Octets written to the destination (and flushed to the kernel). */
  bytesOut: number
  /** Chunks read from the source. */
  chunks: number
  /** Writes to the destination (more than `chunks` when chunks were split). */
  pieces: number
  /** The smallest piece written, Infinity before any. */
  smallestPiece: number
  delays: number
  stalls: number
  /** Octets read but never forwarded, because the connection was cut or half-closed first. */
  dropped: number
}

/** One forwarded connection. */
export interface ConnectionRecord {
  readonly index: number
  /** `performance.now()` when the proxy accepted it. */
  readonly openedAt: number
  readonly up: DirectionStats
  readonly down: DirectionStats
  /** The cut planned for this connection, if any. */
  cut: Cut | undefined
  /** `performance.now()` when the planned cut happened; undefined while it has not. */
  cutTime: number | undefined
  /** True once both sockets are closed. */
  closed: boolean
}

/** The high-water mark of a direction's queue: above it the source is paused until half is written. */
const QUEUE_LIMIT = 64 * 1024

function directionStats(): DirectionStats {
  return {
    bytesIn: 0,
    bytesOut: 0,
    chunks: 0,
    pieces: 0,
    smallestPiece: Number.POSITIVE_INFINITY,
    delays: 0,
    stalls: 0,
    dropped: 0,
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Forwards one direction: reads `source`, applies the faults, writes `sink`. */
class Pump {
  private readonly queue: Buffer[] = []
  private queued = 0
  private ended = false
  private stopped = false
  private stalled = false
  private wake: (() => void) | undefined
  private readonly source: Socket
  private readonly sink: Socket
  private readonly random: Random
  private readonly faults: () => Faults
  private readonly stats: DirectionStats
  /** The cut planned for this direction; set later when a cut is moved here from a closed connection. */
  cut: Cut | undefined
  private readonly onCut: () => void

  constructor(
    source: Socket,
    sink: Socket,
    random: Random,
    faults: () => Faults,
    stats: DirectionStats,
    cut: Cut | undefined,
    onCut: () => void,
  ) {
    this.source = source
    this.sink = sink
    this.random = random
    this.faults = faults
    this.stats = stats
    this.cut = cut
    this.onCut = onCut
    source.on("data", (chunk: Buffer) => this.onData(chunk))
    source.on("end", () => this.onEnd())
  }

  /** No more data will be forwarded: what is queued and what still arrives is dropped. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    for (const chunk of this.queue.splice(0)) this.stats.dropped += chunk.length
    this.queued = 0
    // Keep reading so that the source is never blocked by a direction nobody forwards any more.
    this.source.resume()
    this.notify()
  }

  /** The source ended (a FIN, or its socket closed): forward what is queued, then end the sink. */
  onEnd(): void {
    this.ended = true
    this.notify()
  }

  /** Runs until the source ended and everything was forwarded, or the pump was stopped. */
  async run(sinkReady: Promise<boolean>): Promise<void> {
    if (!(await sinkReady)) return
    for (;;) {
      if (this.stopped) return
      const chunk = this.queue.shift()
      if (chunk === undefined) {
        if (this.ended) {
          this.sink.end()
          return
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
        continue
      }
      this.queued -= chunk.length
      if (!this.stalled && this.queued < QUEUE_LIMIT / 2) this.source.resume()
      if (!(await this.forward(chunk))) return
    }
  }

  private onData(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length
    this.stats.chunks += 1
    if (this.stopped) {
      this.stats.dropped += chunk.length
      return
    }
    this.queue.push(chunk)
    this.queued += chunk.length
    if (this.queued >= QUEUE_LIMIT) this.source.pause()
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Forwards one chunk; false once the pump must not go on (cut, stopped, sink gone). */
  private async forward(chunk: Buffer): Promise<boolean> {
    const { random, stats } = this
    let offset = 0
    let splitting = false
    while (offset < chunk.length) {
      const faults = this.faults()
      let size = chunk.length - offset
      if (size > 1 && (splitting || random.chance(faults.split))) {
        splitting = true
        const max = random.chance(0.5) ? faults.tinyPiece : faults.maxPiece
        size = random.int(1, Math.min(max, size))
      }
      const cut = this.cut
      const cutHere = cut !== undefined && stats.bytesOut + size >= cut.at
      if (cutHere) size = cut.at - stats.bytesOut
      if (random.chance(faults.delay)) {
        stats.delays += 1
        await sleep(random.int(1, faults.maxDelay))
      }
      if (this.stopped) return false
      if (size > 0 && !(await this.write(chunk.subarray(offset, offset + size)))) return false
      offset += size
      if (cutHere) {
        stats.dropped += chunk.length - offset
        this.onCut()
        return false
      }
      if (random.chance(faults.stall)) await this.stall(faults.stallMs)
    }
    return !this.stopped
  }

  private write(piece: Buffer): Promise<boolean> {
    if (this.sink.destroyed || !this.sink.writable) return Promise.resolve(false)
    const { stats } = this
    stats.pieces += 1
    stats.bytesOut += piece.length
    if (piece.length < stats.smallestPiece) stats.smallestPiece = piece.length
    // The write callback runs once the piece is in the kernel: the next piece is a separate segment.
    return new Promise((resolve) => this.sink.write(piece, (error) => resolve(!error)))
  }

  private async stall([min, max]: readonly [number, number]): Promise<void> {
    this.stats.stalls += 1
    this.stalled = true
    this.source.pause()
    await sleep(this.random.int(min, max))
    this.stalled = false
    if (!this.stopped && this.queued < QUEUE_LIMIT) this.source.resume()
  }
}

/**
 * The proxy. `start()` listens; connect a socket to `endpoint` instead of the target's endpoint.
 *
 * @example
 * ```ts
 * const proxy = await ChaosProxy.start(server.lastEndpoint!, { seed: 7, faults: GENTLE })
 * client.connect(proxy.endpoint)
 * // ...
 * await proxy.close()
 * ```
 */
export class ChaosProxy {
  /** Every connection forwarded so far, in the order accepted. */
  readonly connections: ConnectionRecord[] = []
  /** Connections reset on accept during a downtime. */
  refused = 0
  /** The non-destructive faults applied from the next piece on; a test may change them mid-run. */
  faults: Faults
  private readonly sockets = new Set<Socket>()
  private readonly random: Random
  private refuseUntil = 0
  /** The next slot of the cut plan, and the planned cuts whose connection closed first. */
  private nextSlot = 0
  private readonly carried: Cut[] = []
  /** The open connections, and how to plan a cut on each. */
  private readonly live = new Map<ConnectionRecord, (cut: Cut) => void>()
  /** Where sockets connect instead of the target: `tcp://127.0.0.1:port`. */
  readonly endpoint: string
  private readonly server: Server
  private readonly targetHost: string
  private readonly targetPort: number
  private readonly options: ChaosOptions

  private constructor(
    server: Server,
    targetHost: string,
    targetPort: number,
    options: ChaosOptions,
    endpoint: string,
  ) {
    this.server = server
    this.targetHost = targetHost
    this.targetPort = targetPort
    this.options = options
    this.endpoint = endpoint
    this.random = new Random(options.seed)
    this.faults = options.faults ?? NO_FAULTS
  }

  /** Listens on an ephemeral port of 127.0.0.1 and forwards to `target` (`tcp://host:port`). */
  static async start(target: string, options: ChaosOptions): Promise<ChaosProxy> {
    const match = /^tcp:\/\/(.+):(\d+)$/.exec(target)
    if (match === null) throw new Error(`the chaos proxy forwards tcp:// endpoints only, not ${target}`)
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject)
        resolve()
      })
    })
    const { port } = server.address() as AddressInfo
    const proxy = new ChaosProxy(server, match[1]!, Number(match[2]), options, `tcp://127.0.0.1:${port}`)
    server.on("connection", (socket) => proxy.accept(socket))
    return proxy
  }

  /** Cuts that happened so far. */
  get cuts(): number {
    return this.connections.filter((c) => c.cutTime !== undefined).length
  }

  /** The times of the cuts that happened, in order. */
  get cutTimes(): number[] {
    return this.connections.flatMap((c) => (c.cutTime === undefined ? [] : [c.cutTime]))
  }

  /** Both directions of every connection, summed. */
  totals(): { up: DirectionStats; down: DirectionStats } {
    const sum = (direction: Direction): DirectionStats => {
      const total = directionStats()
      for (const c of this.connections) {
        const s = c[direction]
        total.bytesIn += s.bytesIn
        total.bytesOut += s.bytesOut
        total.chunks += s.chunks
        total.pieces += s.pieces
        total.smallestPiece = Math.min(total.smallestPiece, s.smallestPiece)
        total.delays += s.delays
        total.stalls += s.stalls
        total.dropped += s.dropped
      }
      return total
    }
    return { up: sum("up"), down: sum("down") }
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /**
   * A connection closed before its cut: the cut goes to an open connection that has none (at the
   * same offset if that connection has not passed it yet, else `at` octets from where it is), or,
   * with no such connection, to the next one accepted.
   */
  private carry(cut: Cut): void {
    for (const [record, plan] of this.live) {
      if (record.cut !== undefined) continue
      const forwarded = record[cut.direction].bytesOut
      plan(forwarded < cut.at ? cut : { ...cut, at: forwarded + cut.at })
      return
    }
    this.carried.push(cut)
  }

  private accept(client: Socket): void {
    client.on("error", () => {})
    if (performance.now() < this.refuseUntil) {
      this.refused += 1
      client.resetAndDestroy()
      return
    }
    const index = this.connections.length
    const random = this.random.derive(index)
    let cut = this.carried.shift()
    if (cut === undefined && this.options.cutFor !== undefined) {
      const slot = this.nextSlot++
      cut = this.options.cutFor(slot, this.random.derive(1_000_000 + slot))
    }
    const record: ConnectionRecord = {
      index,
      openedAt: performance.now(),
      up: directionStats(),
      down: directionStats(),
      cut,
      cutTime: undefined,
      closed: false,
    }
    this.connections.push(record)
    const server = netConnect({ host: this.targetHost, port: this.targetPort, allowHalfOpen: true })
    server.on("error", () => {})
    client.setNoDelay(true)
    server.setNoDelay(true)
    this.sockets.add(client)
    this.sockets.add(server)

    const faults = () => this.faults
    /** A reset or destroy is under way: the teardown must not close the sockets first, with a FIN. */
    let cutting = false
    const doCut = (direction: Direction) => {
      record.cutTime = performance.now()
      this.refuseUntil = record.cutTime + (this.options.downtime ?? 0)
      const cut = record.cut
      if (cut?.kind === "half-close") {
        // A FIN in this direction only; the pump of the other direction runs on.
        ;(direction === "up" ? up : down).stop()
        ;(direction === "up" ? server : client).end()
        return
      }
      cutting = true
      up.stop()
      down.stop()
      // From a timer: called straight from a write's completion, resetAndDestroy() was seen to end
      // the connection with a FIN instead of a reset (Node 20).
      setTimeout(() => {
        if (cut?.kind === "reset") {
          client.resetAndDestroy()
          server.resetAndDestroy()
        } else {
          client.destroy()
          server.destroy()
        }
      }, 0)
    }
    const cutOf = (direction: Direction) => (cut?.direction === direction ? cut : undefined)
    const up = new Pump(client, server, random.derive(1), faults, record.up, cutOf("up"), () => doCut("up"))
    const down = new Pump(server, client, random.derive(2), faults, record.down, cutOf("down"), () =>
      doCut("down"),
    )
    this.live.set(record, (moved) => {
      record.cut = moved
      ;(moved.direction === "up" ? up : down).cut = moved
    })

    const teardown = () => {
      up.stop()
      down.stop()
      if (cutting) return
      client.destroy()
      server.destroy()
    }
    client.on("error", teardown)
    server.on("error", teardown)
    // A side that closed can neither send nor receive: what it sent is forwarded, nothing more goes to it.
    client.on("close", () => {
      up.onEnd()
      down.stop()
    })
    server.on("close", () => {
      down.onEnd()
      up.stop()
    })
    let open = 2
    const closed = () => {
      open -= 1
      if (open > 0) return
      record.closed = true
      this.live.delete(record)
      if (record.cut !== undefined && record.cutTime === undefined) this.carry(record.cut)
      this.sockets.delete(client)
      this.sockets.delete(server)
    }
    client.on("close", closed)
    server.on("close", closed)

    const serverReady = new Promise<boolean>((resolve) => {
      server.once("connect", () => resolve(true))
      server.once("close", () => resolve(false))
    })
    const clientReady = Promise.resolve(true)
    client.resume()
    void Promise.all([up.run(serverReady), down.run(clientReady)]).then(teardown)
  }
}
