/**
 * The fuzz loop: generates inputs per target from seeded streams, runs them, classifies what
 * escapes, watches the heap, shrinks and saves crashes.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import v8 from "node:v8"
import vm from "node:vm"
import { fromHex, Hash, inputHash, toHex } from "./bytes.js"
import { deriveSeed, mix32, Rng } from "./prng.js"
import {
  ContractViolation,
  type FuzzInput,
  KNOWN_CLASSES,
  type KnownClass,
  type Target,
  type TargetContext,
} from "./target.js"

/** Where crash files go unless told otherwise: `fuzz/crashes/` (git-ignored). */
export const DEFAULT_CRASH_DIR = fileURLToPath(new URL("../crashes/", import.meta.url))

/** Options of {@link runFuzz}. */
export interface RunOptions {
  /** The seed of every stream; the same seed gives the same inputs. */
  readonly seed: number
  /** Wall-clock budget, shared equally by the targets. Default 60. Ignored with `iterations`. */
  readonly seconds?: number
  /** Run exactly this many inputs per target instead of a time budget. */
  readonly iterations?: number
  /** Names of the targets to run; default all. */
  readonly targets?: readonly string[]
  /** Input classes of known bugs to exclude (counted as skipped). */
  readonly skipKnown?: readonly KnownClass[]
  /** Keep fuzzing after a crash (each distinct crash is reported once). Default false: stop at the first. */
  readonly keepGoing?: boolean
  /** Shrink a crashing input before saving it. Default true. */
  readonly shrink?: boolean
  /** Time allowed for shrinking one crash, in seconds. Default 20. */
  readonly shrinkSeconds?: number
  /** Directory for crash files; null saves none. Default {@link DEFAULT_CRASH_DIR}. */
  readonly crashDir?: string | null
  /** Growth of the heap after gc over the warm baseline that counts as a leak, in MiB. Default 64. */
  readonly heapLimitMiB?: number
  /** Inputs between two heap samples after a forced gc. Default 20 000. */
  readonly gcEvery?: number
  /** Milliseconds each target runs before the next one takes over. Default 250. */
  readonly sliceMs?: number
  /** Called with every input's hash, in the order each target generated them. */
  readonly onInput?: (target: string, index: number, hash: string) => void
  /** Progress and crash reports. Default: nothing. */
  readonly log?: (line: string) => void
  /** Targets to run instead of those under `src/targets/` (tests of the harness use this). */
  readonly targetList?: readonly Target[]
}

/** One failure the run found. */
export interface Crash {
  readonly target: string
  readonly seed: number
  /** 0-based index of the input in its target's stream. */
  readonly iteration: number
  readonly input: FuzzInput
  readonly kind: "exception" | "violation" | "heap-amplification" | "heap-growth"
  readonly error: unknown
  /** Kind, error name and the first stack frame: what makes two crashes the same. */
  readonly signature: string
  readonly shrunk: Uint8Array | undefined
  readonly file: string | undefined
}

/** What one target did. */
export interface TargetReport {
  readonly name: string
  readonly inputs: number
  readonly skipped: number
  readonly seconds: number
  /** A hash over the hashes of every input generated, skipped ones included. */
  readonly digest: string
}

/** What a run did. */
export interface RunReport {
  readonly seed: number
  readonly seconds: number
  readonly inputs: number
  readonly targets: readonly TargetReport[]
  readonly crashes: readonly Crash[]
  readonly heap: {
    /** Largest `heapUsed` seen right after an input, in octets. */
    readonly peak: number
    /** Heap plus array buffers after gc, once warm. */
    readonly baseline: number
    /** The largest such sample. */
    readonly peakAfterGc: number
  }
}

/** One input grew the heap far beyond its size. */
export class HeapAmplification extends Error {
  override get name(): string {
    return "HeapAmplification"
  }
}

/** The heap stayed grown after gc: something keeps what inputs left behind. */
export class HeapGrowth extends Error {
  override get name(): string {
    return "HeapGrowth"
  }
}

