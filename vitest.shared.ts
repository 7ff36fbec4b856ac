import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { defineProject, type UserWorkspaceConfig } from "vitest/config"

const root = resolve(import.meta.dirname)

/**
 * Maps every workspace package name (and its `./internal`-style subpaths) to its TypeScript source,
 * so that tests run against `src/` and never need a build.
 */
function sourceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {}
  const dir = join(root, "packages")
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, "package.json")
    if (!existsSync(manifest)) continue
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
      name: string
      exports?: Record<string, unknown>
    }
    for (const subpath of Object.keys(pkg.exports ?? {})) {
      if (subpath === "./package.json") continue
      const file = subpath === "." ? "index.ts" : `${subpath.slice(2)}.ts`
      const source = join(dir, name, "src", file)
      if (existsSync(source)) aliases[subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = source
    }
  }
  // Vite matches aliases by prefix, in order: longest names first keeps `@zl/transport/compliance`
  // from being taken for `@zl/transport` plus a path.
  return Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => b.length - a.length))
}

/** The vitest project configuration shared by every package. */
export function projectConfig(overrides: UserWorkspaceConfig["test"] = {}) {
  return defineProject({
    resolve: { alias: sourceAliases() },
    define: { __PACKAGE_VERSION__: JSON.stringify("0.0.0-test") },
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      ...overrides,
    },
  })
}
