/**
 * What a run leaves behind: the terminal tables, the JSON lines, the Markdown for the docs, and the
 * checks against the targets of issue 4. The HTML report is in `html.ts`.
 */
import type { Impl } from "../child/protocol.js"
import type { CellResult, ImplResult } from "./cell.js"
import type { SoakResult } from "./soak.js"
import { formatNumber, formatRate, formatRatio, formatSize } from "./stats.js"

export interface RunMeta {
  id: string
  started: string
  finished?: string
  command: string
  host: { cpu: string; cores: number; memoryGB: number; kernel: string; node: string; loadAverage: number[] }
  versions: { zlink?: string; zlinkBuiltAt?: string; zeromqPackage?: string; libzmq?: string }
  pinned: boolean
  options: { reps: number; durationMs: number; count?: number; timeoutMs: number }
}

export function implResult(cell: CellResult, impl: Impl): ImplResult | undefined {
  return cell.results.find((r) => r.impl === impl)
}

function ok(r: ImplResult | undefined): r is ImplResult {
  return r !== undefined && r.status === "ok"
}

/**
 * zlink / zeromq of the cell's headline figure: messages/s for throughput, p50 for latency,
 * connections/s for churn.
 */
export function ratio(cell: CellResult): number | undefined {
  const zl = implResult(cell, "zlink")
  const zq = implResult(cell, "zeromq")
  if (!ok(zl) || !ok(zq)) return undefined
  switch (cell.cell.mode) {
    case "throughput":
      return zl.msgsPerSec! / zq.msgsPerSec!
    case "latency":
      return zl.p50Us! / zq.p50Us!
    case "churn":
      return zl.connPerSec! / zq.connPerSec!
  }
}

/** zlink / zeromq of CPU time per message (throughput), per round trip (latency) or per connection at the server (churn). */
export function cpuRatio(cell: CellResult): number | undefined {
  const zl = implResult(cell, "zlink")
  const zq = implResult(cell, "zeromq")
  if (!ok(zl) || !ok(zq)) return undefined
  switch (cell.cell.mode) {
    case "throughput":
      return zl.cpuUsPerMsg! / zq.cpuUsPerMsg!
    case "latency":
      return zl.cpuUsPerTrip! / zq.cpuUsPerTrip!
    case "churn":
      return zl.serverCpuUsPerConn! / zq.serverCpuUsPerConn!
  }
}

/** `handshake x32`: what each connection of a churn cell does, and how many are in flight. */
export function churnLabel(cell: CellResult["cell"]): string {
  return `${cell.variant ?? "?"} x${cell.concurrency ?? "?"}`
}

export function cellLabel(cell: CellResult["cell"]): string {
  if (cell.mode === "churn") return `${cell.pattern} ${cell.transport} ${churnLabel(cell)}`
  const layout = cell.mode === "latency" && cell.layout !== "1proc" ? ` ${cell.layout}` : ""
  return `${cell.pattern} ${cell.transport} ${formatSize(cell.size)} ${cell.mode}${layout}`
}

/** One object per cell and implementation. */
export function jsonRecords(meta: RunMeta, cell: CellResult): object[] {
  return cell.results.map((r) => ({
    kind: "cell",
    run: meta.id,
    ...cell.cell,
    ...r,
    ratio: ratio(cell),
    cpuRatio: cpuRatio(cell),
    cellSeconds: cell.seconds,
  }))
}

/** The one-line summary of a finished cell (progress output). */
export function summaryLine(cell: CellResult): string {
  const parts = cell.results.map((r) => {
    if (r.status === "FAILED") return `${r.impl} FAILED (${r.reason})`
    if (cell.cell.mode === "churn") return `${r.impl} ${formatRate(r.connPerSec)} conn/s`
    return cell.cell.mode === "throughput"
      ? `${r.impl} ${formatRate(r.msgsPerSec)} msg/s`
      : `${r.impl} p50 ${formatNumber(r.p50Us)} us`
  })
  const x = ratio(cell)
  return parts.join(", ") + (x === undefined ? "" : `, ${formatRatio(x)}`)
}

