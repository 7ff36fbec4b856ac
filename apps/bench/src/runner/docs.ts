/**
 * `--docs DIR`: a run as the repository's benchmark page. Writes `DIR/benchmarks.md` and, in
 * `DIR/benchmarks/`, every chart as a standalone SVG and the run's JSON lines (so the page can be
 * rebuilt with `--from`). Everything in `benchmarks.md` above the marker line is kept as written by
 * hand (the reading of the results); everything below it is replaced.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { CellResult } from "./cell.js"
import { chartFiles } from "./html.js"
import { allTables, failures, metaLines, type RunMeta, renderMarkdown, targets } from "./report.js"
import type { SoakResult } from "./soak.js"

export const DOCS_MARKER =
  "<!-- Generated below by `pnpm bench --from <run>.jsonl --docs <dir>`; edit above this line. -->"

const PREAMBLE = `# Benchmarks

zlink against libzmq through the \`zeromq\` package, side by side in one run (\`apps/bench\`; method
and columns in \`apps/bench/README.md\`).
`

/** Writes the page and its files; returns the path of the page. */
export function writeDocs(
  dir: string,
  meta: RunMeta,
  cells: CellResult[],
  soaks: SoakResult[],
  jsonl: string | undefined,
): string {
  const page = join(dir, "benchmarks.md")
  const assets = join(dir, "benchmarks")
  rmSync(assets, { recursive: true, force: true })
  mkdirSync(assets, { recursive: true })
  const charts = chartFiles(cells, soaks)
  for (const chart of charts) writeFileSync(join(assets, chart.name), `${chart.svg}\n`)
  if (jsonl !== undefined) copyFileSync(jsonl, join(assets, "run.jsonl"))

  const existing = existsSync(page) ? readFileSync(page, "utf8") : ""
  const at = existing.indexOf(DOCS_MARKER)
  const head = at >= 0 ? existing.slice(0, at).trimEnd() : PREAMBLE.trimEnd()

  const out: string[] = [head, "", DOCS_MARKER, "", "## The run", ""]
  for (const line of metaLines(meta)) out.push(`${line}  `)
  out.push("")
  if (jsonl !== undefined) {
    out.push(
      "Its JSON lines: [benchmarks/run.jsonl](benchmarks/run.jsonl). Ratios are zlink / zeromq: above 1 is faster for throughput, below 1 is faster for latency and CPU.",
      "",
    )
  }
  out.push("## Targets", "")
  for (const t of targets(cells, soaks)) out.push(`- **${t.status}**: ${t.target}. ${t.detail}`)
  out.push("")
  const fails = failures(cells, soaks)
  out.push("## Cells that failed", "")
  if (fails.length === 0) out.push("None: every cell completed for both implementations.", "")
  else {
    for (const f of fails) out.push(`- ${f.label}, ${f.impl}: ${f.reason.replace(/\n/g, " ")}`)
    out.push("")
  }
  out.push("## Charts", "")
  let current = ""
  for (const chart of charts) {
    const group = chart.pair === undefined ? "Memory" : `${chart.pair[0]} over ${chart.pair[1]}`
    if (group !== current) {
      out.push(`### ${group}`, "")
      current = group
    }
    out.push(`![${chart.title}](benchmarks/${chart.name})`, "")
  }
  out.push("## Tables", "")
  for (const table of allTables(cells, soaks)) {
    const md = renderMarkdown(table)
    if (md) out.push(md)
  }
  writeFileSync(page, `${out.join("\n").trimEnd()}\n`)
  return page
}
