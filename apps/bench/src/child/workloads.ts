/**
 * The two sides of every cell, written once against the `zeromq` v6 API and run unchanged on
 * `zlink`: a throughput receiver and sender, and a latency echo and client. Each pattern maps to the
 * sockets a user would pick for it; the hot loops are what a user writes, `await socket.send(msg)`
 * per message and `await socket.receive()`, with `[routingId, payload]` on a ROUTER.
 *
 * Payloads come from a ring of prebuilt buffers that are never modified after creation, so an
 * implementation that keeps a reference to a sent buffer (zero-copy) is always safe, and the loop
 * allocates nothing but what the API itself needs. Each payload starts with its ring index; the
 * receiver checks every message's size and index (so order, loss and duplication show), and the
 * verification pass compares every byte.
 */
import { rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type * as Zeromq from "zeromq"
import {
  type CpuTime,
  type EchoResult,
  END_SEQ,
  type FinishResult,
  HEADER_BYTES,
  type LatencyResult,
  type Pattern,
  PROBE_SEQ,
  type ReceiveResult,
  type RssSample,
  type SendResult,
  type TransferSpec,
  type Transport,
} from "./protocol.js"

export type Zmq = typeof Zeromq

/** The part of a socket the workloads use; both implementations have it. */
interface Sock {
  send(message: Buffer | Array<Buffer | string>): Promise<void>
  receive(): Promise<Buffer[]>
  bind(address: string): Promise<void>
  connect(address: string, options?: { routingId?: string }): void
  close(): void
  readonly lastEndpoint: string | null
}

/** Routing ids of the ROUTER_ROUTER cells, set explicitly on both sides. */
const RECEIVER_ID = "zlb-receiver"
const SENDER_ID = "zlb-sender"
const ECHO_ID = "zlb-echo"
const CLIENT_ID = "zlb-client"

const PROBE_INTERVAL_MS = 2
/** Bytes kept in the payload ring: enough distinct buffers to catch reordering, little memory. */
const RING_BYTES = 4 << 20

/** What the runner can ask about a child that seems stuck. */
export const progress = { phase: "idle", sent: 0, received: 0, echoed: 0 }

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function cpuSince(start: NodeJS.CpuUsage): CpuTime {
  const d = process.cpuUsage(start)
  return { user: d.user, system: d.system }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
}

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Whoever awaits it later still sees the rejection; this only keeps an unawaited one from crashing the child.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** The payload ring for one size: buffer k carries k in its header and a byte pattern derived from k. */
export function makeRing(size: number): Buffer[] {
  if (size < HEADER_BYTES) throw new Error(`message size ${size} is below the ${HEADER_BYTES}-byte header`)
  const count = Math.max(4, Math.min(256, Math.floor(RING_BYTES / size)))
  const ring: Buffer[] = []
  for (let k = 0; k < count; k++) {
    const buffer = Buffer.alloc(size)
    for (let j = HEADER_BYTES; j < size; j++) buffer[j] = (j * 31 + k * 7) & 0xff
    buffer.writeUInt32LE(k, 0)
    ring.push(buffer)
  }
  return ring
}

function marker(size: number, seq: number, count = 0): Buffer {
  const buffer = Buffer.alloc(size)
  buffer.writeUInt32LE(seq, 0)
  buffer.writeUInt32LE(count >>> 0, 4)
  return buffer
}

let serial = 0

function bindAddress(transport: Transport): string {
  serial++
  if (transport === "tcp") return "tcp://127.0.0.1:*"
  if (transport === "ipc") return `ipc://${join(tmpdir(), `zlb-${process.pid}-${serial}.sock`)}`
  return `inproc://zlb-${process.pid}-${serial}`
}

async function bind(socket: Sock, transport: Transport): Promise<string> {
  const address = bindAddress(transport)
  await socket.bind(address)
  return transport === "tcp" ? (socket.lastEndpoint ?? address) : address
}

function removeIpcFile(endpoint: string): void {
  if (endpoint.startsWith("ipc://")) rmSync(endpoint.slice("ipc://".length), { force: true })
}

function isRouterReceiver(pattern: Pattern): boolean {
  return pattern === "DEALER_ROUTER" || pattern === "ROUTER_ROUTER"
}

function newReceiver(zmq: Zmq, pattern: Pattern): Sock {
  switch (pattern) {
    case "PAIR":
      return new zmq.Pair() as unknown as Sock
    case "PUBSUB": {
      const sub = new zmq.Subscriber()
      sub.subscribe()
      return sub as unknown as Sock
    }
    case "DEALER_DEALER":
      return new zmq.Dealer() as unknown as Sock
    case "DEALER_ROUTER":
      return new zmq.Router() as unknown as Sock
    case "ROUTER_ROUTER":
      return new zmq.Router({ routingId: RECEIVER_ID }) as unknown as Sock
    case "PUSH_PULL":
      return new zmq.Pull() as unknown as Sock
  }
}

function newSender(zmq: Zmq, pattern: Pattern): Sock {
  switch (pattern) {
    case "PAIR":
      return new zmq.Pair() as unknown as Sock
    case "PUBSUB":
      // Without ZMQ_XPUB_NODROP a PUB drops at the high-water mark and no count could be asserted.
      return new zmq.Publisher({ noDrop: true }) as unknown as Sock
    case "DEALER_DEALER":
    case "DEALER_ROUTER":
      return new zmq.Dealer() as unknown as Sock
    case "ROUTER_ROUTER":
      // Mandatory: wait at the high-water mark instead of dropping, and fail (EHOSTUNREACH) until the peer is known.
      return new zmq.Router({ routingId: SENDER_ID, mandatory: true }) as unknown as Sock
    case "PUSH_PULL":
      return new zmq.Push() as unknown as Sock
  }
}

/**
 * A PUB with ZMQ_XPUB_NODROP at its high-water mark: libzmq fails the send with EAGAIN instead of
 * waiting (a PUB always polls writable, so `zeromq` does not wait either), so the user's loop waits a
 * millisecond and tries again. A sleep rather than a spin, so the waiting costs no CPU; zlink waits
 * inside `send()` and never gets here.
 */
async function sendOrRetry(socket: Sock, message: Buffer): Promise<void> {
  for (;;) {
    try {
      return await socket.send(message)
    } catch (error) {
      if (errorCode(error) !== "EAGAIN") throw error
      await sleep(1)
    }
  }
}

/** RSS sampling for the soak run: called from the hot loops, samples at most once a second. */
class RssSampler {
  readonly samples: RssSample[] = []
  private next = 0
  private readonly start = performance.now()

  /** Samples if a second has passed since the last sample (or always, with `force`). */
  tick(now: number, force = false): void {
    if (now < this.next && !force) return
    const m = process.memoryUsage()
    this.samples.push({
      t: (now - this.start) / 1000,
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      arrayBuffers: m.arrayBuffers,
    })
    this.next = now + 1000
  }
}

function checkPayload(
  payload: Buffer | undefined,
  frames: number,
  expectedFrames: number,
  size: number,
): Buffer {
  if (payload === undefined || frames !== expectedFrames) {
    throw new Error(`expected a message of ${expectedFrames} frame(s), got ${frames}`)
  }
  if (payload.length < HEADER_BYTES) throw new Error(`payload of ${payload.length} bytes, expected ${size}`)
  return payload
}

/** Throughput, receiving side: binds, counts probes until data starts, then checks every message. */
export class Receiver {
  private socket!: Sock
  private endpoint = ""
  private readonly synced = deferred<null>()
  private readonly result = deferred<ReceiveResult>()
  private readonly zmq: Zmq
  private readonly spec: TransferSpec

  constructor(zmq: Zmq, spec: TransferSpec) {
    this.zmq = zmq
    this.spec = spec
  }

  async prepare(): Promise<string> {
    this.socket = newReceiver(this.zmq, this.spec.pattern)
    this.endpoint = await bind(this.socket, this.spec.transport)
    progress.phase = "receiving"
    progress.received = 0
    this.loop().then(this.result.resolve, (error: unknown) => {
      this.synced.reject(error)
      this.result.reject(error)
    })
    return this.endpoint
  }

  whenSynced(): Promise<null> {
    return this.synced.promise
  }

  whenDone(): Promise<ReceiveResult> {
    return this.result.promise
  }

  close(): void {
    this.socket.close()
    removeIpcFile(this.endpoint)
    progress.phase = "idle"
  }

  private async loop(): Promise<ReceiveResult> {
    const { socket, spec } = this
    const { size, verify } = spec
    const router = isRouterReceiver(spec.pattern)
    const index = router ? 1 : 0
    const frames = index + 1
    const ring = makeRing(size)
    const ringSize = ring.length
    const sampler = spec.sampleRss ? new RssSampler() : undefined
    let expected = 0
    let k = 0
    let start = 0
    let cpuStart: NodeJS.CpuUsage | undefined
    for (;;) {
      const message = await socket.receive()
      const payload = checkPayload(message[index], message.length, frames, size)
      const seq = payload.readUInt32LE(0)
      if (seq === PROBE_SEQ) {
        if (cpuStart !== undefined) throw new Error(`a probe arrived after ${expected} data messages`)
        this.synced.resolve(null)
        continue
      }
      if (cpuStart === undefined) {
        cpuStart = process.cpuUsage()
        start = performance.now()
      }
      if (seq === END_SEQ) {
        const seconds = (performance.now() - start) / 1000
        const cpu = cpuSince(cpuStart)
        const sent = payload.readUInt32LE(4)
        if (sent !== expected) throw new Error(`the sender sent ${sent} messages, ${expected} arrived`)
        sampler?.tick(performance.now(), true)
        return { received: expected, seconds, cpu, ...(sampler ? { rss: sampler.samples } : {}) }
      }
      if (payload.length !== size)
        throw new Error(`message ${expected} has ${payload.length} bytes, expected ${size}`)
      if (seq !== k) throw new Error(`message ${expected} out of order: ring index ${seq}, expected ${k}`)
      if (verify) {
        if (!payload.equals(ring[k]!))
          throw new Error(`message ${expected}: content differs from what was sent`)
        if (spec.pattern === "ROUTER_ROUTER" && message[0]!.toString() !== SENDER_ID) {
          throw new Error(`message ${expected} came from routing id "${message[0]!.toString()}"`)
        }
      }
      if (++k === ringSize) k = 0
      expected++
      if ((expected & 1023) === 0) {
        progress.received = expected
        sampler?.tick(performance.now())
      }
    }
  }
}

/** Throughput, sending side: connects, probes until the runner says go, then sends as fast as `await send()` allows. */
export class Sender {
  private socket!: Sock
  private stopProbing = false
  private probing: Promise<number> = Promise.resolve(0)
  private cpuStart: NodeJS.CpuUsage | undefined
  private sampler: RssSampler | undefined
  private readonly peer: string | undefined
  private readonly zmq: Zmq
  private readonly spec: TransferSpec & { endpoint: string }

  constructor(zmq: Zmq, spec: TransferSpec & { endpoint: string }) {
    this.zmq = zmq
    this.spec = spec
    this.peer = spec.pattern === "ROUTER_ROUTER" ? RECEIVER_ID : undefined
  }

  prepare(): void {
    this.socket = newSender(this.zmq, this.spec.pattern)
    if (this.peer !== undefined) this.socket.connect(this.spec.endpoint, { routingId: this.peer })
    else this.socket.connect(this.spec.endpoint)
    progress.phase = "probing"
    progress.sent = 0
    this.probing = this.probe()
    this.probing.catch(() => {})
  }

  private async probe(): Promise<number> {
    const probe = marker(this.spec.size, PROBE_SEQ)
    let probes = 0
    while (!this.stopProbing) {
      try {
        await (this.peer === undefined ? this.socket.send(probe) : this.socket.send([this.peer, probe]))
        probes++
      } catch (error) {
        // A mandatory ROUTER does not know its peer until the handshake is done; a PUB with
        // ZMQ_XPUB_NODROP may refuse at the high-water mark.
        const code = errorCode(error)
        if (code !== "EHOSTUNREACH" && code !== "EAGAIN") throw error
      }
      await sleep(PROBE_INTERVAL_MS)
    }
    return probes
  }

  async run(): Promise<SendResult> {
    this.stopProbing = true
    const probes = await this.probing
    const { socket, spec, peer } = this
    const ring = makeRing(spec.size)
    const ringSize = ring.length
    const publisher = spec.pattern === "PUBSUB"
    const fixed = spec.count !== undefined
    // Between clock checks: small enough to stop on time, large enough that the check costs nothing.
    const step = spec.size >= 65536 ? 4 : 128
    this.sampler = spec.sampleRss ? new RssSampler() : undefined
    progress.phase = "sending"
    this.cpuStart = process.cpuUsage()
    const start = performance.now()
    const deadline = start + spec.durationMs
    let sent = 0
    let k = 0
    let now = start
    do {
      const chunk = fixed ? Math.min(step, spec.count! - sent) : step
      if (publisher) {
        for (let j = 0; j < chunk; j++) {
          await sendOrRetry(socket, ring[k]!)
          if (++k === ringSize) k = 0
        }
      } else if (peer === undefined) {
        for (let j = 0; j < chunk; j++) {
          await socket.send(ring[k]!)
          if (++k === ringSize) k = 0
        }
      } else {
        for (let j = 0; j < chunk; j++) {
          await socket.send([peer, ring[k]!])
          if (++k === ringSize) k = 0
        }
      }
      sent += chunk
      progress.sent = sent
      now = performance.now()
      this.sampler?.tick(now)
    } while (fixed ? sent < spec.count! : now < deadline)
    const end = marker(spec.size, END_SEQ, sent)
    await (publisher
      ? sendOrRetry(socket, end)
      : peer === undefined
        ? socket.send(end)
        : socket.send([peer, end]))
    progress.phase = "sent"
    return { sent, loopSeconds: (performance.now() - start) / 1000, probes }
  }

  finish(): FinishResult {
    const cpu = this.cpuStart ? cpuSince(this.cpuStart) : { user: 0, system: 0 }
    this.sampler?.tick(performance.now(), true)
    this.socket.close()
    progress.phase = "idle"
    return { cpu, ...(this.sampler ? { rss: this.sampler.samples } : {}) }
  }
}

/** The sockets of one end of a latency cell: where it sends and where it receives (the same socket but for PUB/SUB and PUSH/PULL). */
interface Ends {
  tx: Sock
  rx: Sock
  /** Index of the payload in a received message (1 after a ROUTER's routing id). */
  index: number
}

/** Latency, echo side: binds, then sends every message it receives straight back. */
export class Echo {
  private ends!: Ends
  private endpoints: string[] = []
  private closing = false
  private echoed = 0
  private readonly cpuStart = process.cpuUsage()
  private readonly zmq: Zmq
  private readonly spec: TransferSpec

  constructor(zmq: Zmq, spec: TransferSpec) {
    this.zmq = zmq
    this.spec = spec
  }

  async prepare(): Promise<string[]> {
    const { zmq, spec } = this
    const t = spec.transport
    switch (spec.pattern) {
      case "PAIR":
      case "DEALER_DEALER": {
        const socket = (spec.pattern === "PAIR" ? new zmq.Pair() : new zmq.Dealer()) as unknown as Sock
        this.ends = { tx: socket, rx: socket, index: 0 }
        this.endpoints = [await bind(socket, t)]
        break
      }
      case "DEALER_ROUTER":
      case "ROUTER_ROUTER": {
        const socket = (spec.pattern === "DEALER_ROUTER"
          ? new zmq.Router()
          : new zmq.Router({ routingId: ECHO_ID })) as unknown as Sock
        this.ends = { tx: socket, rx: socket, index: 1 }
        this.endpoints = [await bind(socket, t)]
        break
      }
      case "PUBSUB": {
        const sub = new zmq.Subscriber()
        sub.subscribe()
        const pub = new zmq.Publisher()
        this.ends = { tx: pub as unknown as Sock, rx: sub as unknown as Sock, index: 0 }
        this.endpoints = [await bind(this.ends.rx, t), await bind(this.ends.tx, t)]
        break
      }
      case "PUSH_PULL": {
        this.ends = { tx: new zmq.Push() as unknown as Sock, rx: new zmq.Pull() as unknown as Sock, index: 0 }
        this.endpoints = [await bind(this.ends.rx, t), await bind(this.ends.tx, t)]
        break
      }
    }
    progress.phase = "echoing"
    progress.echoed = 0
    this.loop().catch((error: unknown) => {
      if (this.closing) return
      console.error("echo failed:", error)
      process.exit(3)
    })
    return this.endpoints
  }

  private async loop(): Promise<void> {
    const { tx, rx } = this.ends
    while (!this.closing) {
      // The echo a user writes: what came in goes back out, routing id included on a ROUTER.
      const message = await rx.receive()
      await tx.send(message)
      progress.echoed = ++this.echoed
    }
  }

  finish(): EchoResult {
    const cpu = cpuSince(this.cpuStart)
    this.closing = true
    this.ends.tx.close()
    if (this.ends.rx !== this.ends.tx) this.ends.rx.close()
    for (const endpoint of this.endpoints) removeIpcFile(endpoint)
    progress.phase = "idle"
    return { echoed: this.echoed, cpu }
  }
}

function connectClient(
  zmq: Zmq,
  pattern: Pattern,
  endpoints: string[],
): { ends: Ends; peer: string | undefined } {
  const [first, second] = endpoints as [string, string | undefined]
  switch (pattern) {
    case "PAIR":
    case "DEALER_DEALER":
    case "DEALER_ROUTER": {
      const socket = (pattern === "PAIR" ? new zmq.Pair() : new zmq.Dealer()) as unknown as Sock
      socket.connect(first)
      return { ends: { tx: socket, rx: socket, index: 0 }, peer: undefined }
    }
    case "ROUTER_ROUTER": {
      const socket = new zmq.Router({ routingId: CLIENT_ID, mandatory: true }) as unknown as Sock
      socket.connect(first, { routingId: ECHO_ID })
      return { ends: { tx: socket, rx: socket, index: 1 }, peer: ECHO_ID }
    }
    case "PUBSUB": {
      const pub = new zmq.Publisher() as unknown as Sock
      const sub = new zmq.Subscriber()
      sub.subscribe()
      pub.connect(first)
      sub.connect(second!)
      return { ends: { tx: pub, rx: sub as unknown as Sock, index: 0 }, peer: undefined }
    }
    case "PUSH_PULL": {
      const push = new zmq.Push() as unknown as Sock
      const pull = new zmq.Pull() as unknown as Sock
      push.connect(first)
      pull.connect(second!)
      return { ends: { tx: push, rx: pull, index: 0 }, peer: undefined }
    }
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!
}

/**
 * Latency, client side: connects, probes until an echo comes back (for PUB/SUB both subscriptions are
 * then in place), runs verification round trips that compare every byte, then times round trips.
 */
export async function runClient(
  zmq: Zmq,
  spec: TransferSpec & { endpoints: string[] },
): Promise<LatencyResult> {
  const { ends, peer } = connectClient(zmq, spec.pattern, spec.endpoints)
  const { tx, rx, index } = ends
  const frames = index + 1
  const size = spec.size
  const send = (payload: Buffer) => (peer === undefined ? tx.send(payload) : tx.send([peer, payload]))
  try {
    progress.phase = "probing"
    const probe = marker(size, PROBE_SEQ)
    let probes = 0
    let arrived = false
    const first = rx.receive().then((message) => {
      arrived = true
      return message
    })
    first.catch(() => {})
    while (!arrived) {
      try {
        await send(probe)
        probes++
      } catch (error) {
        if (errorCode(error) !== "EHOSTUNREACH") throw error
      }
      await Promise.race([first, sleep(PROBE_INTERVAL_MS * 2)])
    }
    const echoed = await first
    if (checkPayload(echoed[index], echoed.length, frames, size).readUInt32LE(0) !== PROBE_SEQ) {
      throw new Error("the first echo is not a probe")
    }

    const ring = makeRing(size)
    const ringSize = ring.length
    /** One round trip; returns its duration in ms. Echoes of late probes are skipped. */
    const trip = async (k: number, verify: boolean): Promise<number> => {
      const sent = ring[k]!
      const start = performance.now()
      await send(sent)
      for (;;) {
        const message = await rx.receive()
        const payload = checkPayload(message[index], message.length, frames, size)
        const seq = payload.readUInt32LE(0)
        if (seq === PROBE_SEQ) continue
        const elapsed = performance.now() - start
        if (seq !== k || payload.length !== size) {
          throw new Error(
            `reply with ring index ${seq} and ${payload.length} bytes, expected ${k} and ${size}`,
          )
        }
        if (verify && !payload.equals(sent)) throw new Error(`reply ${k}: content differs from the request`)
        return elapsed
      }
    }

    progress.phase = "verifying"
    const verifyTrips = size >= 65536 ? 50 : 200
    for (let i = 0; i < verifyTrips; i++) await trip(i % ringSize, true)

    progress.phase = "timing"
    const fixed = spec.count !== undefined
    let samples = new Float64Array(fixed ? spec.count! : 65536)
    let n = 0
    let k = 0
    const cpuStart = process.cpuUsage()
    const deadline = performance.now() + spec.durationMs
    const minTrips = spec.minTrips ?? 0
    while (fixed ? n < spec.count! : n < minTrips || performance.now() < deadline) {
      if (n === samples.length) {
        const grown = new Float64Array(samples.length * 2)
        grown.set(samples)
        samples = grown
      }
      samples[n++] = await trip(k, spec.verify)
      if (++k === ringSize) k = 0
      if ((n & 255) === 0) progress.sent = n
    }
    const cpu = cpuSince(cpuStart)
    const sorted = samples.subarray(0, n).sort()
    let sum = 0
    for (const value of sorted) sum += value
    // Round trip in ms -> one way in us.
    const oneWay = 1000 / 2
    return {
      trips: n,
      avgUs: (sum / n) * oneWay,
      p50Us: percentile(sorted, 0.5) * oneWay,
      p99Us: percentile(sorted, 0.99) * oneWay,
      minUs: sorted[0]! * oneWay,
      maxUs: sorted[n - 1]! * oneWay,
      cpu,
      probes,
    }
  } finally {
    tx.close()
    if (rx !== tx) rx.close()
    progress.phase = "idle"
  }
}