/** Peak RSS of the cell's processes: sender/receiver, or the one process of an inproc cell. */
function rss(r: ImplResult | undefined): string {
  if (!ok(r)) return "-"
  const { sender, receiver, process } = r.rssMB
  if (process !== undefined) return process.toFixed(0)
  return [sender, receiver].map((mb) => (mb === undefined ? "?" : mb.toFixed(0))).join("/")
}

function failedOr(r: ImplResult | undefined, value: string): string {
  if (r === undefined) return "-"
  return r.status === "FAILED" ? "FAILED" : value
}

export interface Table {
  title: string
  headers: string[]
  /** True for a right-aligned (numeric) column. */
  right: boolean[]
  rows: string[][]
  notes: string[]
}

export function throughputTable(cells: CellResult[]): Table {
  const rows = cells
    .filter((c) => c.cell.mode === "throughput")
    .map((c) => {
      const zl = implResult(c, "zlink")
      const zq = implResult(c, "zeromq")
      return [
        c.cell.pattern,
        c.cell.transport,
        formatSize(c.cell.size),
        failedOr(zl, formatRate(zl?.msgsPerSec)),
        failedOr(zq, formatRate(zq?.msgsPerSec)),
        formatRatio(ratio(c)),
        failedOr(zl, formatNumber(zl?.mbPerSec)),
        failedOr(zq, formatNumber(zq?.mbPerSec)),
        failedOr(zl, formatNumber(zl?.cpuUsPerMsg)),
        failedOr(zq, formatNumber(zq?.cpuUsPerMsg)),
        formatRatio(cpuRatio(c)),
        rss(zl),
        rss(zq),
      ]
    })
  return {
    title: "Throughput (sender and receiver in separate processes on cores 1 and 0; inproc: one process)",
    headers: [
      "pattern",
      "transport",
      "size",
      "zlink msg/s",
      "zeromq msg/s",
      "ratio",
      "zlink MB/s",
      "zeromq MB/s",
      "zlink cpu us/msg",
      "zeromq cpu us/msg",
      "cpu ratio",
      "zlink RSS MB s/r",
      "zeromq RSS MB s/r",
    ],
    right: [false, false, true, true, true, true, true, true, true, true, true, true, true],
    rows,
    notes: [],
  }
}

export function latencyTable(cells: CellResult[]): Table {
  const rows = cells
    .filter((c) => c.cell.mode === "latency")
    .map((c) => {
      const zl = implResult(c, "zlink")
      const zq = implResult(c, "zeromq")
      return [
        c.cell.pattern,
        c.cell.transport,
        formatSize(c.cell.size),
        c.cell.layout,
        failedOr(zl, formatNumber(zl?.avgUs)),
        failedOr(zl, formatNumber(zl?.p50Us)),
        failedOr(zl, formatNumber(zl?.p99Us)),
        failedOr(zq, formatNumber(zq?.avgUs)),
        failedOr(zq, formatNumber(zq?.p50Us)),
        failedOr(zq, formatNumber(zq?.p99Us)),
        formatRatio(ratio(c)),
        failedOr(zl, formatNumber(zl?.cpuUsPerTrip)),
        failedOr(zq, formatNumber(zq?.cpuUsPerTrip)),
      ]
    })
  return {
    title:
      "Latency, one way (round trip / 2), microseconds; 1core: both processes on core 0, 2core: on cores 0 and 1",
    headers: [
      "pattern",
      "transport",
      "size",
      "layout",
      "zlink avg",
      "zlink p50",
      "zlink p99",
      "zeromq avg",
      "zeromq p50",
      "zeromq p99",
      "p50 ratio",
      "zlink cpu us/rt",
      "zeromq cpu us/rt",
    ],
    right: [false, false, true, false, true, true, true, true, true, true, true, true, true],
    rows,
    notes: [],
  }
}

