/**
 * The mixed soak: one zlink process, the hub, runs PUSH/PULL, PUB/SUB with changing subscriptions,
 * REQ/REP and DEALER/ROUTER at once, over tcp and ipc, against four peer processes (zlink and libzmq,
 * over tcp and over ipc) at a steady paced load, for minutes. Two peers are stable but close and
 * recreate one of their connecting sockets every couple of seconds; the other two are killed
 * (SIGKILL) and started again in turn every few seconds; the hub makes its REQ again every few
 * seconds and after every timeout. See `src/child/soak-flows.ts` for what each flow checks.
 *
 * The hub collects garbage and samples its RSS and heap once a second. The warm-up rule is the
 * memory check's (`soak.ts`): it ends a second after V8 last resized the heap (its reservation, or
 * the resident part of it), within bounds. The run
 * passes when, from the warm-up's end to the end, RSS and heap in use grow less than 10%; when the
 * hub's handles and timers (`process.getActiveResourcesInfo()`) and its context's counts
 * (`context.resources()`) are the same after everything closed as before the first socket; when its
 * sockets, still open once every peer is gone, hold no peer, engine or queued message; and when no
 * flow broke a promise of its pattern or failed.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { Impl } from "../child/protocol.js"
import type {
  FlowStats,
  Flows,
  HubEndpoints,
  HubFinal,
  HubOps,
  PeerOps,
  Report,
  SoakTransport,
} from "../child/soak-protocol.js"
import { Child, within } from "./child.js"
import { analyse, type SoakProcess, warmupEnd } from "./soak.js"

export interface MixedSoakOptions {
  /** Length of the whole run, warm-up included. */
  seconds: number
  /** The warm-up lasts at least this long... */
  warmupSeconds: number
  /** ...and at most this long, or a third of the run if that is less. */
  maxWarmupSeconds: number
  /** A killed peer is started again, and the next one killed, this often. */
  killEverySeconds: number
  /** The stable peers close and recreate one of their connecting sockets this often. */
  peerRestartMs: number
  /** The hub makes its REQ again this often. */
  reqRecreateMs: number
  /** Messages per second of each paced flow. */
  rate: number
  /**
   * Fixes the hub's young generation (V8 semi-spaces, MB) from the start, so that V8 has no young
   * generation left to grow: a short run then measures after a short warm-up instead of inside V8's
   * sizing (the CI version uses 16, Node 20's largest). Undefined leaves V8's defaults.
   */
  semiSpaceMB?: number
  /** The benchmark worker of the snapshot; the soak's scripts lie next to it. */
  worker: string
  onStep?(text: string): void
}

export const defaultMixedSoak = {
  warmupSeconds: 10,
  // V8 was seen growing the young generation of the hub 96 s into a run, and its pages filling
  // until 165 s.
  maxWarmupSeconds: 180,
  killEverySeconds: 3,
  peerRestartMs: 2000,
  reqRecreateMs: 3000,
  rate: 200,
}

interface PeerSpec {
  tag: string
  impl: Impl
  transport: SoakTransport
  /** Stays up for the whole run, restarting its sockets; otherwise killed and started again. */
  stable: boolean
  /** Samples its memory (the stable zlink peer, a second zlink process under churn). */
  sample: boolean
}

const PEERS: PeerSpec[] = [
  { tag: "zeromq-tcp-stable", impl: "zeromq", transport: "tcp", stable: true, sample: false },
  { tag: "zlink-ipc-stable", impl: "zlink", transport: "ipc", stable: true, sample: true },
  { tag: "zeromq-ipc-killed", impl: "zeromq", transport: "ipc", stable: false, sample: false },
  { tag: "zlink-tcp-killed", impl: "zlink", transport: "tcp", stable: false, sample: false },
]

/** The hub's flows, each of which must have moved messages in the direction named. */
const HUB_FLOWS: Record<string, "sent" | "received"> = {
  "hub PULL <- peer PUSH": "received",
  "hub PUB -> peer SUB": "sent",
  "hub REP <- peer REQ": "received",
  "hub ROUTER <- peer DEALER": "received",
  "hub PUSH -> peer PULL": "sent",
  "hub SUB <- peer PUB": "received",
  "hub REQ -> peer REP": "received",
  "hub DEALER -> peer ROUTER": "received",
}

