/**
 * The churn cells: a ROUTER server (zlink or zeromq) and a client that opens and closes connections
 * from plain `node:net` sockets, the same code for both implementations, so that only the server
 * differs between the two runs.
 *
 * Each connection of the `handshake` variant sends a ZMTP 3.1 greeting and a NULL READY (Socket-Type
 * DEALER) in one write, reads the server's greeting and READY, then ends its side; each connection
 * of the `connect` variant ends its side as soon as it is connected. Either way the connection only
 * counts as done when the server has closed its side too, so the figure includes the server
 * releasing the connection and the number in flight at the server is the client's concurrency. The
 * client reads (and discards) everything, so its close is a FIN, never a reset.
 */
import { connect } from "node:net"
import type * as Zeromq from "zeromq"
import type { ChurnClientResult, ChurnServerResult, ChurnServeSpec, ChurnSpec, CpuTime } from "./protocol.js"

type Zmq = typeof Zeromq

const GREETING_SIZE = 64
/** The message of the echo connection: a DEALER's single frame, which the ROUTER sends back. */
const ECHO_PAYLOAD = Buffer.from("zlb-churn-echo")
/** A connection that makes no progress for this long fails the repetition. */
const STALL_MS = 10_000
/** How long `churn.stop` waits for monitor events and for the connections' handles to go. */
const SETTLE_MS = 5_000
const RELEASE_MS = 1_000

export const churnProgress = { started: 0, done: 0 }

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function cpuSince(start: NodeJS.CpuUsage): CpuTime {
  const d = process.cpuUsage(start)
  return { user: d.user, system: d.system }
}

/** Our greeting: signature, version 3.1, mechanism NULL, as-server 0, filler (RFC 23 section 3). */
function greeting(): Buffer {
  const g = Buffer.alloc(GREETING_SIZE)
  g[0] = 0xff
  g[9] = 0x7f
  g[10] = 3
  g[11] = 1
  g.write("NULL", 12, "latin1")
  return g
}

/** A short COMMAND frame: flags 0x04, size, name length, name, properties (RFC 23 section 3.3). */
export function readyCommand(properties: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [Buffer.from([5]), Buffer.from("READY", "latin1")]
  for (const [name, value] of properties) {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(value.length)
    parts.push(Buffer.from([name.length]), Buffer.from(name, "latin1"), length, Buffer.from(value, "latin1"))
  }
  const body = Buffer.concat(parts)
  if (body.length > 255) throw new Error("READY too long for a short frame")
  return Buffer.concat([Buffer.from([0x04, body.length]), body])
}

const HELLO = Buffer.concat([greeting(), readyCommand([["Socket-Type", "DEALER"]])])
const ECHO_FRAME = Buffer.concat([Buffer.from([0x00, ECHO_PAYLOAD.length]), ECHO_PAYLOAD])

/**
 * Reads one frame at `offset` of `input`: its flags, its body and where it ends, or undefined when
 * it has not all arrived.
 */
export function frameAt(
  input: Buffer,
  offset: number,
): { flags: number; body: Buffer; end: number } | undefined {
  if (input.length < offset + 2) return undefined
  const flags = input[offset]!
  let size: number
  let start: number
  if (flags & 0x02) {
    if (input.length < offset + 9) return undefined
    size = Number(input.readBigUInt64BE(offset + 1))
    start = offset + 9
  } else {
    size = input[offset + 1]!
    start = offset + 2
  }
  if (input.length < start + size) return undefined
  return { flags, body: input.subarray(start, start + size), end: start + size }
}

/** The properties of a READY body (after its name). */
export function readyProperties(body: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  let p = 1 + body[0]!
  while (p < body.length) {
    const nameLength = body[p]!
    const name = body.toString("latin1", p + 1, p + 1 + nameLength)
    p += 1 + nameLength
    const valueLength = body.readUInt32BE(p)
    out.set(name, body.toString("latin1", p + 4, p + 4 + valueLength))
    p += 4 + valueLength
  }
  return out
}

/**
 * Checks the server's greeting and READY, as far as they have arrived. Returns the offset after the
 * READY, or undefined while more is needed; throws on anything a libzmq 4.3 ROUTER would not send.
 */
