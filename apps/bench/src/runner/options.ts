/** Command-line options of `pnpm bench` and the matrix they select. */
import { parseArgs } from "node:util"
import type { ChurnVariant, Impl, Transport } from "../child/protocol.js"
import type { Cell, CellPattern, Layout, Mode } from "./cell.js"

export const ALL_PATTERNS: CellPattern[] = [
  "PAIR",
  "PUBSUB",
  "DEALER_DEALER",
  "DEALER_ROUTER",
  "ROUTER_ROUTER",
  "PUSH_PULL",
  "CHURN",
]
export const ALL_TRANSPORTS: Transport[] = ["tcp", "ipc", "inproc"]
export const ALL_SIZES = [64, 256, 1024, 65536, 131072, 262144]
export const ALL_MODES: Mode[] = ["throughput", "latency"]
/** Latency layouts of the tcp and ipc cells (inproc runs in one process). */
export const ALL_LAYOUTS: Layout[] = ["1core", "2core"]
export const ALL_IMPLS: Impl[] = ["zlink", "zeromq"]
/** What each connection of a churn cell does: the whole handshake, or connect and close. */
export const CHURN_VARIANTS: ChurnVariant[] = ["handshake", "connect"]
/** Connections kept in flight in the churn cells (`--concurrency`). */
export const DEFAULT_CONCURRENCY = [1, 32]

/** The quick matrix: a representative subset, a few minutes on a 2-core machine. */
const QUICK = {
  patterns: ["PAIR", "PUSH_PULL", "DEALER_ROUTER", "ROUTER_ROUTER", "CHURN"] as CellPattern[],
  sizes: [64, 65536],
  durationS: 0.15,
}
const FULL = { durationS: 0.3 }

export interface Options {
  full: boolean
  patterns: CellPattern[]
  transports: Transport[]
  sizes: number[]
  modes: Mode[]
  layouts: Layout[]
  impls: Impl[]
  /** Connections in flight in the churn cells. */
  concurrency: number[]
  /** The implementations of the soak (`--impls`, else zlink). */
  soakImpls: Impl[]
  reps: number
  durationMs: number
  warmupMs: number
  count?: number
  timeoutMs: number
  jsonOnly: boolean
  /** `--docs DIR`: also write the run as DIR/benchmarks.md with its charts (see `docs.ts`). */
  docsDir?: string
  outDir?: string
  /** Rebuild the reports of an earlier run from its JSON lines instead of running. */
  from?: string
  /** Seconds of the soak run; 0 for none. */
  soakS: number
  soakWarmupS: number
  /** The longest warm-up of the soak (it ends earlier once V8 stops resizing its heap). */
  soakWarmupMaxS: number
  /** Run the matrix (false for a soak-only run). */
  matrix: boolean
  /** The command line, for the reports. */
  command: string
}

export const USAGE = `Usage: pnpm bench [options]

Runs zlink and zeromq (libzmq) side by side. Without options: the quick matrix
(PAIR, PUSH_PULL, DEALER_ROUTER, ROUTER_ROUTER over tcp, ipc, inproc at 64 B and
64 KiB, throughput and latency, and the CHURN cells, about 3 minutes).

  --full                 the whole matrix (6 patterns x 3 transports x 6 sizes, and CHURN)
  --patterns LIST        PAIR,PUBSUB,DEALER_DEALER,DEALER_ROUTER,ROUTER_ROUTER,PUSH_PULL,
                         CHURN (connections opened and closed against a ROUTER over
                         tcp: the handshake and connect variants; sizes and modes do
                         not apply)
  --concurrency LIST     connections in flight in the CHURN cells (default 1,32)
  --transports LIST      tcp,ipc,inproc
  --sizes LIST           bytes, k/m suffixes allowed: 64,256,1k,64k,128k,256k
  --modes LIST           throughput,latency
  --layouts LIST         latency layouts for tcp/ipc: 1core (both on core 0), 2core
  --impls LIST           zlink,zeromq
  --reps N               repetitions per implementation, median kept (default 3)
  --duration S           seconds per repetition (default 0.15 quick, 0.3 full)
  --warmup S             seconds of the discarded warm-up repetition of each
                         implementation in each cell (default: --duration; 0: none)
  --count N              exact messages (throughput), round trips (latency) or
                         connections (churn) per repetition, instead of --duration
  --timeout S            budget of each implementation in a cell (default 60)
  --json-only            no table or progress: JSON lines on stdout
  --out DIR              where reports go (default apps/bench/bench-results)
  --from FILE.jsonl      rebuild the HTML and Markdown of an earlier run from its
                         JSON lines (nothing is run)
  --docs DIR             also write the run as DIR/benchmarks.md, its charts as SVG
                         files and its JSON lines in DIR/benchmarks/ (the text above
                         the page's marker line is kept)
  --soak S               memory check: PUSH_PULL over tcp at full speed for S seconds,
                         RSS sampled every second (zlink unless --impls says otherwise);
                         alone it skips the matrix, add --full or --matrix to run both
  --soak S               (the run lasts S plus the longest warm-up; S seconds or more
                         are measured after the warm-up)
  --soak-warmup S        shortest warm-up before the RSS baseline (default 10)
  --soak-warmup-max S    longest warm-up: it ends once V8 has stopped resizing its
                         heap in both processes, at the latest after S (default 60)
  --help
`

