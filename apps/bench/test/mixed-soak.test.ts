/**
 * The mixed soak's short version (`runner/mixed-soak.ts`; `pnpm soak` runs it for 10 minutes): 30 s
 * of PUSH/PULL, PUB/SUB with changing subscriptions, REQ/REP and DEALER/ROUTER over tcp and ipc
 * between the zlink hub and zlink and libzmq peers that restart their sockets or are killed and
 * started again every 3 s. It needs zlink built (turbo's test task builds the dependencies first).
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import {
  defaultMixedSoak,
  type MixedSoakResult,
  mixedSoakSummary,
  runMixedSoak,
} from "../src/runner/mixed-soak.js"
import { makeSnapshot, type Snapshot } from "../src/runner/snapshot.js"

let snapshot: Snapshot
beforeAll(async () => {
  snapshot = await makeSnapshot(60_000)
}, 70_000)
afterAll(() => snapshot?.remove())

it("30 s of mixed patterns with restarting peers: no broken promise, no leak, memory flat after warm-up", async () => {
  const result: MixedSoakResult = await runMixedSoak({
    ...defaultMixedSoak,
    seconds: 30,
    // The first seconds tier up the code and fill V8's feedback: the heap in use grows by several
    // percent while the load is the same.
    warmupSeconds: 10,
    maxWarmupSeconds: 15,
    // The young generation at full size from the start: 30 s is too short to wait out V8's sizing.
    semiSpaceMB: 16,
    worker: snapshot.worker,
  })
  console.log(mixedSoakSummary(result).join("\n"))
  expect(result.failures).toEqual([])
  expect(result.status).toBe("ok")
  // A kill every 3 s, plus the time a new peer takes to start: each of the two killed peers went
  // down and came back at least twice.
  expect(result.restarts.processes).toBeGreaterThanOrEqual(4)
  expect(result.restarts.peerSockets).toBeGreaterThan(0)
  expect(result.restarts.hubSockets).toBeGreaterThan(0)
  expect(result.handles?.after).toEqual(result.handles?.before)
  expect(Object.values(result.resources?.after ?? { missing: 1 }).every((n) => n === 0)).toBe(true)
  for (const [name, stats] of Object.entries(result.flows.hub)) {
    expect({ name, violations: stats.violations, errors: stats.errors }).toEqual({
      name,
      violations: 0,
      errors: 0,
    })
  }
  expect(result.hub?.growthPct).toBeLessThan(10)
  expect(result.hub?.heapGrowthPct).toBeLessThan(10)
}, 90_000)
