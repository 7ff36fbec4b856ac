/**
 * The checks of the scale run (`scale/check.ts`) on made-up ROUTER logs: a fair, complete log
 * passes, and each kind of fault is found and counted exactly once.
 */
import { describe, expect, it } from "vitest"
import { checkRouterLog, type Peer, passed } from "../scale/check.js"
import type { Received } from "../scale/protocol.js"

const peers: Peer[] = [
  { name: "a", explicit: true },
  { name: "b", explicit: false },
  { name: "c", explicit: true },
]
const hex = (text: string) => Buffer.from(text).toString("hex")
const ids: Record<string, string> = { a: hex("a"), b: "0000000001", c: hex("c") }

/** Round-robin over `order` for `requests` rounds, as a fair ROUTER receives. */
function fairLog(order: string[], requests: number): Received[] {
  const log: Received[] = []
  for (let seq = 0; seq < requests; seq++) for (const name of order) log.push([ids[name]!, name, seq])
  return log
}

describe("checkRouterLog", () => {
  it("passes a complete log in which every round repeats the first round's order", () => {
    const check = checkRouterLog(fairLog(["b", "c", "a"], 4), 0, peers, 4)
    expect(check).toEqual({
      expected: 12,
      received: 12,
      malformed: 0,
      unknown: 0,
      misrouted: 0,
      sharedIds: 0,
      outOfOrder: 0,
      unfairRounds: 0,
      reorderedRounds: 0,
      problems: [],
    })
    expect(passed(check)).toBe(true)
  })

  it("counts a round in which a peer comes twice before another came once", () => {
    const log = fairLog(["a", "b", "c"], 2)
    // a's second request overtakes c's first: rounds [a b a] and [c b c].
    ;[log[2], log[3]] = [log[3]!, log[2]!]
    const check = checkRouterLog(log, 0, peers, 2)
    expect(check).toMatchObject({ unfairRounds: 2, reorderedRounds: 0, outOfOrder: 0 })
    expect(check.problems[0]).toBe("round 0: 2 of 3 peers, a 2 times")
    expect(passed(check)).toBe(false)
  })

  it("counts a round that holds every peer in another order than the first", () => {
    const log = [...fairLog(["a", "b", "c"], 1), ...fairLog(["a", "c", "b"], 2).slice(3)]
    const check = checkRouterLog(log, 0, peers, 2)
    expect(check).toMatchObject({ unfairRounds: 0, reorderedRounds: 1, outOfOrder: 0 })
    expect(passed(check)).toBe(false)
  })

  it("counts a lost, a duplicated and a reordered request once per peer", () => {
    const log = fairLog(["a", "b", "c"], 3)
    log[3] = [ids.a!, "a", 0] // a: 0 0 2 (1 lost, 0 duplicated)
    log[4] = [ids.b!, "b", 2] // b: 0 2 2
    const check = checkRouterLog(log, 0, peers, 3)
    expect(check.outOfOrder).toBe(2)
    const short = checkRouterLog(fairLog(["a", "b", "c"], 3).slice(0, 8), 0, peers, 3)
    expect(short).toMatchObject({ expected: 9, received: 8, outOfOrder: 1, unfairRounds: 1 })
  })

  it("counts a peer whose requests carry the wrong routing id, and an id two peers share", () => {
    const wrongId = fairLog(["a", "b", "c"], 2).map(
      ([id, name, seq]): Received => (name === "c" && seq === 1 ? [hex("x"), name, seq] : [id, name, seq]),
    )
    expect(checkRouterLog(wrongId, 0, peers, 2)).toMatchObject({ misrouted: 1, sharedIds: 0 })
    const shared = fairLog(["a", "b", "c"], 1).map(
      ([id, name, seq]): Received => (name === "c" ? [ids.b!, name, seq] : [id, name, seq]),
    )
    // c presents an explicit id, so the automatic one is wrong for it too.
    expect(checkRouterLog(shared, 0, peers, 1)).toMatchObject({ misrouted: 1, sharedIds: 1 })
    const notAutomatic = fairLog(["a", "b", "c"], 1).map(
      ([id, name, seq]): Received => (name === "b" ? [hex("b"), name, seq] : [id, name, seq]),
    )
    expect(checkRouterLog(notAutomatic, 0, peers, 1)).toMatchObject({ misrouted: 1 })
  })

  it("counts requests from names no peer has, and malformed ones", () => {
    const log: Received[] = [...fairLog(["a", "b", "c"], 1), [hex("z"), "z", 0]]
    expect(checkRouterLog(log, 2, peers, 1)).toMatchObject({ unknown: 1, malformed: 2, received: 4 })
  })
})
