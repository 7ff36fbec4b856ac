import { defineConfig, type Options } from "tsup"

/**
 * The build every published package shares: ESM and CJS side by side with split `.d.ts` / `.d.cts`
 * types, so that `import` and `require` users each resolve declarations of their own module format.
 */
export function packageBuild(version: string, entry: Options["entry"] = ["src/index.ts"]) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    splitting: false,
    treeshake: true,
    define: { __PACKAGE_VERSION__: JSON.stringify(version) },
  })
}
