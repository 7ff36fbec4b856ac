/**
 * 1,000 DEALERs, 500 zlink and 500 libzmq, on one zlink ROUTER over tcp, each kind in its own
 * process (`scale/run.ts`; the 5,000 case is `pnpm scale`). Every DEALER sends 10 requests carrying
 * its name before the ROUTER reads any; the ROUTER replies to each through the routing id it came
 * with. The fair-queuing property and why zlink has it are stated in `scale/check.ts`.
 */
import { expect, it } from "vitest"
import { runScale } from "../scale/run.js"

const PEERS = 1000
const REQUESTS = 10

it(`${PEERS} DEALERs (half libzmq) get exactly their own replies, fair-queued, and the ROUTER keeps nothing after`, async () => {
  const result = await runScale({ peers: PEERS, requests: REQUESTS, stepTimeoutMs: 30_000 })
  expect(result.failures).toEqual([])
  expect(result.requestsSent).toBe(PEERS * REQUESTS)
  // Every request once, in order per peer, under the one routing id of its peer; every round of
  // 1,000 receives holds each peer once, in the first round's order.
  expect(result.router).toMatchObject({
    expected: PEERS * REQUESTS,
    received: PEERS * REQUESTS,
    replies: PEERS * REQUESTS,
    malformed: 0,
    unknown: 0,
    misrouted: 0,
    sharedIds: 0,
    outOfOrder: 0,
    unfairRounds: 0,
    reorderedRounds: 0,
  })
  for (const report of [result.dealers.zlink, result.dealers.libzmq]) {
    expect(report).toMatchObject({
      dealers: PEERS / 2,
      received: (PEERS / 2) * REQUESTS,
      foreign: 0,
      outOfOrder: 0,
      missing: 0,
      extra: 0,
    })
  }
  // The warm-up's 32 and the 1,000, each accepted, handshaken and gone, with no error event.
  expect(result.events).toMatchObject({ live: 0, accepts: PEERS + 32, handshakes: PEERS + 32, errors: 0 })
  expect(result.close.afterClose).toEqual(
    Object.fromEntries(Object.keys(result.close.afterClose).map((k) => [k, 0])),
  )
  expect(result.close.handlesAfter).toEqual(result.close.handlesBefore)
  // The ROUTER's JS heap per idle connection (4.6 KiB measured; docs/limits.md): a regression
  // that keeps per-connection garbage or a buffer per peer on the heap shows here.
  expect(result.memory.perPeer.heapBytes).toBeGreaterThan(0)
  expect(result.memory.perPeer.heapBytes).toBeLessThan(16 * 1024)
}, 120_000)
