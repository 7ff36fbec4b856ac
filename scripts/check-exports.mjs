#!/usr/bin/env node
// Loads every built package the way a consumer would, through its package.json "exports": once with
// require() and once with import(), and checks that both give the same named exports and that each
// declared "types" file exists. Run after `turbo run build`.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
let failures = 0
for (const name of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", name)
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  if (pkg.private || !pkg.scripts?.build) continue
  for (const [subpath, conditions] of Object.entries(pkg.exports)) {
    if (subpath === "./package.json") continue
    const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
    // A subpath may be ESM-only (the compliance suite imports vitest, which cannot be required).
    const both = conditions.require !== undefined
    for (const condition of both ? ["import", "require"] : ["import"]) {
      const types = conditions[condition]?.types
      if (!types || !existsSync(join(dir, types))) {
        console.error(`${specifier}: missing ${condition} types ${types}`)
        failures++
      }
    }
    const keys = (code, type) =>
      execFileSync(process.execPath, ["--input-type", type, "-e", code], {
        cwd: dir,
        encoding: "utf8",
      }).trim()
    const esm = keys(
      `const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).filter((k) => k !== "default").sort().join(","))`,
      "module",
    )
    const cjs = both
      ? keys(
          `console.log(Object.keys(require(${JSON.stringify(specifier)})).filter((k) => k !== "default").sort().join(","))`,
          "commonjs",
        )
      : esm
    if (cjs !== esm || cjs === "") {
      console.error(`${specifier}: require() gives [${cjs}], import() gives [${esm}]`)
      failures++
    } else {
      const how = both ? "import and require give the same" : "import (ESM only) gives"
      console.log(`${specifier}: ${how} ${cjs.split(",").length} exports`)
    }
  }
}
process.exit(failures > 0 ? 1 : 0)
