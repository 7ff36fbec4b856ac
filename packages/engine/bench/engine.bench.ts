/**
 * Engine output path: messages/s for small sends through `Engine.send` into a scripted transport,
 * with the end of each task simulated by running the captured `schedule` callback by hand.
 * Run with `pnpm --filter @zl/engine bench` (after a build, so that `@zl/codec` resolves). Every
 * scenario checks the octets it produced before timing.
 */
import { strict as assert } from "node:assert"
import { Decoder, encodeReady } from "@zl/codec"
import type { Connection, ConnectionHandlers, WriteResult } from "@zl/transport"
import { Bench } from "tinybench"
import { Engine } from "../src/index.js"

const KiB = 1024

/** A connection that takes at most `perCall` octets per `writeSome` (everything by default). */
class ScriptedConnection implements Connection {
  readonly peerAddress = "bench"
  handlers: ConnectionHandlers | undefined
  taken = 0
  calls = 0
  /** When set, receives every octet taken (correctness checks only; off while timing). */
  record: ((bytes: Uint8Array) => void) | undefined
  private readonly perCall: number

  constructor(perCall = Number.POSITIVE_INFINITY) {
    this.perCall = perCall
  }

  start(handlers: ConnectionHandlers): void {
    this.handlers = handlers
  }

  writeSome(chunks: readonly Uint8Array[]): WriteResult {
    let offered = 0
    for (const chunk of chunks) offered += chunk.length
    const written = Math.min(offered, this.perCall)
    this.calls++
    this.taken += written
    if (this.record !== undefined) {
      let left = written
      for (const chunk of chunks) {
        if (left === 0) break
        const n = Math.min(left, chunk.length)
        this.record(chunk.subarray(0, n))
        left -= n
      }
    }
    return { written, canWriteMore: written === offered }
  }

  pause(): void {}
  resume(): void {}
  close(): void {}
  destroy(): void {}
}

function payload(size: number): Uint8Array {
  const p = new Uint8Array(size)
  for (let i = 0; i < size; i++) p[i] = (i * 31 + 7) & 0xff
  return p
}

function greeting(): Uint8Array {
  const g = new Uint8Array(64)
  g[0] = 0xff
  g[9] = 0x7f
  g[10] = 3
  g[11] = 1
  g.set([0x4e, 0x55, 0x4c, 0x4c], 12) // NULL
  return g
}

/** A PUSH engine on `connection`, past its handshake, with the end of a task under our control. */
function readyEngine(connection: ScriptedConnection): { engine: Engine; endTask: () => void } {
  let pending: (() => void) | undefined
  const engine = new Engine(
    connection,
    {
      socketType: "PUSH",
      handshakeInterval: 0,
      schedule: (callback) => {
        pending = callback
      },
    },
    { onReady: () => {}, onMessage: () => true, onWritable: () => {}, onClose: () => {} },
  )
  engine.start()
  const body = encodeReady({ "Socket-Type": "PULL" })
  const ready = new Uint8Array(2 + body.length)
  ready[0] = 0x04
  ready[1] = body.length
  ready.set(body, 2)
  connection.handlers!.onData(greeting())
  connection.handlers!.onData(ready)
  assert.ok(engine.ready, "the handshake must complete")
  // Clear a drain the handshake may have left pending (a budget smaller than the greeting's).
  connection.handlers!.onDrain()
  return {
    engine,
    endTask: () => {
      const callback = pending
      pending = undefined
      callback?.()
    },
  }
}

interface Scenario {
  readonly name: string
  readonly size: number
  /** Messages sent by one call of `run`. */
  readonly batch: number
  readonly run: () => void
}

/**
 * `perTask` sends per simulated task (1: every send is a task's first and is written at once), into
 * a connection taking `perCall` octets per writeSome (the rest waits for onDrain).
 */
function scenario(name: string, size: number, batch: number, perTask: number, perCall?: number): Scenario {
  const connection = new ScriptedConnection(perCall)
  const { engine, endTask } = readyEngine(connection)
  const message = [payload(size)]
  const drain = (): void => {
    while (engine.backlog > 0) connection.handlers!.onDrain()
  }
  const run = (): void => {
    for (let i = 0; i < batch; i++) {
      engine.send(message)
      if ((i + 1) % perTask === 0) {
        endTask()
        drain()
      }
    }
    endTask()
    drain()
  }

  // Correctness first: one batch, recorded and decoded back into exactly `batch` copies of the message.
  const chunks: Uint8Array[] = []
  connection.record = (bytes) => void chunks.push(bytes.slice())
  const calls = connection.calls
  run()
  connection.record = undefined
  let seen = 0
  const decoder = new Decoder({
    onMessage: (frames) => {
      assert.equal(frames.length, 1)
      assert.deepEqual(frames[0], message[0])
      seen++
    },
    onCommand: () => assert.fail("no command expected"),
  })
  for (const chunk of chunks) decoder.write(chunk)
  assert.equal(seen, batch, `${name}: decoded ${seen} of ${batch} messages`)
  assert.ok(decoder.idle, `${name}: output ends on a message boundary`)
  assert.equal(engine.backlog, 0)
  const header = size > 255 ? 9 : 2
  const taken = chunks.reduce((n, c) => n + c.length, 0)
  assert.equal(taken, batch * (header + size))
  if (perTask > 1 && perCall === undefined) {
    // Coalescing: the first send of each task is written at once and the rest in a few batches,
    // not one writeSome per send.
    const tasks = Math.ceil(batch / perTask)
    const writes = connection.calls - calls
    assert.ok(
      writes >= 2 * tasks && writes <= 4 * tasks,
      `${name}: ${writes} writeSome calls for ${tasks} tasks`,
    )
  }
  return { name, size, batch, run }
}

const scenarios: Scenario[] = [
  scenario("64 B, 1 send per task, writeSome takes all", 64, 10_000, 1),
  scenario("64 B, 1000 sends per task, writeSome takes all", 64, 10_000, 1000),
  scenario("64 B, 1000 sends per task, writeSome takes 16 KiB per call", 64, 10_000, 1000, 16 * KiB),
  scenario("64 B, 1000 sends per task, writeSome takes 1 KiB per call", 64, 10_000, 1000, KiB),
  scenario("1 KiB, 100 sends per task, writeSome takes all", KiB, 5_000, 100),
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
