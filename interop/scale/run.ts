/**
 * The scale run: one zlink ROUTER (tcp, 127.0.0.1) and N DEALERs, half zlink and half libzmq (the
 * `zeromq` package), each kind in its own process so that every process stays within its open-file
 * limit. It measures the ROUTER's memory per idle connection, then has every DEALER send K requests
 * carrying its name before the ROUTER reads any, and checks routing, fair-queuing (see `check.ts`),
 * loss and duplication, and that the ROUTER leaves nothing behind.
 */
import { performance } from "node:perf_hooks"
import { checkRouterLog, type Peer, passed, type RouterCheck } from "./check.js"
import { Child, fileLimits, kernelLimits } from "./children.js"
import type { CloseReport, DealerOps, DealerReport, Memory, PeerCounts, RouterOps } from "./protocol.js"

export interface ScaleOptions {
  /** DEALERs in all, half zlink and half libzmq. */
  peers: number
  /** Requests each DEALER sends. */
  requests: number
  /** Connections opened at a time (kept within the listen backlog). */
  batch: number
  /** DEALERs of each kind connected, used and closed before the baseline (JIT, first allocations). */
  warmup: number
  /** Time limit of each step, ms. */
  stepTimeoutMs: number
  log?: (line: string) => void
}

export const defaultScaleOptions: ScaleOptions = {
  peers: 1000,
  requests: 10,
  batch: 500,
  warmup: 16,
  stepTimeoutMs: 60_000,
}

/** Memory of the ROUTER process per connection: the growth divided by the connections added. */
export interface PerConnection {
  rssBytes: number
  heapBytes: number
  /** Buffers outside the JS heap (`arrayBuffers`): the encoder's first batch buffer, mostly. */
  arrayBuffersBytes: number
}

export interface ScaleResult {
  ok: boolean
  failures: string[]
  options: Omit<ScaleOptions, "log">
  limits: { openFilesSoft: number; openFilesHard: number; ephemeralPorts?: number; somaxconn?: number }
  backlog: number
  seconds: { total: number; connectZlink: number; connectLibzmq: number; exchange: number; close: number }
  memory: {
    baseline: Memory
    withZlinkPeers: Memory
    withAllPeers: Memory
    perZlinkPeer: PerConnection
    perLibzmqPeer: PerConnection
    perPeer: PerConnection
    /** The zlink DEALER process: memory per DEALER socket, the client side. */
    perZlinkDealer: PerConnection
  }
  router: RouterCheck & { replies: number; serveSeconds: number }
  dealers: { zlink: DealerReport; libzmq: DealerReport }
  requestsSent: number
  events: PeerCounts
  close: CloseReport
}

function perConnection(from: Memory, to: Memory, connections: number): PerConnection {
  return {
    rssBytes: (to.rss - from.rss) / connections,
    heapBytes: (to.heapUsed - from.heapUsed) / connections,
    arrayBuffersBytes: (to.arrayBuffers - from.arrayBuffers) / connections,
  }
}