export function serverReady(input: Buffer): number | undefined {
  if (input.length >= 1 && input[0] !== 0xff) throw new Error("the server's greeting has no signature")
  if (input.length < GREETING_SIZE) return undefined
  if ((input[9]! & 1) !== 1 || input[10]! < 3) throw new Error("the server's greeting is not ZMTP 3")
  if (input.toString("latin1", 12, 16) !== "NULL") throw new Error("the server's mechanism is not NULL")
  const ready = frameAt(input, GREETING_SIZE)
  if (ready === undefined) return undefined
  if ((ready.flags & 0x04) === 0) throw new Error("the server sent a message before its READY")
  if (ready.body.toString("latin1", 0, 6) !== "\x05READY")
    throw new Error("the server's command is not READY")
  const type = readyProperties(ready.body).get("Socket-Type")
  if (type !== "ROUTER") throw new Error(`the server's Socket-Type is ${type ?? "missing"}`)
  return ready.end
}

/** Checks the echoed message at `offset`: true once it is all there and right. */
export function echoArrived(input: Buffer, offset: number): boolean {
  const reply = frameAt(input, offset)
  if (reply === undefined) return false
  if (reply.flags !== 0 || !reply.body.equals(ECHO_PAYLOAD)) throw new Error("the echoed message differs")
  return true
}

/**
 * One connection: connect, the variant's exchange, end our side, done when the server's side has
 * closed as well.
 */
function cycle(host: string, port: number, handshake: boolean, echo: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true })
    let input: Buffer | undefined
    let ended = false
    let failed: Error | undefined
    const end = () => {
      if (ended) return
      ended = true
      socket.end()
    }
    /** Where the server's READY ends, once it has arrived. */
    let readyEnd: number | undefined
    socket.on("connect", () => {
      if (!handshake) end()
      else socket.write(HELLO)
    })
    socket.on("data", (chunk: Buffer) => {
      if (!handshake || ended) return
      input = input === undefined ? chunk : Buffer.concat([input, chunk])
      try {
        if (readyEnd === undefined) {
          readyEnd = serverReady(input)
          if (readyEnd === undefined) return
          // libzmq 4.3 takes a message only after it has sent its own READY: a frame that arrives
          // earlier is a protocol error to its NULL mechanism, so the message waits for the READY.
          if (echo) socket.write(ECHO_FRAME)
        }
        if (!echo || echoArrived(input, readyEnd)) end()
      } catch (error) {
        failed = error as Error
        socket.destroy()
      }
    })
    socket.on("error", (error) => {
      failed ??= error
    })
    socket.on("close", () => {
      if (failed !== undefined) reject(failed)
      else if (handshake && !ended) reject(new Error("the server closed the connection before its READY"))
      else resolve()
    })
  })
}

/** The churn client: keeps `concurrency` connections in flight until the count or the time is reached. */
export async function runChurn(spec: ChurnSpec): Promise<ChurnClientResult> {
  const url = new URL(spec.endpoint.replace(/^tcp:/, "http:"))
  const host = url.hostname
  const port = Number(url.port)
  const handshake = spec.variant === "handshake"
  const fixed = spec.count !== undefined
  churnProgress.started = 0
  churnProgress.done = 0
  let lastProgress = performance.now()
  let stalled: (error: Error) => void = () => {}
  const watchdog = new Promise<never>((_, reject) => {
    stalled = reject
  })
  watchdog.catch(() => {})
  const timer = setInterval(() => {
    if (performance.now() - lastProgress > STALL_MS) {
      stalled(new Error(`no connection completed for ${STALL_MS / 1000} s (${churnProgress.done} done)`))
    }
  }, 1000)
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  const deadline = start + spec.durationMs
  const least = spec.minConnections ?? 0
  const more = () =>
    fixed
      ? churnProgress.started < spec.count!
      : churnProgress.started < least || performance.now() < deadline
  let echoed = false
  let times = new Float64Array(4096)
  let timed = 0
  const lane = async (first: boolean) => {
    let echo = first && spec.echo && handshake
    while (more()) {
      churnProgress.started++
      const t = performance.now()
      await cycle(host, port, handshake, echo)
      if (timed === times.length) {
        const grown = new Float64Array(times.length * 2)
        grown.set(times)
        times = grown
      }
      times[timed++] = performance.now() - t
      if (echo) echoed = true
      echo = false
      churnProgress.done++
      lastProgress = performance.now()
    }
  }
  try {
    const lanes = Array.from({ length: spec.concurrency }, (_, i) => lane(i === 0))
    await Promise.race([Promise.all(lanes), watchdog])
  } finally {
    clearInterval(timer)
  }
  const seconds = (performance.now() - start) / 1000
  const sorted = times.subarray(0, timed).sort()
  const at = (p: number) =>
    timed === 0 ? 0 : sorted[Math.min(timed - 1, Math.floor(p * (timed - 1)))]! * 1000
  return {
    connections: churnProgress.done,
    seconds,
    cpu: cpuSince(cpuStart),
    p50Us: at(0.5),
    p99Us: at(0.99),
    echoed,
  }
}

