/**
 * One cell of the matrix (pattern x transport x size x mode x layout), run for every implementation:
 * fresh child processes per implementation, a verification pass and a warm-up, then the repetitions with the
 * implementations alternating (ABBA order, so a drift in the machine's load hits both alike), the
 * median kept. Every implementation has its own time budget in the cell; one that runs out, or whose
 * child dies or reports a failed check, is FAILED with the reason, its processes are killed, and the
 * others go on.
 */
import { readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ChurnVariant, CpuTime, Impl, Pattern, TransferSpec, Transport } from "../child/protocol.js"
import { CallTimeout, Child, ChildFailure, within } from "./child.js"
import { median } from "./stats.js"

export type Mode = "throughput" | "latency" | "churn"
/** Where the processes run: sender and receiver (or client and echo) on separate cores, both on core 0, or one process (inproc). */
export type Layout = "2core" | "1core" | "1proc"
/** The socket patterns of the matrix, and `CHURN`: connections opened and closed against a ROUTER. */
export type CellPattern = Pattern | "CHURN"

export interface Cell {
  pattern: CellPattern
  transport: Transport
  /** Message size; 0 for churn cells, which send no data. */
  size: number
  mode: Mode
  layout: Layout
  /** Churn cells: what each connection does, and how many are kept in flight. */
  variant?: ChurnVariant
  concurrency?: number
}

export interface CellOptions {
  impls: Impl[]
  reps: number
  /** Exact messages (throughput) or round trips (latency) per repetition; otherwise `durationMs` decides. */
  count?: number
  durationMs: number
  /** Length of the discarded warm-up repetition (0 for none). */
  warmupMs: number
  /** Budget of each implementation in the cell. */
  timeoutMs: number
  worker: string
  /** Reports what is being run, for the progress line. */
  onStep?(step: string): void
}

export interface ThroughputRep {
  msgsPerSec: number
  messages: number
  seconds: number
  /** CPU microseconds per message: sender, receiver, and both (for inproc, the one process). */
  cpuSendUsPerMsg: number
  cpuRecvUsPerMsg: number
  cpuUsPerMsg: number
  /** Messages/s of the sender's loop alone (its `await send()` resolutions). */
  sendLoopMsgsPerSec: number
}

export interface LatencyRep {
  trips: number
  avgUs: number
  p50Us: number
  p99Us: number
  /** CPU microseconds per round trip: client (timed window) plus echo (per echoed message). */
  cpuUsPerTrip: number
}

export interface ChurnRep {
  connections: number
  seconds: number
  connPerSec: number
  /** CPU microseconds per connection of the server (the implementation measured) and of the client. */
  serverCpuUsPerConn: number
  clientCpuUsPerConn: number
  /** One connection's time at the client, connect to both sides closed: median and 99th percentile, us. */
  p50Us: number
  p99Us: number
}

export interface ImplResult {
  impl: Impl
  status: "ok" | "FAILED"
  reason?: string
  /** The implementation's version string (`zmq.version`: libzmq's for zeromq). */
  version?: string
  reps: Array<ThroughputRep | LatencyRep | ChurnRep>
  /** Medians over the repetitions (throughput cells). */
  msgsPerSec?: number
  mbPerSec?: number
  cpuUsPerMsg?: number
  cpuSendUsPerMsg?: number
  cpuRecvUsPerMsg?: number
  sendLoopMsgsPerSec?: number
  /** Medians over the repetitions (latency cells), one-way microseconds. */
  avgUs?: number
  p50Us?: number
  p99Us?: number
  trips?: number
  cpuUsPerTrip?: number
  /** Medians over the repetitions (churn cells). */
  connPerSec?: number
  serverCpuUsPerConn?: number
  clientCpuUsPerConn?: number
  connections?: number
  /** Peak RSS in MB of each process of the cell, by role. */
  rssMB: Record<string, number>
}

export interface CellResult {
  cell: Cell
  results: ImplResult[]
  seconds: number
}

