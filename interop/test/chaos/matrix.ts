/**
 * Declares the chaos matrix of one fault class as vitest tests: one test per (implementation pair,
 * pattern, seed), the pairs' cells running concurrently (they mostly wait on timers), and a table
 * of every cell's counts printed after the file.
 */
import { afterAll, describe, expect, it } from "vitest"
import { type ImplPair, pairs, socketScope } from "../fixtures.js"
import { type CellReport, type ChaosPattern, cellSeed, chaosPatterns, LONG, SEEDS } from "./cells.js"
import { COUNTS_HEADER, countsRow } from "./ledger.js"

export type FaultClass = "gentle" | "destructive"

/** The id of a cell, as lists of known failures name it: `destructive/PUSH-PULL/zlink<-libzmq`. */
export function cellId(fault: FaultClass, pattern: ChaosPattern, pair: ImplPair): string {
  return `${fault}/${pattern.name}/${pair.binder.name}<-${pair.connecter.name}`
}

/**
 * Declares the cells. A cell in `knownFailures` (id -> why) runs as `it.fails`: it must still fail,
 * so that the list cannot outlive the bug.
 */
export function chaosMatrix(fault: FaultClass, knownFailures: ReadonlyMap<string, string>): void {
  const rows: Array<{ key: string; report: CellReport }> = []
  const ids = new Set<string>()
  afterAll(() => {
    const lines = rows
      .sort((x, y) => (x.key < y.key ? -1 : 1))
      .flatMap(({ key, report }) =>
        Object.entries(report.flows).map(([flow, counts]) =>
          countsRow(key, flow, counts, report.notes.join("; ")),
        ),
      )
    console.log([`${fault} chaos, ${rows.length} cells:`, ...COUNTS_HEADER, ...lines].join("\n"))
  })

  for (const pair of pairs()) {
    describe.concurrent(`${fault} chaos: ${pair.label}`, () => {
      for (const pattern of chaosPatterns) {
        const id = cellId(fault, pattern, pair)
        ids.add(id)
        const known = knownFailures.get(id)
        for (const seed of SEEDS) {
          const name = `${pattern.name} (${pattern.binds}), seed ${seed}${known === undefined ? "" : ` [known failure: ${known}]`}`
          const declare = known === undefined ? it : it.fails
          declare(name, { timeout: LONG ? 600_000 : 90_000 }, async ({ onTestFinished }) => {
            const cleanups: Array<() => unknown> = []
            onTestFinished(async () => {
              for (const step of cleanups) await step()
            })
            const open = socketScope((fn) => cleanups.push(fn))
            const label = `${pattern.name} ${pair.binder.name}<-${pair.connecter.name} s${seed}`
            const record = (report: CellReport) => {
              rows.push({ key: label, report })
            }
            await pattern[fault]({
              binder: pair.binder,
              connecter: pair.connecter,
              seed: cellSeed(`${fault}/${pattern.name}`, seed),
              open,
              cleanup: (fn) => cleanups.push(fn),
              record,
            })
          })
        }
      }
    })
  }

  it("names only cells of the matrix in its list of known failures", () => {
    expect([...knownFailures.keys()].filter((id) => !ids.has(id))).toEqual([])
  })
}
