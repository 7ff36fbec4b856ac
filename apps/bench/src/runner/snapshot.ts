/**
 * The run's own copy of the code it measures. A full run takes many minutes and starts over a thousand
 * processes; if zlink (or one of its @zl/* packages) were rebuilt meanwhile (tsup empties `dist/`
 * first), processes started during the rebuild would fail to load it and the rest would measure a
 * different build. So the runner copies the built packages once, after checking that the build is
 * complete and not changing, and its children load the copy. Also: the worker, transpiled from
 * `src/child/` to plain JavaScript (starting `node` with the tsx loader costs about a second per process).
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const here = dirname(fileURLToPath(import.meta.url))
export const packageDir = join(here, "..", "..")
const cacheDir = join(packageDir, "node_modules", ".cache", "zl-bench")

interface Built {
  name: string
  dir: string
}

interface PackageJson {
  name: string
  main?: string
  dependencies?: Record<string, string>
  exports?: Record<string, { import?: { default?: string } | string }>
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson
}

/** zlink and, transitively, its workspace dependencies. */
function workspacePackages(): Built[] {
  const seen = new Map<string, string>()
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return
    const dir = realpathSync(join(from, "node_modules", name))
    seen.set(name, dir)
    for (const [dep, range] of Object.entries(readPackage(dir).dependencies ?? {})) {
      if (range.startsWith("workspace:")) visit(dep, dir)
    }
  }
  visit("zlink", packageDir)
  return [...seen].map(([name, dir]) => ({ name, dir }))
}

/** The ESM entry a package's `import` resolves to. */
function entryOf(dir: string): string {
  const json = readPackage(dir)
  const dot = json.exports?.["."]
  const target =
    typeof dot?.import === "string" ? dot.import : (dot?.import?.default ?? json.main ?? "dist/index.js")
  return join(dir, target)
}

/** Newest modification time under `dir` (ms), or -1 when it does not exist. */
function newest(dir: string): number {
  if (!existsSync(dir)) return -1
  let latest = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Deletes the copies of runs whose process is gone. */
function removeStale(): void {
  if (!existsSync(cacheDir)) return
  for (const entry of readdirSync(cacheDir)) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      process.kill(pid, 0)
    } catch {
      rmSync(join(cacheDir, entry), { recursive: true, force: true })
    }
  }
}

export interface Snapshot {
  /** The worker script to start children with. */
  worker: string
  /** When the copied zlink build was made (newest file of its dist/). */
  zlinkBuiltAt: Date
  /** Removes the copy. */
  remove(): void
}

/**
 * Copies the built packages (waiting, up to `waitMs`, for a build in progress to finish) and writes
 * the worker next to them. Fails if zlink is not built.
 */
export async function makeSnapshot(
  waitMs = 120_000,
  log: (line: string) => void = () => {},
): Promise<Snapshot> {
  removeStale()
  const root = join(cacheDir, String(process.pid))
  rmSync(root, { recursive: true, force: true })
  const packages = workspacePackages()
  const deadline = Date.now() + waitMs
  let warned = false
  for (;;) {
    const missing = packages.filter((p) => !existsSync(entryOf(p.dir)))
    const before = packages.map((p) => newest(join(p.dir, "dist")))
    const settled = Date.now() - Math.max(...before) > 2000
    if (missing.length === 0 && settled) {
      for (const p of packages) {
        const target = join(root, "node_modules", p.name)
        mkdirSync(target, { recursive: true })
        cpSync(join(p.dir, "package.json"), join(target, "package.json"))
        cpSync(join(p.dir, "dist"), join(target, "dist"), { recursive: true })
      }
      const after = packages.map((p) => newest(join(p.dir, "dist")))
      if (after.every((t, i) => t === before[i])) break
    }
    if (Date.now() > deadline) {
      const what =
        missing.length > 0 ? `${missing.map((p) => p.name).join(", ")} not built` : "the build keeps changing"
      throw new Error(
        `cannot take a consistent copy of zlink's build: ${what} (build it: npx turbo run build --filter=zlink)`,
      )
    }
    if (!warned) {
      log("waiting for the zlink build (being rebuilt, or not built yet) to settle...")
      warned = true
    }
    rmSync(root, { recursive: true, force: true })
    await sleep(1000)
  }
  const zlinkBuiltAt = new Date(newest(join(packages.find((p) => p.name === "zlink")!.dir, "dist")))
  return {
    worker: writeWorker(join(root, "worker")),
    zlinkBuiltAt,
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** Transpiles `src/child/*.ts` into `out` (plain ESM; the folder uses erasable TypeScript only). */
function writeWorker(out: string): string {
  const source = join(here, "..", "child")
  mkdirSync(out, { recursive: true })
  // Under node_modules Node does not look further up for the package's "type".
  writeFileSync(join(out, "package.json"), '{ "type": "module" }\n')
  for (const file of readdirSync(source)) {
    if (!file.endsWith(".ts")) continue
    const { outputText } = ts.transpileModule(readFileSync(join(source, file), "utf8"), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    })
    writeFileSync(join(out, file.replace(/\.ts$/, ".js")), outputText)
  }
  return join(out, "worker.js")
}
