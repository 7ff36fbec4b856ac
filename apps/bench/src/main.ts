/**
 * `pnpm bench`: zlink and zeromq (libzmq) side by side over the matrix of patterns, transports, sizes
 * and modes, every cell checked before it is timed, every cell bounded in time. See README.md.
 *
 *   pnpm bench                  quick matrix (about 3 minutes)
 *   pnpm bench --full           the whole matrix
 *   pnpm bench --soak 60        memory check
 *   pnpm bench --help
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, release, totalmem } from "node:os"
import { join, relative, resolve } from "node:path"
import { type Cell, type CellResult, type ImplResult, runCell } from "./runner/cell.js"
import { hasTaskset, killAll } from "./runner/child.js"
import { writeDocs } from "./runner/docs.js"
import { htmlReport } from "./runner/html.js"
import { cells, type Options, parseOptions, USAGE } from "./runner/options.js"
import { Progress } from "./runner/progress.js"
import {
  allTables,
  cellLabel,
  failures,
  jsonRecords,
  markdownReport,
  metaLines,
  type RunMeta,
  renderText,
  summaryLine,
  targets,
  targetsText,
} from "./runner/report.js"
import { makeSnapshot, packageDir } from "./runner/snapshot.js"
import { runSoak, type SoakResult } from "./runner/soak.js"
import { formatRate } from "./runner/stats.js"

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/:/g, "-")
}

function zeromqPackageVersion(): string | undefined {
  try {
    const json = JSON.parse(readFileSync(join(packageDir, "node_modules", "zeromq", "package.json"), "utf8"))
    return String(json.version)
  } catch {
    return undefined
  }
}

function makeMeta(options: Options, started: Date): RunMeta {
  const cpu = cpus()
  return {
    id: timestamp(started),
    started: started.toISOString(),
    command: options.command,
    host: {
      cpu: cpu[0]?.model.trim() ?? "unknown CPU",
      cores: cpu.length,
      memoryGB: totalmem() / 2 ** 30,
      kernel: release(),
      node: process.version,
      loadAverage: loadavg(),
    },
    versions: { ...(zeromqPackageVersion() ? { zeromqPackage: zeromqPackageVersion()! } : {}) },
    pinned: hasTaskset(),
    options: {
      reps: options.reps,
      durationMs: options.durationMs,
      ...(options.count === undefined ? {} : { count: options.count }),
      timeoutMs: options.timeoutMs,
    },
  }
}

/** Seconds a cell should take, for the time left before any cell has finished. */
function cellEstimate(options: Options): number {
  const perRep = (options.count === undefined ? options.durationMs / 1000 : 0.5) + 0.25
  return options.impls.length * (options.reps * perRep + 0.4) + 0.5
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).filter((a) => a !== "--")
  let parsed: Options | "help"
  try {
    parsed = parseOptions(argv)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (parsed === "help") {
    process.stdout.write(USAGE)
    return 0
  }
  const options = parsed
  const outDir = resolve(options.outDir ?? join(packageDir, "bench-results"))
  mkdirSync(outDir, { recursive: true })
  if (options.from !== undefined) {
    try {
      return rebuild(options.from, outDir, options.jsonOnly, options.docsDir) > 0 ? 1 : 0
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
      return 2
    }
  }
  const started = new Date()
  const meta = makeMeta(options, started)
  const jsonlPath = join(outDir, `${meta.id}.jsonl`)
  let snapshot: Awaited<ReturnType<typeof makeSnapshot>>
  try {
    snapshot = await makeSnapshot(120_000, (line) => options.jsonOnly || process.stderr.write(`${line}\n`))
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    return 2
  }
  const worker = snapshot.worker
  meta.versions.zlinkBuiltAt = snapshot.zlinkBuiltAt.toISOString()

  const matrix = options.matrix ? cells(options) : []
  const soakImpls = options.soakS > 0 ? options.soakImpls : []
  const progress = new Progress(matrix.length + soakImpls.length, cellEstimate(options), options.jsonOnly)
  if (!options.jsonOnly) {
    process.stderr.write(`${metaLines(meta).join("\n")}\n`)
    process.stderr.write(
      `${matrix.length} cells${soakImpls.length ? ` and a ${options.soakS} s soak` : ""}; results in ${relative(process.cwd(), outDir) || "."}\n`,
    )
  }

  let interrupted = false
  // When the terminal or a wrapper (npx, pnpm) goes away first, writes fail with EPIPE: keep going,
  // the files still get written.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {})
  process.once("SIGINT", () => {
    interrupted = true
    progress.print("interrupted: stopping the children, writing what is done")
    killAll()
  })
  process.once("exit", () => {
    killAll()
    snapshot.remove()
  })

  const emit = (record: object) => {
    const line = JSON.stringify(record)
    appendFileSync(jsonlPath, `${line}\n`)
    if (options.jsonOnly) process.stdout.write(`${line}\n`)
  }

  const results: CellResult[] = []
  // ZLB_TRACE=1 prints each step of each cell with its time, to see where a cell's time goes.
  const trace = process.env.ZLB_TRACE === "1"
  for (const cell of matrix) {
    if (interrupted) break
    progress.startCell(cellLabel(cell))
    const cellStart = performance.now()
    const result = await runCell(cell, {
      impls: options.impls,
      reps: options.reps,
      ...(options.count === undefined ? {} : { count: options.count }),
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      timeoutMs: options.timeoutMs,
      worker,
      onStep: (text) => {
        progress.step(text)
        if (trace) progress.print(`  ${((performance.now() - cellStart) / 1000).toFixed(3)} s  ${text}`)
      },
    })
    if (interrupted) break
    results.push(result)
    for (const r of result.results) {
      if (r.version === undefined) continue
      if (r.impl === "zlink") meta.versions.zlink = r.version
      else meta.versions.libzmq = r.version
    }
    for (const record of jsonRecords(meta, result)) emit(record)
    progress.endCell(result.seconds, summaryLine(result))
  }

  const soaks: SoakResult[] = []
  for (const impl of soakImpls) {
    if (interrupted) break
    progress.startCell(`soak ${impl} PUSH_PULL tcp ${options.soakS} s`)
    const t = performance.now()
    const soak = await runSoak({
      impl,
      seconds: options.soakS,
      warmupSeconds: options.soakWarmupS,
      maxWarmupSeconds: options.soakWarmupMaxS,
      size: options.sizes[0] ?? 64,
      worker,
      onStep: (text) => progress.step(text),
    })
    if (interrupted) break
    soaks.push(soak)
    emit({ kind: "soak", run: meta.id, ...soak })
    progress.endCell(
      (performance.now() - t) / 1000,
      soak.status === "FAILED"
        ? `FAILED (${soak.reason})`
        : `${formatRate(soak.msgsPerSec)} msg/s, RSS growth ${Object.entries(soak.processes)
            .map(([role, p]) => `${role} ${p.growthPct.toFixed(1)}%`)
            .join(", ")}`,
    )
  }
  progress.finish()
  meta.finished = new Date().toISOString()
  appendFileSync(jsonlPath, `${JSON.stringify({ kind: "run", ...meta, cells: results.length })}\n`)

  const fails = writeReports(meta, results, soaks, outDir, options.jsonOnly, [jsonlPath])
  if (options.docsDir !== undefined) {
    const page = writeDocs(resolve(options.docsDir), meta, results, soaks, jsonlPath)
    if (!options.jsonOnly) process.stdout.write(`Docs: ${relative(process.cwd(), page)}\n`)
  }
  if (interrupted) return 130
  return fails > 0 ? 1 : 0
}

