/**
 * `pnpm fuzz`: the command line of the harness. See the README for every option.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { formatReport, loadTargets, replay, runFuzz } from "./runner.js"
import { KNOWN_CLASSES, type KnownClass } from "./target.js"

const USAGE = `usage: pnpm fuzz [options]
  --seconds N         time budget, shared by the targets (default 60)
  --iterations N      exactly N inputs per target instead of a time budget
  --seed S            seed of every stream (default: from the clock, printed)
  --target NAME       run only this target (repeatable, or comma-separated)
  --replay FILE       run one saved input (a crash file, or bare hex with --target)
  --skip-known LIST   exclude input classes of known bugs (comma-separated): ${Object.keys(KNOWN_CLASSES).join(", ")}
  --keep-going        keep fuzzing after a crash; each distinct crash is reported once
  --no-shrink         save crashing inputs as found
  --hashes FILE       write every input's hash, one "target index hash" per line
  --heap-limit MIB    growth after gc that counts as a leak (default 64)
  --list              list the targets and the known input classes`

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(2)
}

function parse(argv: readonly string[]) {
  const opts = {
    seconds: 60,
    iterations: undefined as number | undefined,
    seed: undefined as number | undefined,
    targets: [] as string[],
    replay: undefined as string | undefined,
    skipKnown: [] as KnownClass[],
    keepGoing: false,
    shrink: true,
    hashes: undefined as string | undefined,
    heapLimit: 64,
    list: false,
  }
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value)
    if (value === undefined || !Number.isFinite(n) || n < 0) fail(`${flag} needs a number`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = (): string | undefined => argv[++i]
    switch (arg) {
      case "--":
        break
      case "--seconds":
        opts.seconds = number(arg, next())
        break
      case "--iterations":
        opts.iterations = Math.floor(number(arg, next()))
        break
      case "--seed":
        opts.seed = Math.floor(number(arg, next())) >>> 0
        break
      case "--target":
        opts.targets.push(...(next() ?? fail("--target needs a name")).split(",").filter((s) => s !== ""))
        break
      case "--replay":
        opts.replay = next() ?? fail("--replay needs a file")
        break
      case "--skip-known":
        for (const k of (next() ?? fail("--skip-known needs a list")).split(",")) {
          if (!(k in KNOWN_CLASSES)) fail(`unknown input class ${k}`)
          opts.skipKnown.push(k as KnownClass)
        }
        break
      case "--keep-going":
        opts.keepGoing = true
        break
      case "--no-shrink":
        opts.shrink = false
        break
      case "--hashes":
        opts.hashes = next() ?? fail("--hashes needs a file")
        break
      case "--heap-limit":
        opts.heapLimit = number(arg, next())
        break
      case "--list":
        opts.list = true
        break
      case "--help":
      case "-h":
        console.log(USAGE)
        process.exit(0)
        break
      default:
        fail(`unknown option ${arg}`)
    }
  }
  return opts
}

/** Paths on the command line are relative to where `pnpm fuzz` was typed, not to this package. */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path)
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2))
  if (opts.list) {
    for (const t of await loadTargets()) console.log(`${t.name.padEnd(10)} ${t.description}`)
    console.log("\nknown input classes (--skip-known):")
    for (const [k, v] of Object.entries(KNOWN_CLASSES)) console.log(`${k.padEnd(14)} ${v}`)
    return
  }
  if (opts.replay !== undefined) {
    const file = userPath(opts.replay)
    const r = await replay(
      readFileSync(file, "utf8"),
      opts.targets.length > 0 ? { target: opts.targets[0]! } : {},
    )
    console.log(`replayed ${r.input.data.length} octets on target ${r.target} (run seed ${r.input.seed})`)
    if (r.error === undefined) {
      console.log("no crash")
      return
    }
    console.log("CRASH:")
    console.log((r.error as { stack?: string }).stack ?? String(r.error))
    process.exitCode = 1
    return
  }
  const seed = opts.seed ?? Date.now() >>> 0
  const hashLines: string[] = []
  const skip = opts.skipKnown.length > 0 ? `, skipping known: ${opts.skipKnown.join(", ")}` : ""
  console.log(
    `fuzzing with seed ${seed}, ${opts.iterations !== undefined ? `${opts.iterations} inputs per target` : `${opts.seconds} s`}${skip}`,
  )
  const report = await runFuzz({
    seed,
    seconds: opts.seconds,
    ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}),
    ...(opts.targets.length > 0 ? { targets: opts.targets } : {}),
    skipKnown: opts.skipKnown,
    keepGoing: opts.keepGoing,
    shrink: opts.shrink,
    heapLimitMiB: opts.heapLimit,
    log: (line) => console.log(line),
    ...(opts.hashes !== undefined
      ? { onInput: (t: string, i: number, h: string) => void hashLines.push(`${t} ${i} ${h}`) }
      : {}),
  })
  for (const line of formatReport(report)) console.log(line)
  if (opts.hashes !== undefined) writeFileSync(userPath(opts.hashes), `${hashLines.join("\n")}\n`)
  if (report.crashes.length > 0) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 2
})
