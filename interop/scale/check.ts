/**
 * The checks of the scale run on what the ROUTER received, kept apart from the processes so that
 * they can be tested on made-up logs.
 *
 * Fair-queuing, the property asserted: when every one of the N peers has its K requests queued at
 * the ROUTER before the first receive, receive j (0-based) comes from the same peer as receive
 * j mod N, for every j < N·K. In other words the first N receives give every peer once, and each
 * later round of N receives repeats that order. zlink guarantees it because its ROUTER receives
 * through a fair queue (RFC 28 "fair-queuing", libzmq's `fq_t`): messages wait per peer, the peers
 * with messages waiting form a ring, and each receive takes one message from the peer at the head
 * of the ring, which then goes to the back if it has more. With nothing arriving during the reads,
 * the ring is the same cycle of all N peers throughout.
 */
import type { Received } from "./protocol.js"

export interface Peer {
  name: string
  /** Presents its name as routing id; otherwise the ROUTER picks one. */
  explicit: boolean
}

export interface RouterCheck {
  expected: number
  received: number
  malformed: number
  /** Requests from a name no peer has. */
  unknown: number
  /** Peers whose requests came with more than one routing id, or with an id that is not theirs. */
  misrouted: number
  /** Routing ids that came with requests of more than one peer. */
  sharedIds: number
  /** Peers whose requests did not arrive as 0..K-1, each once, in order (lost, duplicated, reordered). */
  outOfOrder: number
  /** Rounds of N receives that did not hold every peer exactly once. */
  unfairRounds: number
  /** Rounds holding every peer once, but in another order than the first round. */
  reorderedRounds: number
  /** The first few problems, as text. */
  problems: string[]
}

/** Checks `received` from `peers`, each of which sent `requests` requests before the first receive. */
export function checkRouterLog(
  received: readonly Received[],
  malformed: number,
  peers: readonly Peer[],
  requests: number,
): RouterCheck {
  const n = peers.length
  const check: RouterCheck = {
    expected: n * requests,
    received: received.length,
    malformed,
    unknown: 0,
    misrouted: 0,
    sharedIds: 0,
    outOfOrder: 0,
    unfairRounds: 0,
    reorderedRounds: 0,
    problems: [],
  }
  const problem = (text: string) => {
    if (check.problems.length < 10) check.problems.push(text)
  }
  if (received.length !== check.expected)
    problem(`received ${received.length} requests, expected ${check.expected}`)
  if (malformed > 0) problem(`${malformed} malformed requests`)

  const byName = new Map(peers.map((peer) => [peer.name, peer]))
  const idsOf = new Map<string, Set<string>>()
  const namesOf = new Map<string, Set<string>>()
  const next = new Map<string, number>()
  const broken = new Set<string>()
  for (const [id, name, seq] of received) {
    if (!byName.has(name)) {
      check.unknown++
      problem(`a request from ${name}, which is no peer`)
      continue
    }
    const ids = idsOf.get(name) ?? new Set<string>()
    idsOf.set(name, ids.add(id))
    const names = namesOf.get(id) ?? new Set<string>()
    namesOf.set(id, names.add(name))
    const expected = next.get(name) ?? 0
    if (seq !== expected && !broken.has(name)) {
      broken.add(name)
      problem(`${name}: request ${seq} arrived where ${expected} was due`)
    }
    next.set(name, seq + 1)
  }
  for (const peer of peers) {
    const ids = idsOf.get(peer.name)
    if ((next.get(peer.name) ?? 0) !== requests) broken.add(peer.name)
    if (ids === undefined) continue
    const [id] = ids
    // libzmq's automatic routing ids are 5 octets, a 0 then a counter; zlink's follow it.
    const own = peer.explicit ? Buffer.from(peer.name).toString("hex") : undefined
    const fits = own !== undefined ? id === own : id!.length === 10 && id!.startsWith("00")
    if (ids.size > 1 || !fits) {
      check.misrouted++
      problem(`${peer.name}: routing ids ${[...ids].join(", ")}${own ? `, expected ${own}` : ""}`)
    }
  }
  check.outOfOrder = broken.size
  for (const [id, names] of namesOf) {
    if (names.size > 1) {
      check.sharedIds++
      problem(`routing id ${id} came with requests of ${[...names].slice(0, 3).join(", ")}`)
    }
  }

  const rounds = Math.floor(received.length / n)
  const first = received.slice(0, n).map((r) => r[1])
  for (let r = 0; r < rounds; r++) {
    const round = received.slice(r * n, (r + 1) * n).map((entry) => entry[1])
    const distinct = new Set(round)
    if (distinct.size !== n || round.some((name) => !byName.has(name))) {
      check.unfairRounds++
      const seen = new Map<string, number>()
      for (const name of round) seen.set(name, (seen.get(name) ?? 0) + 1)
      const twice = [...seen].find(([, times]) => times > 1)
      const repeated = twice ? `, ${twice[0]} ${twice[1]} times` : ""
      problem(`round ${r}: ${distinct.size} of ${n} peers${repeated}`)
    } else if (r > 0 && round.some((name, i) => name !== first[i])) {
      check.reorderedRounds++
      const at = round.findIndex((name, i) => name !== first[i])
      problem(`round ${r}: receive ${at} came from ${round[at]}, round 0 had ${first[at]} there`)
    }
  }
  if (received.length % n !== 0) check.unfairRounds++
  return check
}

/** True when the check found nothing wrong. */
export function passed(check: RouterCheck): boolean {
  return (
    check.received === check.expected &&
    check.malformed +
      check.unknown +
      check.misrouted +
      check.sharedIds +
      check.outOfOrder +
      check.unfairRounds +
      check.reorderedRounds ===
      0
  )
}
