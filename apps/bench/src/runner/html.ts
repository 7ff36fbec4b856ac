/**
 * The HTML report: one self-contained file, charts drawn here as inline SVG (no script, no CDN, no
 * network). Per pattern and transport, a throughput chart (messages/s per size, log scale, the ratio
 * above each group) and a latency chart (one-way p50 per size and layout, whisker to p99).
 */
import type { Impl } from "../child/protocol.js"
import type { CellResult } from "./cell.js"
import {
  allTables,
  churnLabel,
  failures,
  implResult,
  metaLines,
  type RunMeta,
  ratio,
  type Table,
  targets,
} from "./report.js"
import type { SoakResult } from "./soak.js"
import { formatNumber, formatRate, formatRatio, formatSize } from "./stats.js"

const COLORS = {
  zlink: "#2563eb",
  zeromq: "#9ca3af",
  zlink2: "#93c5fd",
  zeromq2: "#e5e7eb",
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
}

interface Series {
  name: string
  color: string
  values: Array<number | undefined>
  whiskers?: Array<number | undefined>
  tips: string[]
  failed: boolean[]
}

function tickLabel(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`
  if (v >= 1e3) return `${v / 1e3}k`
  return `${v}`
}

/** A grouped bar chart with a log-scale y axis. */
function barChart(
  title: string,
  unit: string,
  categories: string[],
  series: Series[],
  notes: string[],
): string {
  const W = 540
  const H = 280
  const m = { l: 52, r: 10, t: 62, b: 50 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const all = series
    .flatMap((s) => [...s.values, ...(s.whiskers ?? [])])
    .filter((v): v is number => v !== undefined && v > 0)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
    `<text x="${m.l}" y="16" class="ct">${esc(title)}</text>`,
    `<text x="${m.l}" y="29" class="cu">${esc(unit)}</text>`,
  ]
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="cu">no data</text></svg>`)
    return parts.join("")
  }
  let lo = 10 ** Math.floor(Math.log10(Math.min(...all)))
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...all)))
  if (hi <= lo) hi = lo * 10
  if (hi / lo < 100) lo = hi / 100
  const y = (v: number) =>
    m.t + ph - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k
      if (v > hi * 1.0001) break
      const yy = y(v).toFixed(1)
      parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" class="${k === 1 ? "g1" : "g2"}"/>`)
      if (k === 1)
        parts.push(
          `<text x="${m.l - 4}" y="${yy}" dy="3" text-anchor="end" class="ax">${tickLabel(v)}</text>`,
        )
    }
  }
  const groupW = pw / categories.length
  const bw = (groupW * 0.8) / series.length
  const base = m.t + ph
  categories.forEach((cat, i) => {
    const gx = m.l + i * groupW
    parts.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${base + 15}" text-anchor="middle" class="ax">${esc(cat)}</text>`,
    )
    // One line per layout, the last just above the plot.
    const lines = (notes[i] ?? "").split("\n").filter((l) => l)
    lines.forEach((line, k) => {
      const ly = m.t - 8 - (lines.length - 1 - k) * 12
      parts.push(
        `<text x="${(gx + groupW / 2).toFixed(1)}" y="${ly}" text-anchor="middle" class="note">${esc(line)}</text>`,
      )
    })
    series.forEach((s, j) => {
      const x = gx + groupW * 0.1 + j * bw
      const v = s.values[i]
      const tip = esc(s.tips[i] ?? "")
      if (s.failed[i]) {
        parts.push(
          `<text x="${(x + bw / 2).toFixed(1)}" y="${base - 4}" text-anchor="middle" class="fail"><title>${tip}</title>✕</text>`,
        )
        return
      }
      if (v === undefined || v <= 0) return
      const top = Math.min(base - 1, y(v))
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(base - top).toFixed(1)}" fill="${s.color}"><title>${tip}</title></rect>`,
      )
      const w = s.whiskers?.[i]
      if (w !== undefined && w > 0) {
        const cx = (x + (bw - 1) / 2).toFixed(1)
        const wy = y(w).toFixed(1)
        parts.push(`<line x1="${cx}" x2="${cx}" y1="${top.toFixed(1)}" y2="${wy}" class="wh"/>`)
        parts.push(
          `<line x1="${(x + bw * 0.2).toFixed(1)}" x2="${(x + bw * 0.8 - 1).toFixed(1)}" y1="${wy}" y2="${wy}" class="wh"/>`,
        )
      }
    })
  })
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${base}" y2="${base}" class="axis"/>`)
  let lx = m.l
  for (const s of series) {
    parts.push(
      `<rect x="${lx}" y="${H - 22}" width="10" height="10" fill="${s.color}" stroke="#6b7280" stroke-width="0.5"/>`,
    )
    parts.push(`<text x="${lx + 14}" y="${H - 13}" class="ax">${esc(s.name)}</text>`)
    lx += 24 + s.name.length * 6.2
  }
  parts.push("</svg>")
  return parts.join("")
}

