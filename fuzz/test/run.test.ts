/**
 * The short seeded fuzz run of CI: every target, a fixed seed, about 20 s. A crash fails the test
 * with the target, the error and where the input was saved (`fuzz/crashes/`).
 */
import { describe, expect, it } from "vitest"
import { formatReport, loadTargets, runFuzz } from "../src/runner.js"
import type { KnownClass } from "../src/target.js"

/** The run of CI: fixed, so that a red run is red again on the next try. */
const SEED = 20_261_203
const SECONDS = 20

/**
 * Input classes of bugs that are open (see the README, "Known input classes"); none is. A class of
 * a bug that opens again goes here until its fix lands, since it would fail this run on some
 * machines and not others.
 */
const OPEN: KnownClass[] = []

/** Inputs the run must reach: far below what one loaded core does in 20 s, far above a stalled run. */
const MIN_INPUTS = 20_000
const MIN_PER_TARGET = 300

describe("fuzz", () => {
  it(`a ${SECONDS} s seeded run of every target finds no crash`, async () => {
    const report = await runFuzz({ seed: SEED, seconds: SECONDS, skipKnown: OPEN, shrinkSeconds: 5 })
    const summary = formatReport(report).join("\n")
    console.log(summary)
    expect(report.crashes, summary).toEqual([])
    expect(report.inputs).toBeGreaterThanOrEqual(MIN_INPUTS)
    const names = (await loadTargets()).map((t) => t.name)
    expect(report.targets.map((t) => t.name)).toEqual(names)
    for (const t of report.targets) expect(t.inputs, t.name).toBeGreaterThanOrEqual(MIN_PER_TARGET)
  })

  it("generates the same inputs from the same seed, on every target", async () => {
    const run = async (): Promise<string[]> =>
      (await runFuzz({ seed: SEED, iterations: 150, crashDir: null, skipKnown: OPEN })).targets.map(
        (t) => `${t.name} ${t.inputs + t.skipped} ${t.digest}`,
      )
    const a = await run()
    expect(a.every((line) => / 150 [0-9a-f]{16}$/.test(line))).toBe(true)
    expect(await run()).toEqual(a)
  })
})
