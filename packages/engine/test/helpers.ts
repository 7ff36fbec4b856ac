/**
 * Helpers shared by the engine tests: memory connection pairs, a connection wrapper that records
 * what the engine does to its transport, a recording engine handler, a scripted raw ZMTP peer, and
 * hand-built wire bytes. Not a test file itself (vitest only runs `*.test.ts`).
 */
import { Decoder, encodeMetadata, parseCommand, type ZlError } from "@zl/codec"
import {
  type Connection,
  type ConnectionHandlers,
  createTransportContext,
  type MemoryConnection,
  MemoryNetwork,
  type MemoryOptions,
  memory,
  parseEndpoint,
  type WriteResult,
} from "@zl/transport"
import { Engine, type EngineHandler, type EngineOptions, type PeerInfo } from "../src/index.js"

// ---------------------------------------------------------------------------------------------
// Bytes

/** Parses a hex fixture; whitespace is ignored so fixtures can be grouped by field. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "")
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex fixture: ${text}`)
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** A hex fixture without its grouping whitespace, for comparing with {@link toHex}. */
export function hex(text: string): string {
  return toHex(fromHex(text))
}

/** Lowercase hex without separators. */
export function toHex(bytes: Uint8Array): string {
  let s = ""
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, "0")
  return s
}

/** The octets of an ASCII string. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

/** Concatenates chunks into one fresh array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const c of chunks) size += c.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const c of chunks) {
    out.set(c, pos)
    pos += c.length
  }
  return out
}

/** A deterministic body of `size` octets (xorshift32 from `seed`), so that misplaced octets show. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed | 0 || 0x9e3779b9
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** A seeded PRNG returning integers in [min, max]. */
export function randomInts(seed: number): (min: number, max: number) => number {
  let x = seed | 0 || 1
  return (min, max) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return min + ((x >>> 0) % (max - min + 1))
  }
}

/**
 * A 64-octet greeting built by hand (RFC 37 "Version Negotiation"), independent of the codec's
 * encoder. Every field can be bent to script a misbehaving peer.
 */
export function greeting(
  options: { major?: number; minor?: number; mechanism?: string; signatureEnd?: number; first?: number } = {},
): Uint8Array {
  const out = new Uint8Array(64)
  out[0] = options.first ?? 0xff
  out[8] = 0x01
  out[9] = options.signatureEnd ?? 0x7f
  out[10] = options.major ?? 3
  out[11] = options.minor ?? 1
  const mechanism = options.mechanism ?? "NULL"
  for (let i = 0; i < mechanism.length; i++) out[12 + i] = mechanism.charCodeAt(i)
  return out
}

/** A frame built by hand: `flags size body`, LONG (8-octet size) when the body exceeds 255 octets or `long` is set. */
export function frame(flags: number, body: Uint8Array, long = body.length > 255): Uint8Array {
  if (!long) return concat([new Uint8Array([flags, body.length]), body])
  const header = new Uint8Array(9)
  header[0] = flags | 0x02
  new DataView(header.buffer).setBigUint64(1, BigInt(body.length))
  return concat([header, body])
}

/** A COMMAND frame with `name` and `data`. */
export function command(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return frame(0x04, concat([new Uint8Array([name.length]), ascii(name), data]))
}

/** A READY command frame carrying `props`. */
export function ready(props: Record<string, string | Uint8Array>): Uint8Array {
  return command("READY", encodeMetadata(props))
}

/** The frames of a message (MORE on all but the last). */
export function message(...frames: Uint8Array[]): Uint8Array {
  return concat(frames.map((f, i) => frame(i < frames.length - 1 ? 0x01 : 0x00, f)))
}

// ---------------------------------------------------------------------------------------------
// Time