function throughputChart(pattern: string, transport: string, cells: CellResult[]): string {
  const list = cells
    .filter(
      (c) => c.cell.mode === "throughput" && c.cell.pattern === pattern && c.cell.transport === transport,
    )
    .sort((a, b) => a.cell.size - b.cell.size)
  const categories = list.map((c) => formatSize(c.cell.size))
  const series: Series[] = (["zlink", "zeromq"] as Impl[]).map((impl) => ({
    name: impl,
    color: COLORS[impl],
    values: list.map((c) => implResult(c, impl)?.msgsPerSec),
    failed: list.map((c) => implResult(c, impl)?.status === "FAILED"),
    tips: list.map((c) => {
      const r = implResult(c, impl)
      if (r === undefined) return ""
      if (r.status === "FAILED") return `${impl} FAILED: ${r.reason}`
      return `${impl} ${formatSize(c.cell.size)}: ${formatRate(r.msgsPerSec)} msg/s, ${formatNumber(r.mbPerSec)} MB/s, ${formatNumber(r.cpuUsPerMsg)} us CPU/msg`
    }),
  }))
  const notes = list.map((c) => formatRatio(ratio(c)).replace("-", ""))
  return barChart(
    `${pattern} ${transport}: throughput`,
    "messages/s, log scale; ratio zlink / zeromq above each size",
    categories,
    series,
    notes,
  )
}

function latencyChart(pattern: string, transport: string, cells: CellResult[]): string {
  const list = cells.filter(
    (c) => c.cell.mode === "latency" && c.cell.pattern === pattern && c.cell.transport === transport,
  )
  const sizes = [...new Set(list.map((c) => c.cell.size))].sort((a, b) => a - b)
  const layouts = [...new Set(list.map((c) => c.cell.layout))].sort()
  const series: Series[] = []
  for (const layout of layouts) {
    for (const impl of ["zlink", "zeromq"] as Impl[]) {
      const at = sizes.map((size) => list.find((c) => c.cell.size === size && c.cell.layout === layout))
      const second = layout === "2core"
      series.push({
        name: layout === "1proc" ? impl : `${impl} ${layout}`,
        color: COLORS[second ? (`${impl}2` as const) : impl],
        values: at.map((c) => (c ? implResult(c, impl)?.p50Us : undefined)),
        whiskers: at.map((c) => (c ? implResult(c, impl)?.p99Us : undefined)),
        failed: at.map((c) => (c ? implResult(c, impl)?.status === "FAILED" : false)),
        tips: at.map((c) => {
          const r = c ? implResult(c, impl) : undefined
          if (c === undefined || r === undefined) return ""
          if (r.status === "FAILED") return `${impl} ${layout} FAILED: ${r.reason}`
          return `${impl} ${layout} ${formatSize(c.cell.size)}: avg ${formatNumber(r.avgUs)} us, p50 ${formatNumber(r.p50Us)} us, p99 ${formatNumber(r.p99Us)} us`
        }),
      })
    }
  }
  const notes = sizes.map((size) =>
    layouts
      .map((layout) => {
        const c = list.find((x) => x.cell.size === size && x.cell.layout === layout)
        return c ? formatRatio(ratio(c)).replace("-", "") : ""
      })
      .filter((s) => s)
      .join("\n"),
  )
  return barChart(
    `${pattern} ${transport}: latency p50 (whisker: p99)`,
    `one-way microseconds, log scale; ratio zlink / zeromq p50 above${layouts.length > 1 ? ` (${layouts.join(", ")})` : ""}`,
    sizes.map(formatSize),
    series,
    notes,
  )
}

