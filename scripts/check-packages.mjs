#!/usr/bin/env node
// Checks every published package as a consumer receives it: packs it with pnpm (which rewrites the
// `workspace:` and `catalog:` ranges as publishing does), then lints the tarball with publint (exports
// map, files, the `types` condition order) and checks with arethetypeswrong that TypeScript finds the
// right declarations for each entry point under node10, node16 (from CJS and from ESM) and bundler
// resolution. Offline: nothing is fetched. Run after `turbo run build`.
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkPackage, createPackageFromTarballData } from "@arethetypeswrong/core"
import { problemKindInfo } from "@arethetypeswrong/core/problems"
import { publint } from "publint"
import { formatMessage } from "publint/utils"

const root = new URL("..", import.meta.url).pathname
const localPnpm = join(root, "node_modules", ".bin", "pnpm")
const pnpm = existsSync(localPnpm) ? localPnpm : "pnpm"
const out = mkdtempSync(join(tmpdir(), "zl-pack-"))

let failures = 0
try {
  for (const name of readdirSync(join(root, "packages")).sort()) {
    const dir = join(root, "packages", name)
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
    if (pkg.private || !pkg.scripts?.build) continue
    const before = new Set(readdirSync(out))
    execFileSync(pnpm, ["pack", "--pack-destination", out], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    })
    const tarballName = readdirSync(out).find((file) => !before.has(file))
    if (tarballName === undefined) throw new Error(`${pkg.name}: pnpm pack wrote no tarball`)
    const tarball = readFileSync(join(out, tarballName))

    const problems = []
    const lint = await publint({
      pack: { tarball: toArrayBuffer(tarball) },
      level: "suggestion",
      strict: true,
    })
    for (const message of lint.messages) {
      problems.push(`publint ${message.type}: ${formatMessage(message, lint.pkg) ?? message.code}`)
    }

    const analysis = await checkPackage(createPackageFromTarballData(new Uint8Array(tarball)))
    if (!analysis.types) problems.push("attw: the package has no type declarations")
    // A subpath without a `require` condition is ESM-only on purpose (the transport compliance
    // suite imports vitest, which cannot be required): require() of it is meant not to resolve.
    const esmOnly = new Set(
      Object.entries(pkg.exports ?? {})
        .filter(([, conditions]) => typeof conditions === "object" && conditions.require === undefined)
        .map(([subpath]) => subpath),
    )
    for (const problem of analysis.problems ?? []) {
      if (
        problem.kind === "NoResolution" &&
        problem.resolutionKind === "node16-cjs" &&
        esmOnly.has(problem.entrypoint)
      ) {
        continue
      }
      const where = problem.entrypoint ? ` ${problem.entrypoint} (${problem.resolutionKind})` : ""
      const file = problem.fileName ?? problem.typesFileName ?? ""
      problems.push(
        `attw ${problem.kind}:${where} ${problemKindInfo[problem.kind]?.title ?? ""} ${file}`.trim(),
      )
    }

    const entrypoints = Object.keys(analysis.entrypoints ?? {}).length
    if (problems.length === 0) {
      console.log(`${pkg.name}: publint clean, attw clean for ${entrypoints} entry points`)
    } else {
      failures += problems.length
      for (const problem of problems) console.error(`${pkg.name}: ${problem}`)
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true })
}
process.exit(failures > 0 ? 1 : 0)

function toArrayBuffer(buffer) {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)
}
