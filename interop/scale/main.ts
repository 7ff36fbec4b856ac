/**
 * `npx pnpm scale [--peers N] [--requests K] [--batch B] [--json FILE]`: the scale run from the
 * command line (`run.ts`); prints a summary and writes the result as JSON. Exit code 0 when it
 * passed, 1 when it failed, 2 for bad options.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { defaultScaleOptions, runScale, summary } from "./run.js"

const here = dirname(fileURLToPath(import.meta.url))

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} needs a positive integer, not ${value}`)
    process.exit(2)
  }
  return n
}

const { values } = parseArgs({
  options: {
    peers: { type: "string" },
    requests: { type: "string" },
    batch: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean" },
  },
})
if (values.help) {
  console.log(
    "scale [--peers N (5000)] [--requests K (10)] [--batch B (500)] [--json FILE (scale-results/scale-N.json)]",
  )
  process.exit(0)
}
const peers = count(values.peers, 5000, "peers")
const result = await runScale({
  peers,
  requests: count(values.requests, defaultScaleOptions.requests, "requests"),
  batch: count(values.batch, defaultScaleOptions.batch, "batch"),
  // 5,000 connections take longer than the CI case's 1,000.
  stepTimeoutMs: Math.max(defaultScaleOptions.stepTimeoutMs, peers * 40),
  log: (line) => console.error(line),
})
const file = resolve(values.json ?? join(here, "..", "scale-results", `scale-${peers}.json`))
mkdirSync(dirname(file), { recursive: true })
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
for (const line of summary(result)) console.log(line)
console.log(`  JSON: ${file}`)
process.exit(result.ok ? 0 : 1)
