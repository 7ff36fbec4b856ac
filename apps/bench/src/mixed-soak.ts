/**
 * `pnpm soak [--minutes M]`: the mixed soak (`runner/mixed-soak.ts`), 10 minutes by default. Prints
 * a summary and writes the result, with every memory sample, as JSON. Exit code 0 when it passed, 1
 * when it failed, 2 for bad options, 130 when interrupted.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { killAll } from "./runner/child.js"
import { defaultMixedSoak, mixedSoakSummary, runMixedSoak } from "./runner/mixed-soak.js"
import { makeSnapshot, packageDir } from "./runner/snapshot.js"

const USAGE = `Usage: pnpm soak [options]

  --minutes M            length of the run, warm-up included (default 10)
  --warmup S             shortest warm-up (default ${defaultMixedSoak.warmupSeconds})
  --warmup-max S         longest warm-up (default ${defaultMixedSoak.maxWarmupSeconds})
  --kill-every S         kill a peer process and start it again this often (default ${defaultMixedSoak.killEverySeconds})
  --rate N               messages per second of each paced flow (default ${defaultMixedSoak.rate})
  --semi-space MB        fix the hub's V8 young generation at this size from the start
                         (default: V8 sizes it, which the warm-up waits out)
  --json FILE            where the result goes (default bench-results/soak-<time>.json)
`

function number(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} needs a positive number, not ${value}\n\n${USAGE}`)
    process.exit(2)
  }
  return n
}

let values: Record<string, string | boolean | undefined>
try {
  values = parseArgs({
    options: {
      minutes: { type: "string" },
      warmup: { type: "string" },
      "warmup-max": { type: "string" },
      "kill-every": { type: "string" },
      rate: { type: "string" },
      "semi-space": { type: "string" },
      json: { type: "string" },
      help: { type: "boolean" },
    },
  }).values
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
const str = (key: string) => values[key] as string | undefined

process.on("SIGINT", () => {
  killAll()
  process.exit(130)
})

const snapshot = await makeSnapshot(120_000, (line) => console.error(line))
try {
  const result = await runMixedSoak({
    seconds: number(str("minutes"), 10, "minutes") * 60,
    warmupSeconds: number(str("warmup"), defaultMixedSoak.warmupSeconds, "warmup"),
    maxWarmupSeconds: number(str("warmup-max"), defaultMixedSoak.maxWarmupSeconds, "warmup-max"),
    killEverySeconds: number(str("kill-every"), defaultMixedSoak.killEverySeconds, "kill-every"),
    peerRestartMs: defaultMixedSoak.peerRestartMs,
    reqRecreateMs: defaultMixedSoak.reqRecreateMs,
    rate: number(str("rate"), defaultMixedSoak.rate, "rate"),
    ...(str("semi-space") !== undefined ? { semiSpaceMB: number(str("semi-space"), 16, "semi-space") } : {}),
    worker: snapshot.worker,
    onStep: (text) => console.error(text),
  })
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/:/g, "-")
  const file = resolve(str("json") ?? join(packageDir, "bench-results", `soak-${stamp}.json`))
  mkdirSync(resolve(file, ".."), { recursive: true })
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  for (const line of mixedSoakSummary(result)) console.log(line)
  console.log(`  JSON: ${file}`)
  process.exitCode = result.status === "ok" ? 0 : 1
} finally {
  snapshot.remove()
}