export function churnTable(cells: CellResult[]): Table {
  const rows = cells
    .filter((c) => c.cell.mode === "churn")
    .map((c) => {
      const zl = implResult(c, "zlink")
      const zq = implResult(c, "zeromq")
      const mb = (r: ImplResult | undefined) =>
        ok(r) && r.rssMB.server !== undefined ? r.rssMB.server.toFixed(0) : "-"
      return [
        c.cell.transport,
        c.cell.variant ?? "?",
        `${c.cell.concurrency ?? "?"}`,
        failedOr(zl, formatRate(zl?.connPerSec)),
        failedOr(zq, formatRate(zq?.connPerSec)),
        formatRatio(ratio(c)),
        failedOr(zl, formatNumber(zl?.serverCpuUsPerConn)),
        failedOr(zq, formatNumber(zq?.serverCpuUsPerConn)),
        formatRatio(cpuRatio(c)),
        `${ok(zl) ? formatNumber(zl.clientCpuUsPerConn) : "-"}/${ok(zq) ? formatNumber(zq.clientCpuUsPerConn) : "-"}`,
        mb(zl),
        mb(zq),
      ]
    })
  return {
    title:
      "Connection churn against a ROUTER (server on core 0, the same node:net client on core 1); handshake: greeting and READY both ways, then close; connect: connect, then close",
    headers: [
      "transport",
      "variant",
      "in flight",
      "zlink conn/s",
      "zeromq conn/s",
      "ratio",
      "zlink server cpu us/conn",
      "zeromq server cpu us/conn",
      "cpu ratio",
      "client cpu us/conn zl/zq",
      "zlink server RSS MB",
      "zeromq server RSS MB",
    ],
    right: [false, false, true, true, true, true, true, true, true, true, true, true],
    rows,
    notes: [],
  }
}

/** Every table of a run, in the order the reports show them. */
export function allTables(cells: CellResult[], soaks: SoakResult[]): Table[] {
  return [throughputTable(cells), latencyTable(cells), churnTable(cells), soakTable(soaks)]
}

export function soakTable(soaks: SoakResult[]): Table {
  const rows: string[][] = []
  for (const s of soaks) {
    if (s.status === "FAILED") {
      rows.push([s.impl, `${s.seconds}`, "-", "FAILED", "-", "-", "-", "-", "-", "-", "-"])
      continue
    }
    for (const [role, p] of Object.entries(s.processes)) {
      rows.push([
        s.impl,
        `${s.seconds}`,
        `${s.warmupSeconds}${s.warmupCapped ? " (limit)" : ""}`,
        formatRate(s.msgsPerSec),
        role,
        formatNumber(p.baselineMB),
        formatNumber(p.finalMB),
        formatNumber(p.peakMB),
        `${p.growthPct.toFixed(1)}%`,
        `${formatNumber(p.heapBaselineMB)} -> ${formatNumber(p.heapFinalMB)}`,
        p.growthPct < 10 ? "flat" : "GROWS",
      ])
    }
  }
  return {
    title:
      "Memory soak: PUSH_PULL over tcp at full speed, RSS sampled every second; the warm-up ends once V8 stops resizing its heap",
    headers: [
      "impl",
      "seconds",
      "warm-up s",
      "msg/s",
      "process",
      "RSS after warm-up MB",
      "final MB",
      "peak MB",
      "growth",
      "JS heap used MB",
      "",
    ],
    right: [false, true, true, true, false, true, true, true, true, true, false],
    rows,
    notes: [],
  }
}

