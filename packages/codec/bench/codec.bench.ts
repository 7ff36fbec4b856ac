/**
 * Codec throughput: encode and decode rates for single-frame messages, in messages/s and MB/s.
 * Run with `pnpm --filter @zl/codec bench`. Every scenario checks its own output before timing.
 */
import { strict as assert } from "node:assert"
import { Bench } from "tinybench"
import { Decoder, Encoder } from "../src/index.js"

const KiB = 1024
const CHUNK = 64 * KiB

interface Scenario {
  readonly name: string
  readonly size: number
  /** Messages processed by one call of `run`. */
  readonly batch: number
  readonly run: () => void
}

function payload(size: number): Uint8Array {
  const p = new Uint8Array(size)
  for (let i = 0; i < size; i++) p[i] = (i * 31 + 7) & 0xff
  return p
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}

/** Encodes `count` copies of a single-frame message and returns the wire bytes. */
function wire(size: number, count: number): Uint8Array {
  const encoder = new Encoder()
  const message = [payload(size)]
  for (let i = 0; i < count; i++) encoder.message(message)
  const out = concat(encoder.chunks())
  encoder.consumed(out.length)
  return out
}

/** Splits bytes into chunks of `size` octets (views), as socket reads would deliver them. */
function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return chunks
}

function encodeScenario(size: number, batch: number): Scenario {
  const encoder = new Encoder()
  const message = [payload(size)]
  // Correctness first: the encoded bytes decode back to the message, and large bodies go out by reference.
  encoder.message(message)
  const chunks = encoder.chunks()
  if (size > 8 * KiB) assert.equal(chunks[1], message[0], "a large payload must be handed out by reference")
  let seen = 0
  const check = new Decoder({
    onMessage: (frames) => {
      assert.deepEqual(frames[0], message[0])
      seen++
    },
    onCommand: () => assert.fail("no command expected"),
  })
  for (const c of chunks) check.write(c)
  assert.equal(seen, 1)
  encoder.consumed(encoder.pendingBytes)
  return {
    name: `encode ${label(size)}`,
    size,
    batch,
    run: () => {
      for (let i = 0; i < batch; i++) encoder.message(message)
      // One write of everything encoded: what a transport does when the kernel takes it all.
      encoder.chunks()
      encoder.consumed(encoder.pendingBytes)
    },
  }
}

function decodeScenario(name: string, size: number, batch: number, chunks: readonly Uint8Array[]): Scenario {
  let count = 0
  let bytes = 0
  const decoder = new Decoder({
    onMessage: (frames) => {
      count++
      bytes += frames[0]!.length
    },
    onCommand: () => assert.fail("no command expected"),
  })
  for (const c of chunks) decoder.write(c)
  assert.equal(count, batch, `${name}: decoded ${count} of ${batch} messages`)
  assert.equal(bytes, batch * size)
  assert.ok(decoder.idle)
  return {
    name,
    size,
    batch,
    run: () => {
      for (const c of chunks) decoder.write(c)
    },
  }
}

function label(size: number): string {
  return size >= KiB ? `${size / KiB} KiB` : `${size} B`
}

const scenarios: Scenario[] = [
  encodeScenario(64, 10_000),
  encodeScenario(KiB, 5_000),
  encodeScenario(64 * KiB, 200),
  // One read per message, the way a lightly loaded connection delivers them.
  decodeScenario("decode 64 B (one chunk each)", 64, 10_000, split(wire(64, 10_000), 66)),
  decodeScenario("decode 64 B (64 KiB chunks)", 64, 20_000, split(wire(64, 20_000), CHUNK)),
  decodeScenario("decode 1 KiB (64 KiB chunks)", KiB, 5_000, split(wire(KiB, 5_000), CHUNK)),
  decodeScenario("decode 64 KiB (64 KiB chunks)", 64 * KiB, 200, split(wire(64 * KiB, 200), CHUNK)),
]

const time = Number(process.env.ZL_BENCH_TIME ?? 1000)
const bench = new Bench({ time, warmup: true, warmupTime: Math.min(500, time) })
for (const s of scenarios) bench.add(s.name, s.run)
await bench.run()

const rows = bench.tasks.map((task, i) => {
  const s = scenarios[i]!
  const result = task.result
  if (result === undefined || !("latency" in result)) throw new Error(`${s.name}: no result`)
  const perSecond = (s.batch * 1000) / result.latency.p50!
  return {
    scenario: s.name,
    "messages/s": `${(perSecond / 1e6).toFixed(2)} M`,
    "MB/s": ((perSecond * s.size) / 1e6).toFixed(0),
    "±%": result.latency.rme.toFixed(1),
  }
})
console.table(rows)