function names(prefix: string, count: number): { names: string[]; explicit: boolean[]; peers: Peer[] } {
  const list = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`)
  // Every other DEALER presents its name as routing id; the ROUTER picks the others' ids.
  const explicit = list.map((_, i) => i % 2 === 0)
  return { names: list, explicit, peers: list.map((name, i) => ({ name, explicit: explicit[i]! })) }
}

/** Differences between two handle tables, as text. */
function handleDiff(before: Record<string, number>, after: Record<string, number>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  return [...keys]
    .filter((k) => (before[k] ?? 0) !== (after[k] ?? 0))
    .map((k) => `${k}: ${before[k] ?? 0} before, ${after[k] ?? 0} after`)
}

/** What the ROUTER's context must hold with every peer gone and the ROUTER still open. */
const IDLE_ROUTER = {
  sockets: 1,
  bindings: 1,
  // The monitor listener behind `socket.events`.
  eventListeners: 1,
}

export async function runScale(input: Partial<ScaleOptions> = {}): Promise<ScaleResult> {
  const options: ScaleOptions = { ...defaultScaleOptions, ...input }
  const { peers, requests, warmup, stepTimeoutMs: ms } = options
  const log = options.log ?? (() => {})
  if (peers < 2 || peers % 2 !== 0) throw new Error(`--peers must be even and at least 2, not ${peers}`)
  const half = peers / 2
  const files = fileLimits()
  const kernel = kernelLimits()
  if (kernel.ephemeralPorts !== undefined && kernel.ephemeralPorts < peers + 2 * warmup + 100) {
    throw new Error(
      `${peers} connections need as many local ports, but net.ipv4.ip_local_port_range has only ` +
        `${kernel.ephemeralPorts}: widen it or run fewer peers`,
    )
  }
  // The kernel caps the backlog at somaxconn; connections open in batches that fit in it.
  const backlog = Math.min(peers, kernel.somaxconn ?? peers)
  const batch = Math.max(1, Math.min(options.batch, backlog))
  const started = performance.now()
  const failures: string[] = []

  // Open files: one per connection and a margin for Node itself; libzmq adds a mailbox (an eventfd)
  // per socket.
  const margin = 64
  const router = new Child<RouterOps>("router-process.ts", [], peers + 2 * warmup + margin, "ROUTER process")
  const zlink = new Child<DealerOps>("dealer-process.ts", ["zlink"], half + warmup + margin, "zlink DEALERs")
  const libzmq = new Child<DealerOps>(
    "dealer-process.ts",
    ["libzmq", String(half + warmup + 16)],
    2 * (half + warmup) + margin,
    "libzmq DEALERs",
  )
  const children = [router, zlink, libzmq]
  try {
    await Promise.all(children.map((c) => c.ready))
    const endpoint = await router.call("bind", { backlog }, ms)
    log(`ROUTER bound at ${endpoint} (backlog ${backlog})`)

    // Warm-up: a few peers of each kind connect, make one round trip and leave, so that the baseline
    // already has the code paths compiled and the first-use allocations made.
    const warmZ = names("zw", warmup)
    const warmL = names("lw", warmup)
    await zlink.call("open", { group: "warm", endpoint, ...warmZ }, ms)
    await libzmq.call("open", { group: "warm", endpoint, ...warmL }, ms)
    await router.call("peers", { live: 2 * warmup, timeoutMs: ms }, ms + 5000)
    await Promise.all([
      zlink.call("send", { group: "warm", requests: 1 }, ms),
      libzmq.call("send", { group: "warm", requests: 1 }, ms),
    ])
    await router.call("queued", { count: 2 * warmup, timeoutMs: ms }, ms + 5000)
    const warmCollect = Promise.all([
      zlink.call("collect", { group: "warm", requests: 1, timeoutMs: ms, graceMs: 0 }, ms + 5000),
      libzmq.call("collect", { group: "warm", requests: 1, timeoutMs: ms, graceMs: 0 }, ms + 5000),
    ])
    await router.call("serve", { count: 2 * warmup, timeoutMs: ms }, ms + 5000)
    await warmCollect
    await zlink.call("close", { group: "warm" }, ms)
    await libzmq.call("close", { group: "warm" }, ms)
    await router.call("peers", { live: 0, timeoutMs: ms }, ms + 5000)

    const baseline = await router.call("memory", null, ms)
    const zlinkDealersBefore = await zlink.call("memory", null, ms)

    const connect = async (child: Child<DealerOps>, prefix: string, liveBefore: number) => {
      const all = names(prefix, half)
      for (let from = 0; from < half; from += batch) {
        const to = Math.min(half, from + batch)
        await child.call(
          "open",
          {
            group: `main${from}`,
            endpoint,
            names: all.names.slice(from, to),
            explicit: all.explicit.slice(from, to),
          },
          ms,
        )
        await router.call("peers", { live: liveBefore + to, timeoutMs: ms }, ms + 5000)
      }
      return all.peers
    }
    let t = performance.now()
    const zlinkPeers = await connect(zlink, "z", 0)
    const connectZlink = (performance.now() - t) / 1000
    const withZlinkPeers = await router.call("memory", null, ms)
    const zlinkDealersAfter = await zlink.call("memory", null, ms)
    log(`${half} zlink DEALERs connected in ${connectZlink.toFixed(1)} s`)
    t = performance.now()
    const libzmqPeers = await connect(libzmq, "l", half)
    const connectLibzmq = (performance.now() - t) / 1000
    const withAllPeers = await router.call("memory", null, ms)
    log(`${half} libzmq DEALERs connected in ${connectLibzmq.toFixed(1)} s`)

    // Every DEALER sends all its requests; the ROUTER reads only once all of them are queued.
    t = performance.now()
    const groups = (n: number) => Array.from({ length: Math.ceil(n / batch) }, (_, i) => `main${i * batch}`)
    const sendAll = (child: Child<DealerOps>) =>
      Promise.all(groups(half).map((group) => child.call("send", { group, requests }, ms)))
    const sent = (await Promise.all([sendAll(zlink), sendAll(libzmq)])).flat().reduce((a, b) => a + b, 0)
    const collectAll = (child: Child<DealerOps>) =>
      Promise.all(
        groups(half).map((group) =>
          child.call("collect", { group, requests, timeoutMs: ms, graceMs: 200 }, 2 * ms + 5000),
        ),
      )
    const collecting = Promise.all([collectAll(zlink), collectAll(libzmq)])
    collecting.catch(() => {})
    await router.call("queued", { count: peers * requests, timeoutMs: ms }, ms + 5000)
    const served = await router.call("serve", { count: peers * requests, timeoutMs: ms }, 2 * ms)
    const [zlinkReports, libzmqReports] = await collecting
    const exchange = (performance.now() - t) / 1000
    log(`${sent} requests and ${served.replies} replies in ${exchange.toFixed(1)} s`)
    const sum = (reports: DealerReport[]): DealerReport =>
      reports.reduce((a, b) => ({
        dealers: a.dealers + b.dealers,
        received: a.received + b.received,
        foreign: a.foreign + b.foreign,
        outOfOrder: a.outOfOrder + b.outOfOrder,
        missing: a.missing + b.missing,
        extra: a.extra + b.extra,
        problems: [...a.problems, ...b.problems].slice(0, 10),
      }))
    const check = checkRouterLog(served.received, served.malformed, [...zlinkPeers, ...libzmqPeers], requests)

    t = performance.now()
    for (const child of [zlink, libzmq])
      for (const group of groups(half)) await child.call("close", { group }, ms)
    const events = await router.call("peers", { live: 0, timeoutMs: ms }, ms + 5000)
    const close = await router.call("close", { timeoutMs: 5000 }, ms)
    const closeSeconds = (performance.now() - t) / 1000

    const dealers = { zlink: sum(zlinkReports), libzmq: sum(libzmqReports) }
    if (!passed(check)) failures.push(`ROUTER: ${check.problems.join("; ")}`)
    for (const [kind, report] of Object.entries(dealers)) {
      const bad = report.foreign + report.outOfOrder + report.missing + report.extra
      if (bad > 0 || report.received !== half * requests)
        failures.push(
          `${kind} DEALERs: ${report.received} of ${half * requests} replies; ${report.problems.join("; ")}`,
        )
    }
    if (sent !== peers * requests) failures.push(`${sent} requests sent, expected ${peers * requests}`)
    if (events.errors > 0) failures.push(`ROUTER events: ${events.errorSamples.join("; ")}`)
    if (events.handshakes !== peers + 2 * warmup)
      failures.push(`${events.handshakes} handshakes, expected ${peers + 2 * warmup}`)
    for (const [key, value] of Object.entries(close.beforeClose)) {
      const expected = (IDLE_ROUTER as Record<string, number>)[key] ?? 0
      if (value !== expected) failures.push(`with every peer gone the ROUTER still has ${key} = ${value}`)
    }
    for (const [key, value] of Object.entries(close.afterClose))
      if (value !== 0) failures.push(`after close the context still has ${key} = ${value}`)
    for (const diff of handleDiff(close.handlesBefore, close.handlesAfter)) failures.push(`handles: ${diff}`)

    return {
      ok: failures.length === 0,
      failures,
      options: { peers, requests, batch, warmup, stepTimeoutMs: ms },
      limits: { openFilesSoft: files.soft, openFilesHard: files.hard, ...kernel },
      backlog,
      seconds: {
        total: (performance.now() - started) / 1000,
        connectZlink,
        connectLibzmq,
        exchange,
        close: closeSeconds,
      },
      memory: {
        baseline,
        withZlinkPeers,
        withAllPeers,
        perZlinkPeer: perConnection(baseline, withZlinkPeers, half),
        perLibzmqPeer: perConnection(withZlinkPeers, withAllPeers, half),
        perPeer: perConnection(baseline, withAllPeers, peers),
        perZlinkDealer: perConnection(zlinkDealersBefore, zlinkDealersAfter, half),
      },
      router: { ...check, replies: served.replies, serveSeconds: served.seconds },
      dealers,
      requestsSent: sent,
      events,
      close,
    }
  } finally {
    for (const child of children) child.kill()
    await Promise.all(children.map((c) => c.whenExited()))
  }
}

/** The result as the lines a person reads. */
export function summary(result: ScaleResult): string[] {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  const m = result.memory
  const { peers, requests } = result.options
  return [
    `scale: ${peers} DEALERs (${peers / 2} zlink, ${peers / 2} libzmq) on one zlink ROUTER, ${requests} requests each: ${result.ok ? "PASSED" : "FAILED"}`,
    `  limits: open files ${result.limits.openFilesSoft}/${result.limits.openFilesHard} (soft/hard), ephemeral ports ${result.limits.ephemeralPorts ?? "?"}, somaxconn ${result.limits.somaxconn ?? "?"}, backlog ${result.backlog}`,
    `  time: ${result.seconds.total.toFixed(1)} s in all; connect ${result.seconds.connectZlink.toFixed(1)} s (zlink) + ${result.seconds.connectLibzmq.toFixed(1)} s (libzmq); exchange ${result.seconds.exchange.toFixed(1)} s; close ${result.seconds.close.toFixed(1)} s`,
    `  messages: ${result.requestsSent} requests, ${result.router.replies} replies; routed right ${result.dealers.zlink.received + result.dealers.libzmq.received}`,
    `  ROUTER memory per idle connection: zlink peer ${kb(m.perZlinkPeer.rssBytes)} RSS, ${kb(m.perZlinkPeer.heapBytes)} heap; libzmq peer ${kb(m.perLibzmqPeer.rssBytes)} RSS, ${kb(m.perLibzmqPeer.heapBytes)} heap; all ${kb(m.perPeer.rssBytes)} RSS, ${kb(m.perPeer.heapBytes)} heap, ${kb(m.perPeer.arrayBuffersBytes)} buffers`,
    `  ROUTER process: baseline ${(m.baseline.rss / 2 ** 20).toFixed(1)} MiB RSS, ${(m.baseline.heapUsed / 2 ** 20).toFixed(1)} MiB heap; with all peers ${(m.withAllPeers.rss / 2 ** 20).toFixed(1)} MiB RSS, ${(m.withAllPeers.heapUsed / 2 ** 20).toFixed(1)} MiB heap`,
    `  zlink DEALER process per DEALER socket: ${kb(m.perZlinkDealer.rssBytes)} RSS, ${kb(m.perZlinkDealer.heapBytes)} heap`,
    `  fair-queuing: ${result.router.unfairRounds} unfair and ${result.router.reorderedRounds} reordered rounds of ${peers}; misrouted ${result.router.misrouted}, out of order ${result.router.outOfOrder}, shared ids ${result.router.sharedIds}`,
    `  left behind: ${result.failures.filter((f) => f.startsWith("handles") || f.includes("still")).length === 0 ? "nothing" : "see failures"}`,
    ...result.failures.map((f) => `  FAILED: ${f}`),
  ]
}