/**
 * How much an input's state may hold at its checkpoint, measured after a full gc against the heap
 * before it ran: 1 MiB of slack for compiled code and bookkeeping, plus 4 times the input's size
 * (the input, a copy of a frame that spanned chunks, views). A parser that turns octets into
 * 32-octet objects, or keeps copies of copies, does not fit.
 */
export function amplificationLimit(size: number): number {
  return 1024 * 1024 + 4 * size
}

/** Inputs from this size on may be measured; smaller ones cannot exceed the slack. */
const MEASURE_FROM = 16 * 1024

/**
 * Whether the runner measures this input's retained heap: two full gcs cost milliseconds, so only
 * large inputs, and one in `oneIn` of those (the target's `measureOneIn`, default 8), chosen by
 * the input's seed, so that a replay measures the same.
 */
export function measured(input: FuzzInput, oneIn = 8): boolean {
  return input.data.length >= MEASURE_FROM && mix32(input.seed ^ 0x5eed) % oneIn === 0
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`

let gcFunction: (() => void) | undefined

/** A function that forces a full gc, with or without `--expose-gc` on the command line. */
export function forceGc(): () => void {
  if (gcFunction !== undefined) return gcFunction
  const exposed = (globalThis as { gc?: () => void }).gc
  if (typeof exposed === "function") gcFunction = exposed
  else {
    v8.setFlagsFromString("--expose-gc")
    gcFunction = vm.runInNewContext("gc") as () => void
  }
  return gcFunction
}

function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size
}

function retained(): number {
  forceGc()()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Every target under `src/targets/`: each file's default export, in file-name order. */
export async function loadTargets(): Promise<Target[]> {
  const dir = fileURLToPath(new URL("./targets/", import.meta.url))
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith(".d.ts"))
    .sort()
  const out: Target[] = []
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: Target }
    const t = mod.default
    if (
      t === undefined ||
      typeof t.name !== "string" ||
      typeof t.run !== "function" ||
      typeof t.generate !== "function"
    )
      throw new Error(`${file} does not export a fuzz target as its default export`)
    out.push(t)
  }
  return out
}

/**
 * What kind of failure an error that escaped a target's run is. Even a typed error counts as an
 * exception here: targets catch the typed errors they expect, so one that escapes went somewhere
 * it must not (out of a transport callback, a timer or a listener).
 */
export function classify(error: unknown): Crash["kind"] {
  if (error instanceof HeapAmplification) return "heap-amplification"
  if (error instanceof HeapGrowth) return "heap-growth"
  if (error instanceof ContractViolation) return "violation"
  return "exception"
}

/**
 * Where an error was thrown, as `function (file:line)`: the first frame in zlink's packages, else
 * (an error of the harness or a target itself) the first frame outside Node's internals.
 */
export function stackTop(error: unknown): string {
  const stack = (error as { stack?: unknown } | undefined)?.stack
  if (typeof stack !== "string") return ""
  let first = ""
  for (const line of stack.split("\n").slice(1)) {
    const m = /^at (?:(\S+) \()?([^()\s]+):(\d+):\d+\)?$/.exec(line.trim())
    if (m === null || m[2]!.startsWith("node:")) continue
    const file = m[2]!.replace(/^.*\/((packages|fuzz)\/)/, "$1")
    const frame = `${m[1] ?? "<anonymous>"} (${file}:${m[3]})`
    if (file.startsWith("packages/")) return frame
    if (first === "") first = frame
  }
  return first
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

/**
 * What makes two crashes the same: kind, error name, and where: the message of a harness check
 * (numbers blanked), else the function and file of the first frame in zlink (not the line: a stack
 * overflow runs out at any line of the recursion).
 */
export function signatureOf(kind: Crash["kind"], error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error
  if (kind !== "exception")
    return `${kind}|${name}|${String((error as Error).message).replace(/\d+(\.\d+)?/g, "N")}`
  return `${kind}|${name}|${stackTop(error).replace(/:\d+\)$/, ")")}`
}

/** Runs `input` once; returns the error it ended with, checked like a fuzzed input (heap included). */
async function runOnce(
  target: Target,
  input: FuzzInput,
  context: TargetContext,
  errors: unknown[],
): Promise<unknown> {
  const measure = measured(input, target.measureOneIn)
  const gc = measure ? forceGc() : undefined
  let before = 0
  let held = -1
  if (gc !== undefined) {
    gc()
    before = heapUsed()
  }
  const ctx: TargetContext = {
    ...context,
    checkpoint: () => {
      if (gc === undefined || held >= 0) return
      gc()
      held = heapUsed() - before
    },
  }
  let error: unknown
  try {
    const r = target.run(input, ctx)
    if (r !== undefined) await r
  } catch (err) {
    error = err
  }
  if (errors.length > 0 && error === undefined) error = errors.shift()
  errors.length = 0
  const limit = amplificationLimit(input.data.length)
  if (error === undefined && held > limit) {
    error = new HeapAmplification(
      `an input of ${input.data.length} octets held ${mib(held)} of heap at its checkpoint (limit ${mib(limit)})`,
    )
  }
  return error
}

/** Removes ranges from `input` while it still fails with the same signature; bounded by `ms`. */
async function shrinkInput(
  target: Target,
  input: FuzzInput,
  signature: string,
  context: TargetContext,
  errors: unknown[],
  ms: number,
): Promise<Uint8Array> {
  const deadline = performance.now() + ms
  let best = input.data
  const fails = async (data: Uint8Array): Promise<boolean> => {
    const error = await runOnce(target, { data, seed: input.seed }, context, errors)
    if (error === undefined) return false
    // A crash may leave a long-lived target broken: rebuild it before the next attempt.
    await reset(target)
    return signatureOf(classify(error), error) === signature
  }
  if (!(await fails(best))) return best
  for (let size = best.length >> 1; size >= 1; size >>= 1) {
    for (let at = 0; at + size <= best.length; ) {
      if (performance.now() > deadline) return best
      const candidate = new Uint8Array(best.length - size)
      candidate.set(best.subarray(0, at), 0)
      candidate.set(best.subarray(at + size), at)
      if (await fails(candidate)) best = candidate
      else at += size
    }
  }
  return best
}

/**
 * Rebuilds a long-lived target after a crash (which may have left it broken). An error while tearing
 * it down is the same bug showing again: it is logged, and the target is built anew regardless.
 */
async function reset(target: Target, log: (line: string) => void = () => {}): Promise<void> {
  if (target.setup === undefined) return
  try {
    await target.teardown?.()
  } catch (err) {
    log(`  (tearing ${target.name} down after a crash threw ${describe(err).split("\n")[0]})`)
  }
  await target.setup()
}

/** The text of a crash file: a header of `key: value` lines, then the input as hex. */
export function crashFileText(crash: Omit<Crash, "file">): string {
  const lines = [
    "# zlink fuzz crash; replay: pnpm fuzz --replay <this file>",
    `target: ${crash.target}`,
    `seed: ${crash.seed}`,
    `iteration: ${crash.iteration}`,
    `run-seed: ${crash.input.seed}`,
    `kind: ${crash.kind}`,
    `error: ${describe(crash.error).split("\n")[0]}`,
    `stack-top: ${stackTop(crash.error)}`,
  ]
  if (crash.input.expect !== undefined) {
    lines.push(
      `note: found on a generated valid input, checked against what it was built from; the replay checks the invariant only. Regenerate with: pnpm fuzz --seed ${crash.seed} --target ${crash.target} --iterations ${crash.iteration + 1}`,
    )
  }
  lines.push(`original-size: ${crash.input.data.length}`, `original: ${toHex(crash.input.data)}`)
  const data = crash.shrunk ?? crash.input.data
  lines.push(`size: ${data.length}`, `data: ${toHex(data)}`, "")
  return lines.join("\n")
}

/** Reads a crash file (or a file of bare hex, with `target` given). */
export function readCrashFile(text: string, target?: string): { target: string; input: FuzzInput } {
  const fields = new Map<string, string>()
  for (const line of text.split("\n")) {
    const m = /^([a-z-]+):\s*(.*)$/.exec(line.trim())
    if (m !== null) fields.set(m[1]!, m[2]!)
  }
  const name = target ?? fields.get("target")
  if (name === undefined) throw new Error("the file names no target: pass --target")
  const hex = fields.get("data") ?? text.replace(/^#.*$/gm, "")
  return { target: name, input: { data: fromHex(hex), seed: Number(fields.get("run-seed") ?? 0) >>> 0 } }
}

interface TargetState {
  readonly target: Target
  readonly rng: Rng
  readonly recent: Uint8Array[]
  readonly digest: Hash
  inputs: number
  generated: number
  skipped: number
  ms: number
  done: boolean
}

/**
 * Runs the targets. Resolves with the report; never rejects for a crash (crashes are in the report),
 * only for a broken harness.
 *
 * @example
 * ```ts
 * const report = await runFuzz({ seed: 1, seconds: 10, log: console.log })
 * if (report.crashes.length > 0) process.exitCode = 1
 * ```
 */
export async function runFuzz(options: RunOptions): Promise<RunReport> {
  const log = options.log ?? (() => {})
  const all = options.targetList ?? (await loadTargets())
  const wanted = options.targets ?? all.map((t) => t.name)
  for (const name of wanted) {
    if (!all.some((t) => t.name === name))
      throw new Error(`no fuzz target named ${name} (have: ${all.map((t) => t.name).join(", ")})`)
  }
  const skipKnown = new Set<KnownClass>(options.skipKnown ?? [])
  for (const k of skipKnown) if (!(k in KNOWN_CLASSES)) throw new Error(`no known input class named ${k}`)
  const states: TargetState[] = all
    .filter((t) => wanted.includes(t.name))
    .map((target) => ({
      target,
      rng: new Rng(deriveSeed(options.seed, target.name)),
      recent: [],
      digest: new Hash(),
      inputs: 0,
      generated: 0,
      skipped: 0,
      ms: 0,
      done: false,
    }))
  const crashDir = options.crashDir === undefined ? DEFAULT_CRASH_DIR : options.crashDir
  const heapLimit = (options.heapLimitMiB ?? 64) * 2 ** 20
  const gcEvery = options.gcEvery ?? 20_000
  const sliceMs = options.sliceMs ?? 250
  const stackTraceLimit = Error.stackTraceLimit
  const crashes: Crash[] = []
  const seen = new Set<string>()
  const asyncErrors: unknown[] = []
  const onAsync = (err: unknown): void => void asyncErrors.push(err)
  process.on("uncaughtException", onAsync)
  process.on("unhandledRejection", onAsync)
  let peak = 0
  let baseline = 0
  let peakAfterGc = 0
  let sinceGc = 0
  let stop = false
  const started = performance.now()
  let nextProgress = started + 10_000

  const sample = (state: TargetState): void => {
    sinceGc = 0
    const now = retained()
    if (baseline === 0) {
      baseline = now
      log(`heap after gc, warm: ${mib(now)}`)
    }
    peakAfterGc = Math.max(peakAfterGc, now)
    if (now - baseline > heapLimit) {
      const error = new HeapGrowth(
        `the heap after gc grew by ${mib(now - baseline)} over the warm baseline of ${mib(baseline)}`,
      )
      report(state, { data: new Uint8Array(0), seed: 0 }, "heap-growth", error, undefined)
      stop = true
    }
  }

  const report = (
    state: TargetState,
    input: FuzzInput,
    kind: Crash["kind"],
    error: unknown,
    shrunk: Uint8Array | undefined,
  ): void => {
    const signature = signatureOf(kind, error)
    const base = {
      target: state.target.name,
      seed: options.seed,
      iteration: state.generated - 1,
      input,
      kind,
      error,
      signature,
      shrunk,
    }
    let file: string | undefined
    if (crashDir !== null && kind !== "heap-growth") {
      mkdirSync(crashDir, { recursive: true })
      file = join(crashDir, `${state.target.name}-${inputHash(input.seed, shrunk ?? input.data)}.txt`)
      writeFileSync(file, crashFileText(base))
    }
    crashes.push({ ...base, file })
    const data = shrunk ?? input.data
    log("")
    log(
      `CRASH (${kind}) in target ${state.target.name}, seed ${options.seed}, iteration ${state.generated - 1}`,
    )
    log(`  ${describe(error).split("\n")[0]}`)
    const stack = (error as { stack?: string } | undefined)?.stack
    if (typeof stack === "string") for (const line of stack.split("\n").slice(1, 9)) log(`  ${line.trim()}`)
    if (kind !== "heap-growth") {
      if (shrunk !== undefined)
        log(`  input: ${input.data.length} octets, shrunk to ${data.length}; run seed ${input.seed}`)
      else log(`  input: ${data.length} octets; run seed ${input.seed}`)
      log(`  hex: ${toHex(data)}`)
      if (file !== undefined) log(`  saved: ${file}`)
    }
    log("")
  }

  const context = (state: TargetState): TargetContext => ({
    recent: state.recent,
    skipKnown,
    checkpoint: () => {},
  })

  const step = async (state: TargetState): Promise<void> => {
    const ctx = context(state)
    const input = state.target.generate(state.rng, ctx)
    const index = state.generated++
    const hash = inputHash(input.seed, input.data)
    state.digest.text(hash)
    options.onInput?.(state.target.name, index, hash)
    if (skipKnown.size > 0 && state.target.isKnown?.(input, skipKnown)) {
      state.skipped++
      return
    }
    if (state.recent.length >= 16) state.recent.shift()
    state.recent.push(input.data)
    // Most inputs end in a typed error, and capturing its stack is most of what an error costs:
    // inputs run without stack traces, and one that fails runs again with them, for the report.
    Error.stackTraceLimit = 0
    let error: unknown
    try {
      error = await runOnce(state.target, input, ctx, asyncErrors)
    } finally {
      Error.stackTraceLimit = stackTraceLimit
    }
    state.inputs++
    peak = Math.max(peak, heapUsed())
    if (error !== undefined) {
      await reset(state.target, log)
      error = (await runOnce(state.target, input, ctx, asyncErrors)) ?? error
      const kind = classify(error)
      const signature = signatureOf(kind, error)
      if (!seen.has(signature)) {
        seen.add(signature)
        await reset(state.target, log)
        const shrunk =
          (options.shrink ?? true) && kind !== "heap-growth"
            ? await shrinkInput(
                state.target,
                input,
                signature,
                ctx,
                asyncErrors,
                (options.shrinkSeconds ?? 20) * 1000,
              )
            : undefined
        await reset(state.target, log)
        report(
          state,
          input,
          kind,
          error,
          shrunk !== undefined && shrunk.length < input.data.length ? shrunk : undefined,
        )
      } else {
        await reset(state.target, log)
      }
      if (!options.keepGoing) stop = true
    }
    if (++sinceGc >= gcEvery) sample(state)
  }

  try {
    for (const s of states) await s.target.setup?.()
    const total = options.iterations === undefined ? (options.seconds ?? 60) * 1000 : Number.POSITIVE_INFINITY
    const deadline = started + total
    while (!stop && states.some((s) => !s.done)) {
      for (const state of states) {
        if (stop || state.done) continue
        const sliceStart = performance.now()
        const sliceEnd = Math.min(deadline, sliceStart + sliceMs)
        let now = sliceStart
        while (!stop) {
          if (options.iterations !== undefined) {
            if (state.generated >= options.iterations) {
              state.done = true
              break
            }
          } else if (now >= sliceEnd) break
          await step(state)
          now = performance.now()
        }
        state.ms += now - sliceStart
        if (options.iterations === undefined && now >= deadline) state.done = true
        if (now >= nextProgress) {
          nextProgress = now + 10_000
          const inputs = states.reduce((n, s) => n + s.inputs, 0)
          const secs = (now - started) / 1000
          log(
            `[${secs.toFixed(0).padStart(4)} s] ${inputs.toLocaleString("en-US")} inputs, ${Math.round(inputs / secs).toLocaleString("en-US")}/s, heap ${mib(heapUsed())}`,
          )
        }
        // The event loop gets a turn between slices (socket timers, vitest's own traffic).
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    if (!stop) sample(states[0]!)
  } finally {
    for (const s of states) {
      try {
        await s.target.teardown?.()
      } catch (err) {
        // Closing what a target built must not throw: that is a crash too, with no input to blame.
        report(s, { data: new Uint8Array(0), seed: 0 }, "exception", err, undefined)
      }
    }
    process.off("uncaughtException", onAsync)
    process.off("unhandledRejection", onAsync)
  }
  const seconds = (performance.now() - started) / 1000
  return {
    seed: options.seed,
    seconds,
    inputs: states.reduce((n, s) => n + s.inputs, 0),
    targets: states.map((s) => ({
      name: s.target.name,
      inputs: s.inputs,
      skipped: s.skipped,
      seconds: s.ms / 1000,
      digest: s.digest.hex(),
    })),
    crashes,
    heap: { peak, baseline, peakAfterGc },
  }
}

/** The report as the table the command line prints. */
export function formatReport(report: RunReport): string[] {
  const lines: string[] = []
  const n = (v: number): string => v.toLocaleString("en-US")
  lines.push(
    `${"target".padEnd(10)} ${"inputs".padStart(12)} ${"skipped".padStart(9)} ${"seconds".padStart(8)} ${"inputs/s".padStart(10)}  digest`,
  )
  for (const t of report.targets) {
    const rate = t.seconds > 0 ? Math.round(t.inputs / t.seconds) : 0
    lines.push(
      `${t.name.padEnd(10)} ${n(t.inputs).padStart(12)} ${n(t.skipped).padStart(9)} ${t.seconds.toFixed(1).padStart(8)} ${n(rate).padStart(10)}  ${t.digest}`,
    )
  }
  const skipped = report.targets.reduce((s, t) => s + t.skipped, 0)
  lines.push(
    `${"total".padEnd(10)} ${n(report.inputs).padStart(12)} ${n(skipped).padStart(9)} ${report.seconds.toFixed(1).padStart(8)} ${n(Math.round(report.inputs / report.seconds)).padStart(10)}`,
  )
  lines.push(
    `peak heap used ${mib(report.heap.peak)}; after gc: warm baseline ${mib(report.heap.baseline)}, largest ${mib(report.heap.peakAfterGc)} (+${mib(Math.max(0, report.heap.peakAfterGc - report.heap.baseline))})`,
  )
  lines.push(report.crashes.length === 0 ? "crashes: none" : `crashes: ${report.crashes.length}`)
  for (const c of report.crashes)
    lines.push(`  ${c.target}: ${c.kind}: ${describe(c.error).split("\n")[0]}${c.file ? ` (${c.file})` : ""}`)
  return lines
}

/** Replays one saved input: resolves with the error it ends with, or undefined when it passes. */
export async function replay(
  text: string,
  options: { target?: string; targetList?: readonly Target[] } = {},
): Promise<{ target: string; input: FuzzInput; error: unknown }> {
  const { target: name, input } = readCrashFile(text, options.target)
  const all = options.targetList ?? (await loadTargets())
  const target = all.find((t) => t.name === name)
  if (target === undefined) throw new Error(`no fuzz target named ${name}`)
  const errors: unknown[] = []
  const onAsync = (err: unknown): void => void errors.push(err)
  process.on("uncaughtException", onAsync)
  process.on("unhandledRejection", onAsync)
  try {
    await target.setup?.()
    let error = await runOnce(
      target,
      input,
      { recent: [], skipKnown: new Set(), checkpoint: () => {} },
      errors,
    )
    try {
      await target.teardown?.()
    } catch (err) {
      // A target left broken by the crash may fail to close as well; the first error is the one.
      error ??= err
    }
    return { target: name, input, error }
  } finally {
    process.off("uncaughtException", onAsync)
    process.off("unhandledRejection", onAsync)
  }
}