/** What the process holds, by kind (`TCPSocketWrap`, `Timeout`, ...). */
function resources(): Map<string, number> {
  const out = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) out.set(kind, (out.get(kind) ?? 0) + 1)
  return out
}

/** The kinds of resource a connection holds at the server: its socket, and timers (handshake, heartbeats). */
const CONNECTION_RESOURCES = new Set(["TCPSocketWrap", "Timeout"])

function excess(now: Map<string, number>, base: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [kind, n] of now) {
    if (CONNECTION_RESOURCES.has(kind) && n > (base.get(kind) ?? 0)) out[kind] = n - (base.get(kind) ?? 0)
  }
  return out
}

interface RouterSocket {
  bind(address: string): Promise<void>
  receive(): Promise<Buffer[]>
  send(message: Buffer[]): Promise<void>
  close(): void
  readonly lastEndpoint: string | null
  readonly events: { on(type: string, listener: () => void): unknown; close(): void }
}

/** The churn server: a ROUTER on tcp 127.0.0.1 that echoes every message it gets. */
export class ChurnServer {
  private socket!: RouterSocket
  private accepts = 0
  private handshakes = 0
  private baseline = new Map<string, number>()
  private cpuStart: NodeJS.CpuUsage | undefined
  private closing = false
  private readonly zmq: Zmq
  private readonly spec: ChurnServeSpec

  constructor(zmq: Zmq, spec: ChurnServeSpec) {
    this.zmq = zmq
    this.spec = spec
  }

  async serve(): Promise<string> {
    const socket = new this.zmq.Router() as unknown as RouterSocket
    this.socket = socket
    if (this.spec.monitor) {
      socket.events.on("accept", () => this.accepts++)
      socket.events.on("handshake", () => this.handshakes++)
    }
    await socket.bind("tcp://127.0.0.1:*")
    void this.echo()
    // Let the bind's own callbacks and the first receive settle before taking the baseline.
    await sleep(10)
    this.baseline = resources()
    this.cpuStart = process.cpuUsage()
    return socket.lastEndpoint!
  }

  private async echo(): Promise<void> {
    try {
      for (;;) await this.socket.send(await this.socket.receive())
    } catch (error) {
      if (!this.closing) throw error
    }
  }

  async stop(expected: { accepts: number; handshakes: number }): Promise<ChurnServerResult> {
    if (this.spec.monitor) {
      const until = performance.now() + SETTLE_MS
      while (
        (this.accepts < expected.accepts || this.handshakes < expected.handshakes) &&
        performance.now() < until
      ) {
        await sleep(5)
      }
      // Events are counted exactly: give a surplus the time to show.
      await sleep(20)
    }
    // Every connection has closed on the client's side: the server's handles should follow at once.
    const until = performance.now() + RELEASE_MS
    let leftover = excess(resources(), this.baseline)
    while (Object.keys(leftover).length > 0 && performance.now() < until) {
      await sleep(5)
      leftover = excess(resources(), this.baseline)
    }
    const cpu = this.cpuStart ? cpuSince(this.cpuStart) : { user: 0, system: 0 }
    this.closing = true
    this.socket.close()
    return { cpu, accepts: this.accepts, handshakes: this.handshakes, leftover }
  }
}