/** What the hub's context must hold, every peer gone, before its 8 sockets close. */
const QUIET: Record<string, number> = {
  sockets: 8,
  // PULL, PUB, REP and ROUTER, each on tcp and ipc.
  bindings: 8,
  pipes: 0,
  engines: 0,
  queued: 0,
  sources: 0,
  pendingSends: 0,
  connecters: 0,
  inprocBindings: 0,
  inprocPending: 0,
  eventListeners: 0,
}

export interface MixedSoakResult {
  status: "ok" | "FAILED"
  failures: string[]
  seconds: number
  warmupSeconds: number
  warmupCapped?: boolean
  rate: number
  /** The hub's memory, with its samples. */
  hub?: SoakProcess & { heapGrowthPct: number }
  /** The stable zlink peer's memory (reported, not judged: its sockets restart all the time). */
  stableZlinkPeer?: SoakProcess & { heapGrowthPct: number }
  /** Messages the hub sent and received (the zlink process under test), and its peers'. */
  messages: { hub: number; peers: number }
  restarts: { processes: number; peerSockets: number; hubSockets: number }
  handles?: { before: Record<string, number>; after: Record<string, number> }
  resources?: { before: Record<string, number>; quiet: Record<string, number>; after: Record<string, number> }
  flows: { hub: Flows; peers: Record<string, Flows> }
}

function addFlows(into: Flows, from: Flows): void {
  for (const [name, stats] of Object.entries(from)) {
    const sum = into[name]
    if (sum === undefined) {
      into[name] = { ...stats, problems: [...stats.problems] }
      continue
    }
    for (const key of Object.keys(stats) as (keyof FlowStats)[]) {
      if (key === "problems") sum.problems = [...sum.problems, ...stats.problems].slice(0, 20)
      else sum[key] += stats[key]
    }
  }
}

function total(flows: Flows, key: "sent" | "received" | "violations" | "errors" | "restarts"): number {
  return Object.values(flows).reduce((n, stats) => n + stats[key], 0)
}

function differences(a: Record<string, number>, b: Record<string, number>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => (a[key] ?? 0) !== (b[key] ?? 0))
    .map((key) => `${key}: ${a[key] ?? 0} before, ${b[key] ?? 0} after`)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A running peer process and the flows of its earlier lives. */
interface Peer {
  spec: PeerSpec
  child: Child<PeerOps> | undefined
  /** `tag#n`: the name the hub knows this life by. */
  life: string
  lives: number
  flows: Flows
}