function list(value: unknown): string[] | undefined {
  if (typeof value !== "string") return undefined
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function pick<T extends string>(
  value: unknown,
  all: readonly T[],
  what: string,
  normalize: (s: string) => string,
): T[] | undefined {
  const items = list(value)
  if (items === undefined) return undefined
  return items.map((item) => {
    const found = all.find((a) => normalize(a) === normalize(item))
    if (found === undefined) throw new Error(`unknown ${what} "${item}"; one of ${all.join(", ")}`)
    return found
  })
}

export function parseSize(text: string): number {
  const match = /^(\d+)\s*(k|kb|kib|m|mb|mib|b)?$/i.exec(text.trim())
  if (!match) throw new Error(`bad size "${text}"`)
  const unit = (match[2] ?? "b").toLowerCase()
  const scale = unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1 << 20 : 1
  const size = Number(match[1]) * scale
  if (size < 8) throw new Error(`size ${size} is below the 8-byte minimum (the benchmark's header)`)
  return size
}

function positive(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${what} needs a positive number, got "${String(value)}"`)
  return n
}

function nonNegative(value: unknown, what: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${what} needs a number >= 0, got "${String(value)}"`)
  return n
}

function concurrencyOf(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new Error(`--concurrency takes whole numbers from 1 to 1000, got "${text}"`)
  return n
}

export function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      full: { type: "boolean", default: false },
      matrix: { type: "boolean", default: false },
      patterns: { type: "string" },
      transports: { type: "string" },
      sizes: { type: "string" },
      modes: { type: "string" },
      layouts: { type: "string" },
      impls: { type: "string" },
      concurrency: { type: "string" },
      reps: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      count: { type: "string" },
      timeout: { type: "string" },
      "json-only": { type: "boolean", default: false },
      out: { type: "string" },
      from: { type: "string" },
      docs: { type: "string" },
      soak: { type: "string" },
      "soak-warmup": { type: "string" },
      "soak-warmup-max": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) return "help"
  const full = values.full === true
  const loose = (s: string) => s.toLowerCase().replace(/[-_/]/g, "")
  const sizes = list(values.sizes)?.map(parseSize)
  const count = positive(values.count, "count")
  const soakS = positive(values.soak, "soak") ?? 0
  const durationS = positive(values.duration, "duration") ?? (full ? FULL.durationS : QUICK.durationS)
  return {
    full,
    patterns: pick(values.patterns, ALL_PATTERNS, "pattern", loose) ?? (full ? ALL_PATTERNS : QUICK.patterns),
    transports: pick(values.transports, ALL_TRANSPORTS, "transport", loose) ?? ALL_TRANSPORTS,
    sizes: sizes ?? (full ? ALL_SIZES : QUICK.sizes),
    modes: pick(values.modes, ALL_MODES, "mode", loose) ?? ALL_MODES,
    layouts: pick(values.layouts, ALL_LAYOUTS, "layout", loose) ?? ALL_LAYOUTS,
    impls: pick(values.impls, ALL_IMPLS, "implementation", loose) ?? ALL_IMPLS,
    concurrency: list(values.concurrency)?.map((c) => concurrencyOf(c)) ?? DEFAULT_CONCURRENCY,
    // The memory target is zlink's: the soak runs zeromq only when asked.
    soakImpls: pick(values.impls, ALL_IMPLS, "implementation", loose) ?? ["zlink"],
    reps: Math.round(positive(values.reps, "reps") ?? 3),
    durationMs: durationS * 1000,
    warmupMs: (values.warmup === undefined ? durationS : nonNegative(values.warmup, "warmup")) * 1000,
    ...(count === undefined ? {} : { count: Math.round(count) }),
    timeoutMs: (positive(values.timeout, "timeout") ?? 60) * 1000,
    jsonOnly: values["json-only"] === true,
    ...(values.out === undefined ? {} : { outDir: values.out }),
    ...(values.from === undefined ? {} : { from: values.from }),
    ...(values.docs === undefined ? {} : { docsDir: values.docs }),
    soakS,
    soakWarmupS: positive(values["soak-warmup"], "soak-warmup") ?? 10,
    soakWarmupMaxS:
      values["soak-warmup-max"] === undefined
        ? 60
        : nonNegative(values["soak-warmup-max"], "soak-warmup-max"),
    matrix: soakS === 0 || full || values.matrix === true,
    command: ["pnpm bench", ...argv].join(" "),
  }
}

/**
 * The cells of the matrix, in run order: pattern, transport, size, then throughput and the latency
 * layouts. CHURN gives one cell per variant and concurrency, over tcp only (when tcp is selected).
 */
export function cells(options: Options): Cell[] {
  const out: Cell[] = []
  for (const pattern of options.patterns) {
    if (pattern === "CHURN") {
      if (!options.transports.includes("tcp")) continue
      for (const variant of CHURN_VARIANTS) {
        for (const concurrency of options.concurrency) {
          out.push({
            pattern,
            transport: "tcp",
            size: 0,
            mode: "churn",
            layout: "2core",
            variant,
            concurrency,
          })
        }
      }
      continue
    }
    for (const transport of options.transports) {
      for (const size of options.sizes) {
        for (const mode of options.modes) {
          if (transport === "inproc") {
            out.push({ pattern, transport, size, mode, layout: "1proc" })
          } else if (mode === "throughput") {
            out.push({ pattern, transport, size, mode, layout: "2core" })
          } else {
            for (const layout of options.layouts) out.push({ pattern, transport, size, mode, layout })
          }
        }
      }
    }
  }
  return out
}