export function renderText(table: Table): string {
  if (table.rows.length === 0) return ""
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (table.right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ")
  const out = [table.title, line(table.headers), widths.map((w) => "-".repeat(w)).join("  ")]
  for (const row of table.rows) out.push(line(row))
  for (const note of table.notes) out.push(note)
  return `${out.join("\n")}\n`
}

export function renderMarkdown(table: Table): string {
  if (table.rows.length === 0) return ""
  const esc = (s: string) => s.replace(/\|/g, "\\|")
  const out = [`**${table.title}**`, "", `| ${table.headers.map(esc).join(" | ")} |`]
  out.push(`| ${table.right.map((r) => (r ? "---:" : ":---")).join(" | ")} |`)
  for (const row of table.rows) out.push(`| ${row.map(esc).join(" | ")} |`)
  return `${out.join("\n")}\n`
}

export interface Failure {
  label: string
  impl: string
  reason: string
}

export function failures(cells: CellResult[], soaks: SoakResult[]): Failure[] {
  const out: Failure[] = []
  for (const c of cells) {
    for (const r of c.results) {
      if (r.status === "FAILED") out.push({ label: cellLabel(c.cell), impl: r.impl, reason: r.reason ?? "?" })
    }
  }
  for (const s of soaks) {
    if (s.status === "FAILED")
      out.push({ label: `soak ${s.seconds} s`, impl: s.impl, reason: s.reason ?? "?" })
  }
  return out
}

export interface TargetCheck {
  target: string
  status: "met" | "missed" | "not measured"
  detail: string
}

/** The worst cell among `list` by `score` (higher is worse) with how many pass. */
function worst(
  list: CellResult[],
  value: (c: CellResult) => number | undefined,
  pass: (v: number) => boolean,
  higherIsWorse: boolean,
  format: (v: number) => string,
): Omit<TargetCheck, "target"> {
  const measured = list
    .map((c) => ({ c, v: value(c) }))
    .filter((x): x is { c: CellResult; v: number } => x.v !== undefined)
  if (measured.length === 0) return { status: "not measured", detail: "no cell of this kind in the run" }
  measured.sort((a, b) => (higherIsWorse ? b.v - a.v : a.v - b.v))
  const passing = measured.filter((x) => pass(x.v)).length
  const w = measured[0]!
  return {
    status: passing === measured.length ? "met" : "missed",
    detail: `${passing}/${measured.length} cells meet it; worst: ${cellLabel(w.c.cell)} at ${format(w.v)}`,
  }
}

const small = (c: CellResult) => c.cell.size <= 1024
const large = (c: CellResult) => c.cell.size >= 65536
const wire = (c: CellResult) => c.cell.transport === "tcp" || c.cell.transport === "ipc"
const tput = (c: CellResult) => c.cell.mode === "throughput"
const lat = (c: CellResult) => c.cell.mode === "latency"

/** The targets, each with the cell that decides it. */
export function targets(cells: CellResult[], soaks: SoakResult[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  checks.push({
    target: "1. small messages (64 B - 1 KiB), tcp and ipc, every pattern: >= 4x zeromq's messages/s",
    ...worst(
      cells.filter((c) => tput(c) && wire(c) && small(c)),
      ratio,
      (v) => v >= 4,
      false,
      formatRatio,
    ),
  })
  checks.push({
    target: "2. large messages (64 - 256 KiB), tcp and ipc: >= 1.0x zeromq's MB/s",
    ...worst(
      cells.filter((c) => tput(c) && wire(c) && large(c)),
      ratio,
      (v) => v >= 1,
      false,
      formatRatio,
    ),
  })
  checks.push({
    target: "3. inproc, 64 B: >= 5 M messages/s (zlink)",
    ...worst(
      cells.filter((c) => tput(c) && c.cell.transport === "inproc" && c.cell.size === 64),
      (c) => {
        const zl = implResult(c, "zlink")
        return ok(zl) ? zl.msgsPerSec : undefined
      },
      (v) => v >= 5e6,
      false,
      (v) => `${formatRate(v)} msg/s`,
    ),
  })
  checks.push({
    target: "4a. latency p50, tcp and ipc, 64 B - 1 KiB, both processes on one core: <= 0.5x zeromq's",
    ...worst(
      cells.filter((c) => lat(c) && wire(c) && small(c) && c.cell.layout === "1core"),
      ratio,
      (v) => v <= 0.5,
      true,
      formatRatio,
    ),
  })
  checks.push({
    target: "4b. latency p50, tcp and ipc, 64 B - 1 KiB, separate cores: <= 1.0x zeromq's",
    ...worst(
      cells.filter((c) => lat(c) && wire(c) && small(c) && c.cell.layout === "2core"),
      ratio,
      (v) => v <= 1,
      true,
      formatRatio,
    ),
  })
  checks.push({
    target: "5. CPU time per message at 64 B, both processes: <= zeromq's",
    ...worst(
      cells.filter((c) => tput(c) && wire(c) && c.cell.size === 64),
      cpuRatio,
      (v) => v <= 1,
      true,
      formatRatio,
    ),
  })
  checks.push({
    target:
      "7. connection churn against a ROUTER over tcp, handshake and connect-close: >= 1.0x zeromq's connections/s",
    ...worst(
      cells.filter((c) => c.cell.mode === "churn"),
      ratio,
      (v) => v >= 1,
      false,
      formatRatio,
    ),
  })
  // A soak-only run says nothing about the matrix targets.
  if (cells.length === 0) checks.length = 0
  const soak = soaks.find((s) => s.impl === "zlink")
  if (soak === undefined) {
    checks.push({
      target: "6. memory: PUSH_PULL at full speed, RSS growth after warm-up < 10% (zlink)",
      status: "not measured",
      detail: "run with --soak 60",
    })
  } else if (soak.status === "FAILED") {
    checks.push({
      target: "6. memory: PUSH_PULL at full speed, RSS growth after warm-up < 10% (zlink)",
      status: "missed",
      detail: `the soak FAILED: ${soak.reason}`,
    })
  } else {
    const growth = Object.entries(soak.processes).map(([role, p]) => `${role} ${p.growthPct.toFixed(1)}%`)
    const max = Math.max(...Object.values(soak.processes).map((p) => p.growthPct))
    checks.push({
      target: "6. memory: PUSH_PULL at full speed, RSS growth after warm-up < 10% (zlink)",
      status: max < 10 ? "met" : "missed",
      detail: `${soak.seconds} s measured after a warm-up of ${soak.warmupSeconds} s${soak.warmupCapped ? " (its limit: V8 was still resizing its heap)" : ""}: ${growth.join(", ")}`,
    })
  }
  return checks
}

export function targetsText(checks: TargetCheck[]): string {
  const out = ["Targets (issue 4)"]
  for (const c of checks)
    out.push(`  ${c.status.toUpperCase().padEnd(12)} ${c.target}\n${" ".repeat(15)}${c.detail}`)
  return `${out.join("\n")}\n`
}

export function metaLines(meta: RunMeta): string[] {
  const h = meta.host
  return [
    `Run ${meta.id}: \`${meta.command}\``,
    `Machine: ${h.cpu}, ${h.cores} cores, ${h.memoryGB.toFixed(1)} GB, Linux ${h.kernel}, Node ${h.node}, load average at start ${h.loadAverage.map((l) => l.toFixed(2)).join(" ")}`,
    `Versions: zlink ${meta.versions.zlink ?? "?"}${meta.versions.zlinkBuiltAt ? ` (build of ${meta.versions.zlinkBuiltAt})` : ""}, zeromq ${meta.versions.zeromqPackage ?? "?"} (libzmq ${meta.versions.libzmq ?? "?"})`,
    `Method: ${meta.options.reps} repetitions per implementation, alternating, median kept; ${
      meta.options.count === undefined
        ? `${(meta.options.durationMs / 1000).toFixed(2)} s per repetition`
        : `${meta.options.count} messages or round trips per repetition`
    }; ${meta.pinned ? "processes pinned with taskset" : "no taskset: processes not pinned"}; budget ${meta.options.timeoutMs / 1000} s per implementation and cell`,
  ]
}

export function markdownReport(meta: RunMeta, cells: CellResult[], soaks: SoakResult[]): string {
  const out: string[] = ["# zlink vs zeromq (libzmq): latest benchmark run", ""]
  for (const line of metaLines(meta)) out.push(`${line}  `)
  out.push("")
  out.push(
    "Ratios are zlink / zeromq: above 1 is faster for throughput, below 1 is faster for latency and CPU.",
  )
  out.push("")
  for (const table of allTables(cells, soaks)) {
    const md = renderMarkdown(table)
    if (md) out.push(md)
  }
  const fails = failures(cells, soaks)
  if (fails.length > 0) {
    out.push("**FAILED**", "")
    for (const f of fails) out.push(`- ${f.label}, ${f.impl}: ${f.reason.replace(/\n/g, " ")}`)
    out.push("")
  }
  if (cells.length > 0 || soaks.length > 0) {
    out.push("**Targets (issue 4)**", "")
    for (const c of targets(cells, soaks)) out.push(`- ${c.status}: ${c.target}. ${c.detail}`)
    out.push("")
  }
  return out.join("\n")
}