/**
 * Writes the HTML report and the Markdown (`latest.md`, or `latest-soak.md` without matrix cells),
 * prints the tables unless `quiet`. Returns the number of FAILED cells.
 */
function writeReports(
  meta: RunMeta,
  results: CellResult[],
  soaks: SoakResult[],
  outDir: string,
  quiet: boolean,
  more: string[],
): number {
  const htmlPath = join(outDir, `${meta.id}.html`)
  writeFileSync(htmlPath, htmlReport(meta, results, soaks))
  const mdPath = join(outDir, results.length > 0 ? "latest.md" : "latest-soak.md")
  writeFileSync(mdPath, markdownReport(meta, results, soaks))
  const fails = failures(results, soaks)
  if (!quiet) {
    const out: string[] = [""]
    for (const table of allTables(results, soaks)) {
      const text = renderText(table)
      if (text) out.push(text)
    }
    if (fails.length > 0) {
      out.push("FAILED")
      for (const f of fails) out.push(`  ${f.label}, ${f.impl}: ${f.reason}`)
      out.push("")
    }
    out.push(targetsText(targets(results, soaks)))
    out.push(`Reports: ${[...more, htmlPath, mdPath].map((p) => relative(process.cwd(), p)).join(", ")}`)
    process.stdout.write(`${out.join("\n")}\n`)
  }
  return fails.length
}

/** `--from FILE.jsonl`: the reports of an earlier run, rebuilt from its JSON lines (after a change to the report code, or for the docs). */
function rebuild(file: string, outDir: string, quiet: boolean, docsDir: string | undefined): number {
  const cells = new Map<string, CellResult>()
  const soaks: SoakResult[] = []
  let meta: RunMeta | undefined
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue
    const record = JSON.parse(line) as Record<string, unknown> & { kind: string }
    if (record.kind === "run") meta = record as unknown as RunMeta
    else if (record.kind === "soak") soaks.push(record as unknown as SoakResult)
    else if (record.kind === "cell") {
      const r = record as unknown as Cell & ImplResult & { cellSeconds: number }
      const cell: Cell = {
        pattern: r.pattern,
        transport: r.transport,
        size: r.size,
        mode: r.mode,
        layout: r.layout,
        ...(r.variant === undefined ? {} : { variant: r.variant }),
        ...(r.concurrency === undefined ? {} : { concurrency: r.concurrency }),
      }
      const key = JSON.stringify(cell)
      if (!cells.has(key)) cells.set(key, { cell, results: [], seconds: r.cellSeconds })
      const result: Record<string, unknown> = { ...record }
      for (const field of [
        "kind",
        "run",
        "pattern",
        "transport",
        "size",
        "mode",
        "layout",
        "variant",
        "concurrency",
        "ratio",
        "cpuRatio",
      ]) {
        delete result[field]
      }
      cells.get(key)!.results.push(result as unknown as ImplResult)
    }
  }
  if (meta === undefined)
    throw new Error(`${file} has no "run" line (an interrupted run): nothing to rebuild from`)
  const fails = writeReports(meta, [...cells.values()], soaks, outDir, quiet, [])
  if (docsDir !== undefined) {
    const page = writeDocs(resolve(docsDir), meta, [...cells.values()], soaks, file)
    if (!quiet) process.stdout.write(`Docs: ${relative(process.cwd(), page)}\n`)
  }
  return fails
}

process.exitCode = await main()