/** Removes the ipc:// socket files a killed child could not remove itself (see `bindAddress` in the worker). */
function removeIpcFiles(list: Child[]): void {
  const dir = tmpdir()
  const prefixes = list.map((c) => `zlb-${c.pid}-`)
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".sock") && prefixes.some((p) => name.startsWith(p)))
      rmSync(join(dir, name), { force: true })
  }
}

/** Messages of the verification pass of a throughput cell (every byte compared). */
function verifyCount(size: number): number {
  return size >= 65536 ? 100 : 2000
}

const cpuUs = (cpu: CpuTime) => cpu.user + cpu.system
/** Round trips of a latency warm-up, at least (see the warm-up step): messages below 64 KiB, and larger. */
const WARMUP_TRIPS = 5000
const WARMUP_TRIPS_LARGE = 1000

class Budget {
  private used = 0
  private readonly limitMs: number

  constructor(limitMs: number) {
    this.limitMs = limitMs
  }

  async run<T>(promise: Promise<T>, what: string): Promise<T> {
    const start = performance.now()
    try {
      return await within(promise, Math.max(1, this.limitMs - this.used), what)
    } finally {
      this.used += performance.now() - start
    }
  }
}

interface Roles {
  /** Throughput: receiver; latency: echo. Binds. */
  server: Child
  /** Throughput: sender; latency: client. Connects. */
  client: Child
  names: [server: string, client: string]
}

interface ImplState {
  impl: Impl
  budget: Budget
  roles: Roles
  version?: string
  failed?: string
  reps: Array<ThroughputRep | LatencyRep | ChurnRep>
}

function spawnRoles(cell: Cell, impl: Impl, worker: string): Roles {
  if (cell.mode === "churn") {
    // The client loads no implementation: it is the same program in both runs of the cell.
    return {
      server: new Child(worker, impl, 0, `${impl} server`),
      client: new Child(worker, "net", 1, `${impl} cell's client`),
      names: ["server", "client"],
    }
  }
  const names: [string, string] = cell.mode === "throughput" ? ["receiver", "sender"] : ["echo", "client"]
  if (cell.layout === "1proc") {
    const one = new Child(worker, impl, undefined, `${impl} process`)
    return { server: one, client: one, names }
  }
  const clientCore = cell.layout === "2core" ? 1 : 0
  return {
    server: new Child(worker, impl, 0, `${impl} ${names[0]}`),
    client: new Child(worker, impl, clientCore, `${impl} ${names[1]}`),
    names,
  }
}

function children(roles: Roles): Child[] {
  return roles.server === roles.client ? [roles.server] : [roles.server, roles.client]
}