/** Connections per second of the churn cells of one transport, per variant and concurrency. */
function churnChart(pattern: string, transport: string, cells: CellResult[]): string {
  const list = cells.filter(
    (c) => c.cell.mode === "churn" && c.cell.pattern === pattern && c.cell.transport === transport,
  )
  const series: Series[] = (["zlink", "zeromq"] as Impl[]).map((impl) => ({
    name: impl,
    color: COLORS[impl],
    values: list.map((c) => implResult(c, impl)?.connPerSec),
    failed: list.map((c) => implResult(c, impl)?.status === "FAILED"),
    tips: list.map((c) => {
      const r = implResult(c, impl)
      if (r === undefined) return ""
      if (r.status === "FAILED") return `${impl} FAILED: ${r.reason}`
      return `${impl} ${churnLabel(c.cell)}: ${formatRate(r.connPerSec)} connections/s, server ${formatNumber(r.serverCpuUsPerConn)} us CPU/connection`
    }),
  }))
  return barChart(
    `${pattern} ${transport}: connections opened and closed against a ROUTER`,
    "connections/s, log scale; variant x connections in flight; ratio zlink / zeromq above",
    list.map((c) => churnLabel(c.cell)),
    series,
    list.map((c) => formatRatio(ratio(c)).replace("-", "")),
  )
}

/** RSS over time of the soak run, one line per implementation and process. */
function soakChart(soaks: SoakResult[]): string {
  const lines = soaks.flatMap((s) =>
    Object.entries(s.processes).map(([role, p]) => ({
      name: `${s.impl} ${role}`,
      samples: p.samples,
      warmup: s.warmupSeconds,
    })),
  )
  if (lines.length === 0) return ""
  const W = 640
  const H = 280
  const m = { l: 52, r: 10, t: 30, b: 46 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const points = lines.flatMap((l) => l.samples)
  const tMax = Math.max(1, ...points.map((p) => p.t))
  const mbMax = Math.max(1, ...points.map((p) => p.rss / (1 << 20))) * 1.1
  const x = (t: number) => m.l + (t / tMax) * pw
  const y = (mb: number) => m.t + ph - (mb / mbMax) * ph
  const palette = ["#2563eb", "#93c5fd", "#6b7280", "#d1d5db"]
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="RSS over time">`,
    `<text x="${m.l}" y="16" class="ct">Memory soak: RSS over time (MB); dashed line: end of warm-up</text>`,
  ]
  const step = 10 ** Math.floor(Math.log10(mbMax / 2))
  for (let v = 0; v <= mbMax; v += step * (mbMax / step > 8 ? 2 : 1)) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="g2"/>`,
    )
    parts.push(`<text x="${m.l - 4}" y="${y(v).toFixed(1)}" dy="3" text-anchor="end" class="ax">${v}</text>`)
  }
  const warm = x(lines[0]!.warmup).toFixed(1)
  parts.push(
    `<line x1="${warm}" x2="${warm}" y1="${m.t}" y2="${m.t + ph}" class="wh" stroke-dasharray="4 3"/>`,
  )
  parts.push(
    `<text x="${W - m.r}" y="${m.t + ph + 16}" text-anchor="end" class="ax">${tMax.toFixed(0)} s</text>`,
  )
  parts.push(`<text x="${m.l}" y="${m.t + ph + 16}" class="ax">0 s</text>`)
  lines.forEach((l, i) => {
    const color = palette[i % palette.length]!
    const d = l.samples.map(
      (p, k) => `${k === 0 ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.rss / (1 << 20)).toFixed(1)}`,
    )
    parts.push(`<path d="${d.join("")}" fill="none" stroke="${color}" stroke-width="1.5"/>`)
    parts.push(`<rect x="${m.l + i * 150}" y="${H - 16}" width="10" height="10" fill="${color}"/>`)
    parts.push(`<text x="${m.l + i * 150 + 14}" y="${H - 7}" class="ax">${esc(l.name)}</text>`)
  })
  parts.push("</svg>")
  return parts.join("")
}

