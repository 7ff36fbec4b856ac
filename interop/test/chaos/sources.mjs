// Resolves every workspace package (`zlink`, `@zl/*` and their subpaths) to its TypeScript source,
// as the vitest aliases of vitest.shared.ts do in the test process, so that a child process runs
// the same code without a build: `node --import tsx --import ./sources.mjs peer.ts`. Hooks
// registered later run first, so this one maps the name and tsx loads the `.ts` file.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { register } from "node:module"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const packages = fileURLToPath(new URL("../../../packages/", import.meta.url))
const aliases = {}
for (const dir of readdirSync(packages)) {
  const manifest = join(packages, dir, "package.json")
  if (!existsSync(manifest)) continue
  const pkg = JSON.parse(readFileSync(manifest, "utf8"))
  for (const subpath of Object.keys(pkg.exports ?? {})) {
    if (subpath === "./package.json") continue
    const file = subpath === "." ? "index.ts" : `${subpath.slice(2)}.ts`
    const source = join(packages, dir, "src", file)
    if (existsSync(source)) {
      aliases[subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = pathToFileURL(source).href
    }
  }
}

register(
  `data:text/javascript,${encodeURIComponent(`
    const aliases = ${JSON.stringify(aliases)}
    export async function resolve(specifier, context, next) {
      return next(aliases[specifier] ?? specifier, context)
    }
  `)}`,
  import.meta.url,
)