function describe(error: unknown): string {
  if (error instanceof CallTimeout || error instanceof ChildFailure) return error.message
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

async function throughputOnce(cell: Cell, state: ImplState, spec: TransferSpec): Promise<ThroughputRep> {
  const { server: receiver, client: sender } = state.roles
  const b = state.budget
  const endpoint = await b.run(receiver.call("recv.prepare", spec), "binding the receiver")
  await b.run(sender.call("send.prepare", { ...spec, endpoint }), "connecting the sender")
  await b.run(receiver.call("recv.synced", null), "waiting for the first probe (connection or subscription)")
  const [sent, received] = await b.run(
    Promise.all([sender.call("send.run", null), receiver.call("recv.result", null)]),
    "transferring",
  )
  const finish = await b.run(sender.call("send.finish", null), "finishing the sender")
  await b.run(receiver.call("recv.close", null), "closing the receiver")
  if (sent.sent !== received.received)
    throw new Error(`sent ${sent.sent} messages, received ${received.received}`)
  const n = received.received
  const sendCpu = cpuUs(finish.cpu)
  const recvCpu = cpuUs(received.cpu)
  // One process (inproc): its CPU clock from the start of the send loop already counts the receiving side.
  const total = cell.layout === "1proc" ? sendCpu : sendCpu + recvCpu
  return {
    msgsPerSec: n / received.seconds,
    messages: n,
    seconds: received.seconds,
    cpuSendUsPerMsg: sendCpu / n,
    cpuRecvUsPerMsg: recvCpu / n,
    cpuUsPerMsg: total / n,
    sendLoopMsgsPerSec: sent.sent / sent.loopSeconds,
  }
}

async function latencyOnce(state: ImplState, spec: TransferSpec): Promise<LatencyRep> {
  const { server: echo, client } = state.roles
  const b = state.budget
  const endpoints = await b.run(echo.call("echo.prepare", spec), "binding the echo side")
  const result = await b.run(client.call("client.run", { ...spec, endpoints }), "during the round trips")
  const finish = await b.run(echo.call("echo.finish", null), "closing the echo side")
  return {
    trips: result.trips,
    avgUs: result.avgUs,
    p50Us: result.p50Us,
    p99Us: result.p99Us,
    cpuUsPerTrip: cpuUs(result.cpu) / result.trips + cpuUs(finish.cpu) / Math.max(1, finish.echoed),
  }
}

/** Connections of the verification pass of a churn cell, each counted in the server's monitor events. */
export const CHURN_VERIFY_CONNECTIONS = 200
/**
 * Connections of a churn warm-up, at least (see the warm-up step): a fresh zlink server keeps getting
 * faster for its first few thousand connections, as V8 tiers up its accept and handshake paths.
 */
export const CHURN_WARMUP_CONNECTIONS = 4000

/**
 * One churn repetition: a fresh ROUTER, the client's connections, then the server's own account.
 * With `verify`, the server counts its monitor events and the client's first connection sends a
 * message that must come back; the counts must match the connections exactly.
 */
async function churnOnce(
  cell: Cell,
  state: ImplState,
  run: { verify: boolean; count?: number; durationMs: number; minConnections?: number },
): Promise<ChurnRep> {
  const { server, client } = state.roles
  const b = state.budget
  const handshake = cell.variant === "handshake"
  const endpoint = await b.run(server.call("churn.serve", { monitor: run.verify }), "binding the ROUTER")
  const result = await b.run(
    client.call("churn.run", {
      endpoint,
      variant: cell.variant!,
      concurrency: cell.concurrency!,
      durationMs: run.durationMs,
      echo: run.verify,
      ...(run.minConnections === undefined ? {} : { minConnections: run.minConnections }),
      ...(run.count === undefined ? {} : { count: run.count }),
    }),
    "opening and closing connections",
  )
  const n = result.connections
  const expected = { accepts: run.verify ? n : 0, handshakes: run.verify && handshake ? n : 0 }
  const stop = await b.run(server.call("churn.stop", expected), "releasing the connections")
  const left = Object.entries(stop.leftover)
  if (left.length > 0) {
    throw new Error(
      `after ${n} connections had closed the server still held ${left.map(([kind, k]) => `${k} ${kind}`).join(", ")}`,
    )
  }
  if (run.verify) {
    if (stop.accepts !== n) throw new Error(`${n} connections, ${stop.accepts} accept events`)
    if (stop.handshakes !== expected.handshakes) {
      throw new Error(`${n} ${cell.variant} connections, ${stop.handshakes} handshake events`)
    }
    if (handshake && !result.echoed) throw new Error("the echo connection got no reply")
  }
  if (n === 0) throw new Error("no connection completed")
  return {
    connections: n,
    seconds: result.seconds,
    connPerSec: n / result.seconds,
    serverCpuUsPerConn: cpuUs(stop.cpu) / n,
    clientCpuUsPerConn: cpuUs(result.cpu) / n,
    p50Us: result.p50Us,
    p99Us: result.p99Us,
  }
}

/** Asks the live children of a failed implementation what they were doing, for the reason. */
async function statusOf(roles: Roles): Promise<string> {
  const parts: string[] = []
  const list = children(roles)
  for (const [i, child] of list.entries()) {
    if (child.exited) continue
    try {
      const s = await within(child.call("status", null), 1000, "")
      const name = list.length === 1 ? "process" : roles.names[i]
      const counts = (["sent", "received", "echoed"] as const)
        .filter((k) => s[k] > 0)
        .map((k) => `${k} ${s[k]}`)
      parts.push(`${name}: ${[s.phase, ...counts].join(", ")}`)
    } catch {
      parts.push(`${child.label}: no answer to a status request`)
    }
  }
  return parts.length > 0 ? ` (${parts.join("; ")})` : ""
}

async function fail(state: ImplState, stage: string, error: unknown): Promise<void> {
  const reason = `${stage}: ${describe(error)}`
  state.failed = error instanceof CallTimeout ? reason + (await statusOf(state.roles)) : reason
  for (const child of children(state.roles)) child.kill()
}

function spec(cell: Cell, options: CellOptions, verify: boolean, count?: number): TransferSpec {
  const c = count ?? options.count
  return {
    // Churn cells never build a transfer spec.
    pattern: cell.pattern as Pattern,
    transport: cell.transport,
    size: cell.size,
    durationMs: options.durationMs,
    verify,
    ...(c === undefined ? {} : { count: c }),
  }
}

function summarize(cell: Cell, state: ImplState, rss: Record<string, number>): ImplResult {
  const base: ImplResult = {
    impl: state.impl,
    status: state.failed === undefined ? "ok" : "FAILED",
    ...(state.failed === undefined ? {} : { reason: state.failed }),
    ...(state.version === undefined ? {} : { version: state.version }),
    reps: state.reps,
    rssMB: rss,
  }
  if (state.failed !== undefined || state.reps.length === 0) return base
  if (cell.mode === "churn") {
    const reps = state.reps as ChurnRep[]
    return {
      ...base,
      connPerSec: median(reps.map((r) => r.connPerSec)),
      serverCpuUsPerConn: median(reps.map((r) => r.serverCpuUsPerConn)),
      clientCpuUsPerConn: median(reps.map((r) => r.clientCpuUsPerConn)),
      connections: median(reps.map((r) => r.connections)),
      p50Us: median(reps.map((r) => r.p50Us)),
      p99Us: median(reps.map((r) => r.p99Us)),
    }
  }
  if (cell.mode === "throughput") {
    const reps = state.reps as ThroughputRep[]
    const msgsPerSec = median(reps.map((r) => r.msgsPerSec))
    return {
      ...base,
      msgsPerSec,
      mbPerSec: (msgsPerSec * cell.size) / 1e6,
      cpuUsPerMsg: median(reps.map((r) => r.cpuUsPerMsg)),
      cpuSendUsPerMsg: median(reps.map((r) => r.cpuSendUsPerMsg)),
      cpuRecvUsPerMsg: median(reps.map((r) => r.cpuRecvUsPerMsg)),
      sendLoopMsgsPerSec: median(reps.map((r) => r.sendLoopMsgsPerSec)),
    }
  }
  const reps = state.reps as LatencyRep[]
  return {
    ...base,
    avgUs: median(reps.map((r) => r.avgUs)),
    p50Us: median(reps.map((r) => r.p50Us)),
    p99Us: median(reps.map((r) => r.p99Us)),
    trips: median(reps.map((r) => r.trips)),
    cpuUsPerTrip: median(reps.map((r) => r.cpuUsPerTrip)),
  }
}

export async function runCell(cell: Cell, options: CellOptions): Promise<CellResult> {
  const started = performance.now()
  const states: ImplState[] = options.impls.map((impl) => ({
    impl,
    budget: new Budget(options.timeoutMs),
    roles: spawnRoles(cell, impl, options.worker),
    reps: [],
  }))
  const step = (text: string) => options.onStep?.(text)
  try {
    step("starting processes")
    await Promise.all(
      states.map(async (state) => {
        try {
          const ready = await state.budget.run(
            Promise.all(children(state.roles).map((c) => c.ready)),
            "starting the processes",
          )
          state.version = ready[0]!.version
        } catch (error) {
          await fail(state, "start", error)
        }
      }),
    )

    for (const state of states) {
      if (state.failed !== undefined) continue
      // Verification (throughput; a latency repetition verifies its first round trips itself), then
      // one discarded repetition: a fresh process runs its first transfers cold (JIT, heap sizing).
      if (cell.mode !== "latency") {
        step(`${state.impl} verification`)
        try {
          if (cell.mode === "churn") {
            await churnOnce(cell, state, {
              verify: true,
              count: CHURN_VERIFY_CONNECTIONS,
              durationMs: options.durationMs,
            })
          } else await throughputOnce(cell, state, spec(cell, options, true, verifyCount(cell.size)))
        } catch (error) {
          await fail(state, "verification", error)
          continue
        }
      }
      if (options.warmupMs <= 0) continue
      step(`${state.impl} warm-up`)
      // Always by time, even when the repetitions count messages.
      const { count: _, ...timed } = spec(cell, options, false)
      const warmup = { ...timed, durationMs: options.warmupMs }
      try {
        if (cell.mode === "throughput") await throughputOnce(cell, state, warmup)
        else if (cell.mode === "churn") {
          // Like the latency warm-up, a minimum of connections: in a run of 1 s repetitions the
          // handshake x1 cell's first repetitions after a 1 s warm-up still cost zlink's server twice
          // the CPU per connection of the later ones (V8 still tiering up); from about 3,000
          // connections on they are steady. libzmq has no such start.
          await churnOnce(cell, state, {
            verify: false,
            durationMs: options.warmupMs,
            minConnections: CHURN_WARMUP_CONNECTIONS,
          })
        } else {
          // Two runs, each with a minimum of round trips. V8 keeps tiering up the hot paths for the
          // first few thousand, and with both processes on one core its compiler threads preempt
          // the round trips being timed. The first close of a process's sockets then turns fields
          // V8 had treated as constants (closed flags, timers) into variables, which deoptimizes
          // the hot paths once; the second run re-optimizes them on fresh sockets. (A throughput
          // cell's verification pass is its first run.)
          const large = cell.size >= 65536
          await latencyOnce(state, { ...warmup, minTrips: large ? WARMUP_TRIPS_LARGE : WARMUP_TRIPS })
          await latencyOnce(state, { ...warmup, minTrips: large ? WARMUP_TRIPS_LARGE / 2 : WARMUP_TRIPS / 2 })
        }
      } catch (error) {
        await fail(state, "warm-up", error)
      }
    }

    for (let rep = 0; rep < options.reps; rep++) {
      const order = rep % 2 === 0 ? states : [...states].reverse()
      for (const state of order) {
        if (state.failed !== undefined) continue
        step(`${state.impl} rep ${rep + 1}/${options.reps}`)
        try {
          state.reps.push(
            cell.mode === "throughput"
              ? await throughputOnce(cell, state, spec(cell, options, false))
              : cell.mode === "churn"
                ? await churnOnce(cell, state, {
                    verify: false,
                    durationMs: options.durationMs,
                    ...(options.count === undefined ? {} : { count: options.count }),
                  })
                : await latencyOnce(state, spec(cell, options, false)),
          )
        } catch (error) {
          await fail(state, `rep ${rep + 1}`, error)
        }
      }
    }

    const results: ImplResult[] = []
    for (const state of states) {
      const rss: Record<string, number> = {}
      if (state.failed === undefined) {
        const list = children(state.roles)
        for (const [i, child] of list.entries()) {
          try {
            const bytes = await within(child.call("rss", null), 2000, "reading the peak RSS")
            rss[list.length === 1 ? "process" : state.roles.names[i]!] = bytes / (1 << 20)
          } catch {
            // A missing RSS figure does not fail the cell.
          }
        }
      }
      results.push(summarize(cell, state, rss))
    }
    return { cell, results, seconds: (performance.now() - started) / 1000 }
  } finally {
    const all = states.flatMap((s) => children(s.roles))
    for (const child of all) child.kill()
    await within(Promise.all(all.map((c) => c.whenExited())), 5000, "").catch(() => {})
    removeIpcFiles(all)
  }
}
