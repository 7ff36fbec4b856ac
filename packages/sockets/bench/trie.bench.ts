/**
 * Subscription matching: SubscriptionTrie.matches (SUB/XSUB filtering) and PipeTrie.match (PUB/XPUB
 * fan-out) with 10,000 random topics of 8-24 octets, on messages that match and messages that do not.
 * Run with `pnpm --filter @zl/sockets bench`. Each scenario is checked against a naive prefix scan
 * before it is timed. `ZL_BENCH_TIME` sets the time per task in ms (default 1000).
 */
import { strict as assert } from "node:assert"
import { Bench } from "tinybench"
import { PipeTrie, SubscriptionTrie } from "../src/trie.js"

const TOPICS = 10_000
const PIPES = 100
/** Messages matched by one call of a scenario's `run`. */
const BATCH = 1_000

/** xorshift32: the same topics and messages on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

const next = rng(0x5eed)

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = next() & 0xff
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

function isPrefix(topic: Uint8Array, data: Uint8Array): boolean {
  if (topic.length > data.length) return false
  for (let i = 0; i < topic.length; i++) if (topic[i] !== data[i]) return false
  return true
}

const topics: Uint8Array[] = Array.from({ length: TOPICS }, () => randomBytes(8 + (next() % 17)))
/** Each topic's subscribers: one to three of the 100 pipes. */
const pipes = Array.from({ length: PIPES }, (_, i) => ({ id: i }))
const subscribers: (typeof pipes)[number][][] = topics.map(() => {
  const n = 1 + (next() % 3)
  const set = new Set<(typeof pipes)[number]>()
  while (set.size < n) set.add(pipes[next() % PIPES]!)
  return [...set]
})

/** Messages that start with a subscribed topic, and random ones (which, checked below, match none). */
const matching = Array.from({ length: BATCH }, () => concat(topics[next() % TOPICS]!, randomBytes(16)))
const missing = Array.from({ length: BATCH }, () => randomBytes(32))

const subscriptionTrie = new SubscriptionTrie()
for (const topic of topics) subscriptionTrie.add(topic)
const pipeTrie = new PipeTrie<(typeof pipes)[number]>()
for (const [i, topic] of topics.entries()) for (const pipe of subscribers[i]!) pipeTrie.add(topic, pipe)

/** The naive answer: every pipe subscribed to a prefix of `data`. */
function naiveSubscribers(data: Uint8Array): Set<number> {
  const out = new Set<number>()
  for (const [i, topic] of topics.entries()) {
    if (isPrefix(topic, data)) for (const pipe of subscribers[i]!) out.add(pipe.id)
  }
  return out
}

// Correctness first, for every message of every scenario.
assert.equal(subscriptionTrie.size, new Set(topics.map((t) => t.join(","))).size)
let expectedVisits = 0
for (const [name, messages, shouldMatch] of [
  ["matching", matching, true],
  ["missing", missing, false],
] as const) {
  for (const data of messages) {
    const naive = naiveSubscribers(data)
    assert.equal(subscriptionTrie.matches(data), naive.size > 0, `${name}: SubscriptionTrie.matches`)
    assert.equal(
      naive.size > 0,
      shouldMatch,
      `${name}: a message that should ${shouldMatch ? "" : "not "}match`,
    )
    const seen = new Set<number>()
    pipeTrie.match(data, (pipe) => seen.add(pipe.id))
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [...naive].sort((a, b) => a - b),
      `${name}: PipeTrie.match`,
    )
    if (shouldMatch) expectedVisits += naive.size
  }
}

let sink = 0
const scenarios: { readonly name: string; readonly run: () => void }[] = [
  {
    name: "SubscriptionTrie.matches, matching",
    run: () => {
      for (const data of matching) if (subscriptionTrie.matches(data)) sink++
    },
  },
  {
    name: "SubscriptionTrie.matches, not matching",
    run: () => {
      for (const data of missing) if (subscriptionTrie.matches(data)) sink++
    },
  },
  {
    name: "PipeTrie.match (100 pipes), matching",
    run: () => {
      for (const data of matching) pipeTrie.match(data, () => sink++)
    },
  },
  {
    name: "PipeTrie.match (100 pipes), not matching",
    run: () => {
      for (const data of missing) pipeTrie.match(data, () => sink++)
    },
  },
]

// The timed loops do the same work as the checks: one run visits exactly the expected pipes.
sink = 0
scenarios[2]!.run()
assert.equal(sink, expectedVisits)

const time = Number(process.env.ZL_BENCH_TIME ?? 1000)
const bench = new Bench({ time, warmup: true, warmupTime: Math.min(500, time) })
for (const s of scenarios) bench.add(s.name, s.run)
await bench.run()

const rows = bench.tasks.map((task, i) => {
  const s = scenarios[i]!
  const result = task.result
  if (result === undefined || !("latency" in result)) throw new Error(`${s.name}: no result`)
  const perSecond = (BATCH * 1000) / result.latency.p50!
  return {
    scenario: s.name,
    "matches/s": `${(perSecond / 1e6).toFixed(2)} M`,
    "±%": result.latency.rme.toFixed(1),
  }
})
console.log(`${TOPICS} topics of 8-24 octets, ${BATCH} messages per run`)
console.table(rows)
if (sink < 0) console.log(sink)