export async function runMixedSoak(options: MixedSoakOptions): Promise<MixedSoakResult> {
  const { seconds, rate } = options
  const dir = dirname(options.worker)
  const ipcDir = mkdtempSync(join(tmpdir(), "zl-soak-"))
  const failures: string[] = []
  const step = options.onStep ?? (() => {})
  const hub = new Child<HubOps>(join(dir, "soak-hub.js"), "zlink", undefined, "soak hub", {
    nodeArgs: [
      "--expose-gc",
      ...(options.semiSpaceMB !== undefined
        ? [`--min-semi-space-size=${options.semiSpaceMB}`, `--max-semi-space-size=${options.semiSpaceMB}`]
        : []),
    ],
  })
  const peers: Peer[] = PEERS.map((spec) => ({ spec, child: undefined, life: "", lives: 0, flows: {} }))
  let kills = 0
  let hubEndpoints: HubEndpoints | undefined
  let final: HubFinal | undefined

  const startPeer = async (peer: Peer) => {
    peer.lives++
    peer.life = `${peer.spec.tag}#${peer.lives}`
    const child = new Child<PeerOps>(join(dir, "soak-peer.js"), peer.spec.impl, undefined, peer.life, {
      nodeArgs: peer.spec.sample ? ["--expose-gc"] : [],
    })
    peer.child = child
    await within(child.ready, 30_000, `starting ${peer.life}`)
    const endpoints = await within(
      child.call("start", {
        tag: peer.life,
        impl: peer.spec.impl,
        transport: peer.spec.transport,
        hub: hubEndpoints!,
        ipcDir,
        rate,
        restartEveryMs: peer.spec.stable ? options.peerRestartMs : 0,
        sample: peer.spec.sample,
      }),
      10_000,
      `${peer.life}: start`,
    )
    await within(hub.call("peerUp", { tag: peer.life, endpoints }), 10_000, "hub: peerUp")
  }

  /** Takes the peer's counters, then kills it and tells the hub. */
  const endPeer = async (peer: Peer, graceful: boolean) => {
    const child = peer.child
    if (child === undefined) return
    peer.child = undefined
    const report: Report = await within(
      graceful ? child.call("stop", null) : child.call("report", null),
      10_000,
      `${peer.life}: ${graceful ? "stop" : "report"}`,
    )
    addFlows(peer.flows, report.flows)
    child.kill()
    await child.whenExited()
    await within(hub.call("peerDown", { tag: peer.life }), 10_000, "hub: peerDown")
    return report
  }

  let stableSamples: Report["samples"] = []
  const started = Date.now()
  try {
    await within(hub.ready, 30_000, "starting the hub")
    hubEndpoints = await within(
      hub.call("start", { ipcDir, rate, reqRecreateMs: options.reqRecreateMs }),
      10_000,
      "hub: start",
    )
    for (const peer of peers) await startPeer(peer)
    step(`mixed soak: ${seconds} s, ${PEERS.length} peers, a peer killed every ${options.killEverySeconds} s`)
    const deadline = started + seconds * 1000
    const killable = peers.filter((p) => !p.spec.stable)
    for (let k = 0; Date.now() + options.killEverySeconds * 1000 < deadline; k++) {
      await sleep(options.killEverySeconds * 1000)
      const victim = killable[k % killable.length]!
      await endPeer(victim, false)
      kills++
      await startPeer(victim)
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000))
      step(`mixed soak: ${kills} peers killed and started again, ${left} s left`)
    }
    await sleep(Math.max(0, deadline - Date.now()))
    for (const peer of peers) {
      const report = await endPeer(peer, peer.spec.stable)
      if (peer.spec.sample && report !== undefined) stableSamples = report.samples
    }
    final = await within(hub.call("stop", { timeoutMs: 10_000 }), 30_000, "hub: stop")
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error))
  } finally {
    for (const peer of peers) peer.child?.kill()
    hub.kill()
    await Promise.all([hub.whenExited(), ...peers.map((p) => p.child?.whenExited())])
    rmSync(ipcDir, { recursive: true, force: true })
  }

  const hubFlows = final?.flows ?? {}
  const peerFlows = Object.fromEntries(peers.map((p) => [p.spec.tag, p.flows]))
  const result: MixedSoakResult = {
    status: "FAILED",
    failures,
    seconds: (Date.now() - started) / 1000,
    warmupSeconds: 0,
    rate,
    messages: {
      hub: total(hubFlows, "sent") + total(hubFlows, "received"),
      peers: peers.reduce((n, p) => n + total(p.flows, "sent") + total(p.flows, "received"), 0),
    },
    restarts: {
      processes: kills,
      peerSockets: peers.reduce((n, p) => n + total(p.flows, "restarts"), 0),
      hubSockets: total(hubFlows, "restarts"),
    },
    flows: { hub: hubFlows, peers: peerFlows },
  }
  if (final === undefined) return result

  // At most a third of the run, so that most of it is measured. The hub collects garbage before each
  // sample, so its old generation moves by a page or two all the time: only a change of more than
  // 1 MiB of the reservation or of its resident part (the young generation's, in semi-space steps,
  // and its pages as they are first used) counts.
  const maximum = Math.max(options.warmupSeconds, Math.min(options.maxWarmupSeconds, seconds / 3))
  const warmup = warmupEnd([final.samples], options.warmupSeconds, maximum, 1 << 20)
  result.warmupSeconds = warmup
  if (warmup >= maximum && maximum > options.warmupSeconds) result.warmupCapped = true
  const judged = (samples: Report["samples"]) => {
    const figures = analyse(samples, warmup)
    return {
      ...figures,
      heapGrowthPct: ((figures.heapFinalMB - figures.heapBaselineMB) / figures.heapBaselineMB) * 100,
    }
  }
  result.hub = judged(final.samples)
  if (stableSamples.length > 0) result.stableZlinkPeer = judged(stableSamples)
  result.handles = { before: final.handlesBefore, after: final.handlesAfter }
  result.resources = {
    before: final.resourcesBefore,
    quiet: final.resourcesQuiet,
    after: final.resourcesAfter,
  }

  if (result.hub.growthPct >= 10)
    failures.push(`hub RSS grew ${result.hub.growthPct.toFixed(1)}% after the warm-up`)
  if (result.hub.heapGrowthPct >= 10)
    failures.push(`hub heap grew ${result.hub.heapGrowthPct.toFixed(1)}% after the warm-up`)
  for (const diff of differences(final.handlesBefore, final.handlesAfter))
    failures.push(`hub handles: ${diff}`)
  for (const [key, value] of Object.entries(final.resourcesBefore))
    if (value !== 0) failures.push(`hub context before the first socket: ${key} = ${value}`)
  for (const [key, value] of Object.entries(final.resourcesAfter))
    if (value !== 0) failures.push(`hub context after the last close: ${key} = ${value}`)
  for (const [key, expected] of Object.entries(QUIET)) {
    const value = final.resourcesQuiet[key] ?? 0
    if (value !== expected) failures.push(`hub, every peer gone: ${key} = ${value}, expected ${expected}`)
  }
  for (const [name, direction] of Object.entries(HUB_FLOWS)) {
    const stats = hubFlows[name]
    if (stats === undefined || stats[direction] === 0) failures.push(`${name}: nothing ${direction}`)
  }
  const judge = (owner: string, flows: Flows) => {
    for (const [name, stats] of Object.entries(flows)) {
      if (stats.violations > 0 || stats.errors > 0)
        failures.push(
          `${owner} ${name}: ${stats.violations} violations, ${stats.errors} errors: ${stats.problems.slice(0, 3).join("; ")}`,
        )
      if (stats.sent + stats.received === 0) failures.push(`${owner} ${name}: no message moved`)
    }
  }
  judge("hub", hubFlows)
  for (const peer of peers) judge(peer.spec.tag, peer.flows)
  result.status = failures.length === 0 ? "ok" : "FAILED"
  return result
}

