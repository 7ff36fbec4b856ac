/**
 * The runner's own logic, without running a benchmark: option parsing and the matrix it gives, the
 * soak's warm-up rule, and the target checks the report prints.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { RssSample } from "../src/child/protocol.js"
import type { CellResult, ImplResult } from "../src/runner/cell.js"
import { writeDocs } from "../src/runner/docs.js"
import { htmlReport } from "../src/runner/html.js"
import { cells, type Options, parseOptions, parseSize } from "../src/runner/options.js"
import {
  cellLabel,
  churnTable,
  cpuRatio,
  jsonRecords,
  markdownReport,
  type RunMeta,
  ratio,
  renderText,
  targets,
} from "../src/runner/report.js"
import { type SoakResult, warmupEnd } from "../src/runner/soak.js"

function options(argv: string[]): Options {
  const parsed = parseOptions(argv)
  if (parsed === "help") throw new Error("help")
  return parsed
}

describe("options", () => {
  it("runs the quick matrix and the four churn cells with both implementations by default", () => {
    const o = options([])
    expect(o.impls).toEqual(["zlink", "zeromq"])
    expect(o.matrix).toBe(true)
    expect(o.soakS).toBe(0)
    expect(cells(o)).toHaveLength(68)
    expect(cells(o).filter((c) => c.mode === "churn")).toHaveLength(4)
  })

  it("--full runs all 288 cells and the churn cells; with --soak it keeps both implementations in the matrix", () => {
    const o = options(["--full", "--soak", "60"])
    expect(cells(o)).toHaveLength(288 + 4)
    expect(o.matrix).toBe(true)
    expect(o.impls).toEqual(["zlink", "zeromq"])
    expect(o.soakImpls).toEqual(["zlink"])
    expect(o.soakS).toBe(60)
    expect(o.soakWarmupS).toBe(10)
    expect(o.soakWarmupMaxS).toBe(60)
  })

  it("--soak alone skips the matrix; --impls applies to both", () => {
    const o = options(["--soak", "30", "--impls", "zlink,zeromq", "--soak-warmup-max", "0"])
    expect(o.matrix).toBe(false)
    expect(o.soakImpls).toEqual(["zlink", "zeromq"])
    expect(o.soakWarmupMaxS).toBe(0)
  })

  it("--patterns churn gives one tcp cell per variant and concurrency, whatever the sizes and modes", () => {
    const o = options(["--patterns", "churn", "--sizes", "64,1k", "--modes", "latency"])
    expect(cells(o)).toEqual([
      {
        pattern: "CHURN",
        transport: "tcp",
        size: 0,
        mode: "churn",
        layout: "2core",
        variant: "handshake",
        concurrency: 1,
      },
      {
        pattern: "CHURN",
        transport: "tcp",
        size: 0,
        mode: "churn",
        layout: "2core",
        variant: "handshake",
        concurrency: 32,
      },
      {
        pattern: "CHURN",
        transport: "tcp",
        size: 0,
        mode: "churn",
        layout: "2core",
        variant: "connect",
        concurrency: 1,
      },
      {
        pattern: "CHURN",
        transport: "tcp",
        size: 0,
        mode: "churn",
        layout: "2core",
        variant: "connect",
        concurrency: 32,
      },
    ])
    expect(cells(options(["--patterns", "churn", "--concurrency", "8"])).map((c) => c.concurrency)).toEqual([
      8, 8,
    ])
    // Churn runs over tcp only: without tcp in the transports there is no churn cell.
    expect(cells(options(["--patterns", "churn,pair", "--transports", "ipc"])).map((c) => c.pattern)).toEqual(
      Array(6).fill("PAIR"),
    )
    expect(() => options(["--concurrency", "0"])).toThrow(/--concurrency/)
    expect(() => options(["--concurrency", "1.5"])).toThrow(/--concurrency/)
  })

  it("parses sizes with suffixes and refuses bad values", () => {
    expect(["64", "1k", "256k", "1m"].map(parseSize)).toEqual([64, 1024, 262144, 1048576])
    expect(() => options(["--reps", "0"])).toThrow(/--reps/)
    expect(() => options(["--soak-warmup-max", "-1"])).toThrow(/--soak-warmup-max/)
    expect(() => options(["--patterns", "PAIR,NOPE"])).toThrow(/NOPE/)
  })
})

function sample(t: number, heapTotal: number, rss = 80 << 20): RssSample {
  return { t, rss, heapTotal, heapUsed: 10 << 20, arrayBuffers: 0 }
}

describe("the soak's warm-up", () => {
  const flat = Array.from({ length: 60 }, (_, t) => sample(t, 38 << 20))

  it("is the minimum when V8 never resizes its heap", () => {
    expect(warmupEnd([flat, flat], 10, 60)).toBe(10)
  })

  it("ends a second after the last change of either process's heap reservation", () => {
    const late = flat.map((s) => (s.t >= 42 ? { ...s, heapTotal: 40 << 20 } : s))
    expect(warmupEnd([flat, late], 10, 60)).toBe(43)
  })

  it("with a step, ignores changes of the reservation up to that size", () => {
    const pages = flat.map((s) => ({ ...s, heapTotal: s.heapTotal + (s.t % 2) * (256 << 10) }))
    const resized = pages.map((s) => (s.t >= 35 ? { ...s, heapTotal: s.heapTotal + (16 << 20) } : s))
    expect(warmupEnd([pages], 10, 60)).toBe(60)
    expect(warmupEnd([pages], 10, 60, 1 << 20)).toBe(10)
    expect(warmupEnd([resized], 10, 60, 1 << 20)).toBe(36)
  })

  it("counts changes of the reservation's resident part where it was sampled", () => {
    // The reservation grows at 20 s; its pages become resident 2 MiB a second over the next 15 s.
    const reserved = flat.map((s) => ({
      ...s,
      heapTotal: s.t >= 20 ? 54 << 20 : s.heapTotal,
      heapPhysical: (30 << 20) + Math.min(15, Math.max(0, s.t - 20)) * (2 << 20),
    }))
    expect(warmupEnd([reserved], 10, 60, 1 << 20)).toBe(36)
    // Without the resident part, the warm-up would end a second after the reservation grew.
    const unsampled = reserved.map(({ heapPhysical: _, ...s }) => s)
    expect(warmupEnd([unsampled], 10, 60, 1 << 20)).toBe(21)
  })

  it("stops at its limit while the reservation keeps growing", () => {
    const growing = flat.map((s) => ({ ...s, heapTotal: (20 + s.t) << 20 }))
    expect(warmupEnd([growing, flat], 10, 30)).toBe(30)
  })
})

function result(impl: "zlink" | "zeromq", fields: Partial<ImplResult>): ImplResult {
  return { impl, status: "ok", reps: [], rssMB: {}, ...fields }
}

function throughput(pattern: string, transport: string, size: number, zl: number, zq: number): CellResult {
  return {
    cell: { pattern, transport, size, mode: "throughput", layout: "2core" } as CellResult["cell"],
    results: [
      result("zlink", { msgsPerSec: zl, cpuUsPerMsg: 1 }),
      result("zeromq", { msgsPerSec: zq, cpuUsPerMsg: 10 }),
    ],
    seconds: 1,
  }
}

function soak(growth: Record<string, number>, capped = false): SoakResult {
  const processes: SoakResult["processes"] = {}
  for (const [role, pct] of Object.entries(growth)) {
    processes[role] = {
      baselineMB: 80,
      finalMB: 80 * (1 + pct / 100),
      peakMB: 90,
      growthPct: pct,
      heapBaselineMB: 10,
      heapFinalMB: 10,
      samples: [],
    }
  }
  return {
    impl: "zlink",
    status: "ok",
    seconds: 60,
    warmupSeconds: capped ? 60 : 12,
    ...(capped ? { warmupCapped: true } : {}),
    size: 64,
    processes,
  }
}

function churn(variant: "handshake" | "connect", concurrency: number, zl: number, zq: number): CellResult {
  return {
    cell: {
      pattern: "CHURN",
      transport: "tcp",
      size: 0,
      mode: "churn",
      layout: "2core",
      variant,
      concurrency,
    },
    results: [
      result("zlink", {
        connPerSec: zl,
        serverCpuUsPerConn: 50,
        clientCpuUsPerConn: 200,
        rssMB: { server: 60 },
      }),
      result("zeromq", {
        connPerSec: zq,
        serverCpuUsPerConn: 100,
        clientCpuUsPerConn: 210,
        rssMB: { server: 55 },
      }),
    ],
    seconds: 1,
  }
}

describe("the churn rows", () => {
  it("compare connections/s and the server's CPU per connection", () => {
    const cell = churn("handshake", 32, 4500, 3000)
    expect(ratio(cell)).toBe(1.5)
    expect(cpuRatio(cell)).toBe(0.5)
    expect(cellLabel(cell.cell)).toBe("CHURN tcp handshake x32")
  })

  it("have a table row per cell, FAILED where an implementation failed", () => {
    const failed = churn("connect", 1, 4000, 2000)
    failed.results[1] = { impl: "zeromq", status: "FAILED", reason: "x", reps: [], rssMB: {} }
    const table = churnTable([churn("handshake", 1, 2000, 2500), failed, throughput("PAIR", "tcp", 64, 1, 1)])
    expect(table.rows).toEqual([
      ["tcp", "handshake", "1", "2.0 k", "2.5 k", "0.80x", "50.0", "100", "0.50x", "200/210", "60", "55"],
      ["tcp", "connect", "1", "4.0 k", "FAILED", "-", "50.0", "FAILED", "-", "200/-", "60", "-"],
    ])
    expect(renderText(table)).toContain("zlink server cpu us/conn")
  })

  it("are in the JSON lines, the Markdown, the HTML and the docs page with its chart", () => {
    const meta: RunMeta = {
      id: "test-run",
      started: "2026-01-01T00:00:00.000Z",
      command: "pnpm bench --patterns churn",
      host: { cpu: "cpu", cores: 2, memoryGB: 4, kernel: "6", node: "v20", loadAverage: [0, 0, 0] },
      versions: {},
      pinned: true,
      options: { reps: 3, durationMs: 150, timeoutMs: 60_000 },
    }
    const run = [churn("handshake", 1, 2000, 2500), churn("connect", 32, 5000, 4000)]
    expect(jsonRecords(meta, run[1]!)[0]).toMatchObject({
      kind: "cell",
      pattern: "CHURN",
      mode: "churn",
      variant: "connect",
      concurrency: 32,
      impl: "zlink",
      connPerSec: 5000,
      ratio: 1.25,
      cpuRatio: 0.5,
    })
    const title = churnTable(run).title
    expect(markdownReport(meta, run, [])).toContain(`**${title}**`)
    const html = htmlReport(meta, run, [])
    expect(html).toContain("CHURN tcp: connections opened and closed against a ROUTER")
    expect(html).toContain(title)
    const dir = mkdtempSync(join(tmpdir(), "zlb-docs-"))
    try {
      const page = readFileSync(writeDocs(dir, meta, run, [], undefined), "utf8")
      expect(page).toContain("![CHURN tcp: connections/s](benchmarks/churn-tcp-churn.svg)")
      expect(page).toContain(`**${title}**`)
      expect(existsSync(join(dir, "benchmarks", "churn-tcp-churn.svg"))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("decide the churn target on the worst cell", () => {
    const check = targets([churn("handshake", 1, 2000, 2500), churn("connect", 32, 5000, 4000)], []).find(
      (t) => t.target.startsWith("7."),
    )!
    expect(check.status).toBe("missed")
    expect(check.detail).toBe("1/2 cells meet it; worst: CHURN tcp handshake x1 at 0.80x")
  })
})

describe("the target checks", () => {
  it("name the worst cell, and pass only when every cell passes", () => {
    const run = [
      throughput("PAIR", "tcp", 64, 2e6, 1e5),
      throughput("PUSH_PULL", "ipc", 1024, 3.9e5, 1e5),
      throughput("PAIR", "inproc", 64, 6e6, 1e5),
    ]
    const [small, , inproc] = targets(run, [])
    expect(small).toMatchObject({ status: "missed" })
    expect(small!.detail).toBe("1/2 cells meet it; worst: PUSH_PULL ipc 1 KiB throughput at 3.90x")
    expect(inproc).toMatchObject({ status: "met" })
  })

  it("report a target without cells as not measured", () => {
    const checks = targets([throughput("PAIR", "tcp", 64, 2e6, 1e5)], [])
    expect(checks[1]).toMatchObject({ status: "not measured" })
    expect(checks.at(-1)).toMatchObject({ status: "not measured", detail: "run with --soak 60" })
  })

  it("judge the soak on the larger growth, and say when the warm-up hit its limit", () => {
    const met = targets([], [soak({ sender: 0.2, receiver: 9.9 })]).at(-1)!
    expect(met.status).toBe("met")
    expect(met.detail).toBe("60 s measured after a warm-up of 12 s: sender 0.2%, receiver 9.9%")
    const missed = targets([], [soak({ sender: 12, receiver: 0 }, true)]).at(-1)!
    expect(missed.status).toBe("missed")
    expect(missed.detail).toContain("(its limit: V8 was still resizing its heap)")
  })
})