function htmlTable(table: Table): string {
  if (table.rows.length === 0) return ""
  const head = table.headers.map((h, i) => `<th class="${table.right[i] ? "r" : ""}">${esc(h)}</th>`).join("")
  const body = table.rows
    .map(
      (row) =>
        `<tr>${row
          .map((c, i) => {
            const cls = [table.right[i] ? "r" : "", c === "FAILED" || c === "GROWS" ? "bad" : ""]
              .join(" ")
              .trim()
            return `<td${cls ? ` class="${cls}"` : ""}>${esc(c)}</td>`
          })
          .join("")}</tr>`,
    )
    .join("\n")
  return `<h3>${esc(table.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}

/** The classes the charts use, in the page and inside each standalone SVG file. */
const CHART_CSS = `
.ct{font:600 13px system-ui,sans-serif;fill:#111827} .cu{font:11px system-ui,sans-serif;fill:#6b7280}
.ax{font:10.5px system-ui,sans-serif;fill:#374151} .note{font:600 10.5px system-ui,sans-serif;fill:#1e40af}
.g1{stroke:#d1d5db;stroke-width:1} .g2{stroke:#f3f4f6;stroke-width:1} .axis{stroke:#6b7280} .wh{stroke:#111827;stroke-width:1}
.fail{font:700 14px system-ui,sans-serif;fill:#dc2626}
`

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111827;max-width:1200px}
h1{font-size:22px;margin:0 0 8px} h2{font-size:18px;margin:28px 0 8px} h3{font-size:14px;margin:18px 0 6px}
.meta{color:#374151;margin:2px 0} code{background:#f3f4f6;padding:1px 4px;border-radius:3px}
.charts{display:flex;flex-wrap:wrap;gap:8px 16px} .pair{border-top:1px solid #e5e7eb;padding-top:6px;margin-top:10px}
svg{background:#fff}${CHART_CSS}table{border-collapse:collapse;font-size:12.5px;margin-bottom:8px} th,td{padding:3px 8px;border-bottom:1px solid #e5e7eb;white-space:nowrap}
th{background:#f9fafb;text-align:left} .r{text-align:right} .bad{color:#dc2626;font-weight:600}
.met{color:#15803d;font-weight:600} .missed{color:#dc2626;font-weight:600} .nm{color:#6b7280;font-weight:600}
li{margin:3px 0}
`

/** The pattern/transport pairs of a run, in the order they ran. */
function pairsOf(cells: CellResult[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (const c of cells) {
    if (!pairs.some(([p, t]) => p === c.cell.pattern && t === c.cell.transport))
      pairs.push([c.cell.pattern, c.cell.transport])
  }
  return pairs
}

/** Whether the run has cells of this pattern, transport and mode. */
function hasCells(cells: CellResult[], pattern: string, transport: string, mode: string): boolean {
  return cells.some(
    (c) => c.cell.mode === mode && c.cell.pattern === pattern && c.cell.transport === transport,
  )
}

/** One chart as a file of its own. */
export interface ChartFile {
  /** File name, e.g. `pair-tcp-throughput.svg`. */
  name: string
  title: string
  /** Pattern and transport, or undefined for the soak chart. */
  pair: [string, string] | undefined
  svg: string
}

/** Makes an inline chart standalone: a white background and its own style sheet. */
function standalone(svg: string): string {
  const end = svg.indexOf(">") + 1
  return `${svg.slice(0, end)}<style>${CHART_CSS}</style><rect width="100%" height="100%" fill="#fff"/>${svg.slice(end)}`
}

/** Every chart of the HTML report as standalone SVG, for the docs (`--docs`). */
export function chartFiles(cells: CellResult[], soaks: SoakResult[]): ChartFile[] {
  const files: ChartFile[] = []
  for (const pair of pairsOf(cells)) {
    const [pattern, transport] = pair
    const base = `${pattern}-${transport}`.toLowerCase()
    if (hasCells(cells, pattern, transport, "throughput")) {
      files.push({
        name: `${base}-throughput.svg`,
        title: `${pattern} ${transport}: throughput`,
        pair,
        svg: standalone(throughputChart(pattern, transport, cells)),
      })
    }
    if (hasCells(cells, pattern, transport, "latency")) {
      files.push({
        name: `${base}-latency.svg`,
        title: `${pattern} ${transport}: latency`,
        pair,
        svg: standalone(latencyChart(pattern, transport, cells)),
      })
    }
    if (hasCells(cells, pattern, transport, "churn")) {
      files.push({
        name: `${base}-churn.svg`,
        title: `${pattern} ${transport}: connections/s`,
        pair,
        svg: standalone(churnChart(pattern, transport, cells)),
      })
    }
  }
  const soak = soakChart(soaks)
  if (soak)
    files.push({
      name: "soak.svg",
      title: "Memory soak: RSS over time",
      pair: undefined,
      svg: standalone(soak),
    })
  return files
}

export function htmlReport(meta: RunMeta, cells: CellResult[], soaks: SoakResult[]): string {
  const out: string[] = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>zlink vs zeromq: ${esc(meta.id)}</title>`,
    `<style>${CSS}</style></head><body>`,
    "<h1>zlink vs zeromq (libzmq)</h1>",
  ]
  for (const line of metaLines(meta)) {
    out.push(`<p class="meta">${esc(line).replace(/`([^`]*)`/g, "<code>$1</code>")}</p>`)
  }
  out.push(
    '<p class="meta">Ratios are zlink / zeromq: above 1 is faster for throughput, below 1 is faster for latency and CPU. Hover a bar for its figures.</p>',
  )
  if (cells.length > 0 || soaks.length > 0) {
    out.push("<h2>Targets (issue 4)</h2><ul>")
    for (const t of targets(cells, soaks)) {
      const cls = t.status === "met" ? "met" : t.status === "missed" ? "missed" : "nm"
      out.push(`<li><span class="${cls}">${esc(t.status)}</span> ${esc(t.target)}. ${esc(t.detail)}</li>`)
    }
    out.push("</ul>")
  }
  const fails = failures(cells, soaks)
  if (fails.length > 0) {
    out.push('<h2 class="bad">FAILED</h2><ul>')
    for (const f of fails) out.push(`<li><b>${esc(f.label)}</b>, ${esc(f.impl)}: ${esc(f.reason)}</li>`)
    out.push("</ul>")
  }
  const pairs = pairsOf(cells)
  if (pairs.length > 0) out.push("<h2>Charts</h2>")
  for (const [pattern, transport] of pairs) {
    out.push(`<div class="pair"><div class="charts">`)
    if (hasCells(cells, pattern, transport, "throughput"))
      out.push(throughputChart(pattern, transport, cells))
    if (hasCells(cells, pattern, transport, "latency")) out.push(latencyChart(pattern, transport, cells))
    if (hasCells(cells, pattern, transport, "churn")) out.push(churnChart(pattern, transport, cells))
    out.push("</div></div>")
  }
  if (soaks.length > 0) out.push("<h2>Memory</h2>", soakChart(soaks))
  out.push("<h2>Tables</h2>")
  out.push(...allTables(cells, soaks).map(htmlTable))
  out.push(
    "<h2>Columns</h2><ul>",
    "<li><b>msg/s</b>: data messages received per second, from the first to the end marker, median of the repetitions. <b>MB/s</b>: msg/s times the size (10^6 bytes).</li>",
    "<li><b>cpu us/msg</b>: user + system CPU time of both processes (sender from its first send to the end of the transfer, receiver from its first message to the end marker), divided by the messages; inproc: the one process.</li>",
    "<li><b>RSS MB</b>: peak resident set size of each process of the cell (sender/receiver or echo/client), VmHWM from /proc/self/status.</li>",
    "<li><b>latency</b>: round trip / 2 of one message through an echo, in microseconds: average, median (p50), 99th percentile. <b>cpu us/rt</b>: CPU per round trip, both sides.</li>",
    "<li><b>churn</b>: connections per second a ROUTER server takes in and releases, against one client program (plain node:net sockets) keeping 1 or 32 connections in flight; a connection counts once the server has closed its side. <b>server cpu us/conn</b>: the server process's CPU over the repetition per connection.</li>",
    "</ul></body></html>",
  )
  return out.join("\n")
}