/** The result as lines for a person. */
export function mixedSoakSummary(result: MixedSoakResult): string[] {
  const mb = (x: number) => `${x.toFixed(1)} MB`
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}%`
  const lines = [
    `mixed soak: ${result.status}, ${result.seconds.toFixed(0)} s, warm-up ${result.warmupSeconds} s${result.warmupCapped ? " (capped: V8 still resizing)" : ""}`,
  ]
  const memory = (label: string, p: MixedSoakResult["hub"]) => {
    if (p === undefined) return
    lines.push(
      `  ${label}: RSS ${mb(p.baselineMB)} at warm-up end -> ${mb(p.finalMB)} at the end (${pct(p.growthPct)}), heap ${mb(p.heapBaselineMB)} -> ${mb(p.heapFinalMB)} (${pct(p.heapGrowthPct)}), peak RSS ${mb(p.peakMB)}`,
    )
  }
  memory("hub (zlink)", result.hub)
  memory("stable zlink peer (not judged)", result.stableZlinkPeer)
  if (result.handles !== undefined) {
    const show = (h: Record<string, number>) =>
      Object.entries(h)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    lines.push(`  hub handles: before ${show(result.handles.before)}; after ${show(result.handles.after)}`)
  }
  if (result.resources !== undefined) {
    const nonzero = (r: Record<string, number>) =>
      Object.entries(r)
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "all 0"
    lines.push(
      `  hub context: before ${nonzero(result.resources.before)}; every peer gone ${nonzero(result.resources.quiet)}; after close ${nonzero(result.resources.after)}`,
    )
  }
  lines.push(
    `  messages: ${result.messages.hub} sent and received by the hub, ${result.messages.peers} by its peers, at ${result.rate}/s per paced flow`,
    `  restarts: ${result.restarts.processes} peer processes killed and started again, ${result.restarts.peerSockets} peer sockets and ${result.restarts.hubSockets} hub sockets closed and made again`,
  )
  for (const [name, s] of Object.entries(result.flows.hub)) {
    lines.push(
      `    ${name.padEnd(28)} sent ${String(s.sent).padStart(8)} received ${String(s.received).padStart(8)} timeouts ${s.timeouts} late ${s.late} violations ${s.violations}${s.afterUnsubscribe ? ` after-unsubscribe ${s.afterUnsubscribe}` : ""}`,
    )
  }
  for (const failure of result.failures) lines.push(`  FAILED: ${failure}`)
  return lines
}