/** Runs every queued microtask and a few macrotask turns (setImmediate), enough for memory delivery. */
export async function settle(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Waits until `condition` holds, failing after `timeout` ms. */
export async function waitFor(condition: () => boolean, timeout = 2000): Promise<void> {
  const start = performance.now()
  while (!condition()) {
    if (performance.now() - start > timeout) throw new Error(`condition not met within ${timeout} ms`)
    await new Promise<void>((resolve) => setTimeout(resolve, 1))
  }
}

// ---------------------------------------------------------------------------------------------
// Transport

/** Options of {@link memoryPair}. */
export interface PairOptions {
  /** Re-chunking of what either side writes (the memory transport's `split`). */
  readonly split?: MemoryOptions["split"]
  /** In-flight limit of either side (the memory transport's `capacity`). */
  readonly capacity?: number
  /** Initial write budget of the dialled (left) side. Default `Infinity`. */
  readonly leftBudget?: number
  /** Initial write budget of the accepted (right) side. Default `Infinity`. */
  readonly rightBudget?: number
}

/**
 * Two connected memory connections; `left` dialled, `right` accepted.
 *
 * The memory transport builds both ends of a connection from the *dialling* transport's options
 * (`MemoryTransport.dial` passes its own settings to the accepted end too), so per-side budgets are
 * set here by starting both at 0 and granting each side its own.
 */
export async function memoryPair(
  options: PairOptions = {},
): Promise<{ left: MemoryConnection; right: MemoryConnection }> {
  const network = new MemoryNetwork()
  const shared: MemoryOptions = {
    network,
    budget: 0,
    ...(options.split !== undefined ? { split: options.split } : {}),
    ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
  }
  const transport = memory(shared)(createTransportContext())
  let right: MemoryConnection | undefined
  const listener = await transport.listen("*", (connection) => {
    right = connection
  })
  const left = await transport.dial(parseEndpoint(listener.endpoint).address)
  await listener.close()
  left.grant(options.leftBudget ?? Number.POSITIVE_INFINITY)
  right!.grant(options.rightBudget ?? Number.POSITIVE_INFINITY)
  return { left, right: right! }
}

/** One `writeSome` call as the engine made it: the chunk array it passed and what it got back. */
export interface WriteCall {
  readonly chunks: readonly Uint8Array[]
  readonly result: WriteResult
}

/**
 * A {@link Connection} around a memory connection that records every call the engine makes, and
 * catches (and records) anything an engine callback throws back into the transport.
 */
export class Tap implements Connection {
  readonly inner: MemoryConnection
  readonly writes: WriteCall[] = []
  readonly thrown: unknown[] = []
  pauses = 0
  resumes = 0
  closes = 0
  destroys = 0
  /** Every chunk `onData` delivered to the engine, in order. */
  readonly received: Uint8Array[] = []

  constructor(inner: MemoryConnection) {
    this.inner = inner
  }

  get peerAddress(): string {
    return this.inner.peerAddress
  }

  start(handlers: ConnectionHandlers): void {
    this.inner.start({
      onData: (chunk) => {
        this.received.push(chunk)
        this.guard(() => handlers.onData(chunk))
      },
      onDrain: () => this.guard(() => handlers.onDrain()),
      onClose: (error) => this.guard(() => handlers.onClose(error)),
    })
  }

  writeSome(chunks: readonly Uint8Array[]): WriteResult {
    const result = this.inner.writeSome(chunks)
    this.writes.push({ chunks, result })
    return result
  }

  pause(): void {
    this.pauses++
    this.inner.pause()
  }

  resume(): void {
    this.resumes++
    this.inner.resume()
  }

  close(): void {
    this.closes++
    this.inner.close()
  }

  destroy(error?: Error): void {
    this.destroys++
    this.inner.destroy(error)
  }

  /** The octets the transport took, in order, over every recorded `writeSome`. */
  taken(from = 0): Uint8Array {
    const pieces: Uint8Array[] = []
    for (const call of this.writes.slice(from)) {
      let left = call.result.written
      for (const chunk of call.chunks) {
        if (left === 0) break
        const n = Math.min(left, chunk.length)
        pieces.push(chunk.subarray(0, n))
        left -= n
      }
    }
    return concat(pieces)
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.thrown.push(err)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Engine side

export type EngineEvent =
  | { readonly type: "ready"; readonly peer: PeerInfo }
  | { readonly type: "message"; readonly frames: Uint8Array[] }
  | { readonly type: "writable"; readonly backlog: number }
  | { readonly type: "close"; readonly error: ZlError | undefined; readonly wasReady: boolean }

/** An {@link EngineHandler} that records every call, in order. */
export class Recorder implements EngineHandler {
  readonly events: EngineEvent[] = []
  /** onWritable calls so far. */
  writables = 0
  private messageCount = 0
  engine: Engine | undefined
  /** What `onMessage` returns, per call (0-based index of the message). Default: true. */
  accept: (frames: Uint8Array[], index: number) => boolean | undefined | void = () => true

  get peer(): PeerInfo | undefined {
    const event = this.events.find((e) => e.type === "ready")
    return event?.type === "ready" ? event.peer : undefined
  }

  get messages(): Uint8Array[][] {
    return this.events.flatMap((e) => (e.type === "message" ? [e.frames] : []))
  }

  get closes(): { error: ZlError | undefined; wasReady: boolean }[] {
    return this.events.flatMap((e) => (e.type === "close" ? [{ error: e.error, wasReady: e.wasReady }] : []))
  }

  onReady(peer: PeerInfo): void {
    this.events.push({ type: "ready", peer })
  }

  onMessage(frames: Uint8Array[]): boolean | undefined | void {
    const index = this.messageCount++
    this.events.push({ type: "message", frames })
    return this.accept(frames, index)
  }

  onWritable(): void {
    this.writables++
    this.events.push({ type: "writable", backlog: this.engine?.backlog ?? -1 })
  }

  onClose(error: ZlError | undefined, wasReady: boolean): void {
    this.events.push({ type: "close", error, wasReady })
  }
}

/** An engine over a tapped connection, with its recorder. */
export interface Side {
  readonly engine: Engine
  readonly tap: Tap
  readonly recorder: Recorder
  readonly connection: MemoryConnection
}

/** Builds (does not start) an engine on `connection`. */
export function engineOn(connection: MemoryConnection, options: EngineOptions): Side {
  const tap = new Tap(connection)
  const recorder = new Recorder()
  const engine = new Engine(tap, options, recorder)
  recorder.engine = engine
  return { engine, tap, recorder, connection }
}

/** Two started engines over a memory pair, after both completed the handshake. */
export async function connectedEngines(
  leftOptions: EngineOptions,
  rightOptions: EngineOptions,
  transport: PairOptions = {},
): Promise<{ left: Side; right: Side }> {
  const pair = await memoryPair(transport)
  const left = engineOn(pair.left, leftOptions)
  const right = engineOn(pair.right, rightOptions)
  left.engine.start()
  right.engine.start()
  await waitFor(() => left.engine.ready && right.engine.ready)
  return { left, right }
}

// ---------------------------------------------------------------------------------------------
// Raw peer

/** What a raw peer decoded from the engine's output after its greeting. */
export type WireEvent =
  | { readonly command: string; readonly data: string }
  | { readonly message: readonly string[] }

/** One side of a memory pair driven by hand: it writes raw octets and records what it receives. */
export class RawPeer {
  readonly connection: MemoryConnection
  readonly chunks: Uint8Array[] = []
  readonly closes: (Error | undefined)[] = []
  /** Called, as they arrive, for the engine's commands after its greeting (to script replies). */
  onCommand: ((name: string, data: Uint8Array) => void) | undefined
  private greetingLeft = 64
  private readonly live = new Decoder({
    onMessage: () => {},
    onCommand: (body) => {
      const { name, data } = parseCommand(body)
      this.onCommand?.(name, data)
    },
  })

  constructor(connection: MemoryConnection) {
    this.connection = connection
    connection.start({
      onData: (chunk) => {
        this.chunks.push(chunk)
        const skip = Math.min(this.greetingLeft, chunk.length)
        this.greetingLeft -= skip
        if (skip < chunk.length) this.live.write(chunk, skip)
      },
      onDrain: () => {},
      onClose: (error) => void this.closes.push(error),
    })
  }

  /** Everything received so far. */
  bytes(): Uint8Array {
    return concat(this.chunks)
  }

  /** Writes `chunks` in one call and checks the transport took all of it. */
  write(...chunks: Uint8Array[]): void {
    let size = 0
    for (const c of chunks) size += c.length
    const result = this.connection.writeSome(chunks)
    if (result.written !== size) throw new Error(`raw peer wrote ${result.written} of ${size} octets`)
  }

  /** The engine's output after its 64-octet greeting, decoded into commands and messages. */
  events(): WireEvent[] {
    const events: WireEvent[] = []
    const decoder = new Decoder({
      onMessage: (frames) => void events.push({ message: frames.map(toHex) }),
      onCommand: (body) => {
        const { name, data } = parseCommand(body)
        events.push({ command: name, data: toHex(data) })
      },
    })
    decoder.write(this.bytes().subarray(64))
    return events
  }
}

/** An engine on the left of a memory pair and a raw peer on the right; the engine is started. */
export async function engineWithRawPeer(
  options: EngineOptions,
  transport: PairOptions = {},
): Promise<Side & { peer: RawPeer }> {
  const pair = await memoryPair(transport)
  const side = engineOn(pair.left, options)
  const peer = new RawPeer(pair.right)
  side.engine.start()
  return { ...side, peer }
}
