#!/usr/bin/env node
// Adds up the vitest JSON reports of every workspace package and prints one closing line,
// "N passed, N failed, N skipped", so that a whole-repository test run ends with a single count.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
let passed = 0
let failed = 0
let skipped = 0
const missing = []
const packageDirs = []
for (const group of ["packages", "apps"]) {
  const dir = join(root, group)
  if (existsSync(dir)) for (const name of readdirSync(dir)) packageDirs.push(join(dir, name))
}
packageDirs.push(join(root, "interop"), join(root, "fuzz"))
for (const pkgDir of packageDirs) {
  const manifest = join(pkgDir, "package.json")
  if (!existsSync(manifest)) continue
  const pkg = JSON.parse(readFileSync(manifest, "utf8"))
  if (!pkg.scripts?.test) continue
  const report = join(pkgDir, ".test-results.json")
  if (!existsSync(report)) {
    missing.push(pkg.name)
    continue
  }
  const r = JSON.parse(readFileSync(report, "utf8"))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + (r.numTodoTests ?? 0)
}
if (missing.length > 0) {
  console.error(`no test report from: ${missing.join(", ")}`)
  failed += missing.length
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : 0)
