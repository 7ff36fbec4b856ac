/**
 * SubscriptionTrie (SUB/XSUB's own topics, reference-counted) and PipeTrie (PUB/XPUB's topics to
 * subscribers): unit tests, then a fast-check property against a naive list implementation.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PipeTrie, SubscriptionTrie } from "../src/index.js"
import { ascii, text } from "./helpers.js"

/** The trie's root node, to check that removals prune what no longer leads to a topic. */
function rootChildren(trie: SubscriptionTrie | PipeTrie<object>): number {
  const root = (trie as unknown as { tree: { root: { children: Map<number, unknown> | undefined } } }).tree
    .root
  return root.children?.size ?? 0
}

function matched(trie: PipeTrie<Pipe>, data: string): string[] {
  const out: string[] = []
  trie.match(ascii(data), (pipe) => out.push(pipe.name))
  return out.sort()
}

interface Pipe {
  readonly name: string
}

describe("SubscriptionTrie", () => {
  it("counts subscriptions per topic: add is true the first time, remove true on the last", () => {
    const trie = new SubscriptionTrie()
    expect(trie.add(ascii("news"))).toBe(true)
    expect(trie.add(ascii("news"))).toBe(false)
    expect(trie.add(ascii("new"))).toBe(true)
    expect(trie.size).toBe(2)
    expect(trie.remove(ascii("news"))).toBe(false)
    expect(trie.matches(ascii("news!"))).toBe(true)
    expect(trie.remove(ascii("news"))).toBe(true)
    expect(trie.size).toBe(1)
    // "new" still matches "news!" as a prefix.
    expect(trie.matches(ascii("news!"))).toBe(true)
    expect(trie.remove(ascii("new"))).toBe(true)
    expect(trie.matches(ascii("news!"))).toBe(false)
    expect(trie.size).toBe(0)
  })

  it("remove is false for a topic that is not subscribed, including a prefix of one", () => {
    const trie = new SubscriptionTrie()
    trie.add(ascii("abc"))
    expect(trie.remove(ascii("ab"))).toBe(false)
    expect(trie.remove(ascii("abcd"))).toBe(false)
    expect(trie.remove(ascii("x"))).toBe(false)
    expect(trie.remove(new Uint8Array(0))).toBe(false)
    expect(trie.size).toBe(1)
    expect(trie.matches(ascii("abc"))).toBe(true)
  })

  it("matches by prefix, octet by octet", () => {
    const trie = new SubscriptionTrie()
    trie.add(ascii("ab"))
    trie.add(Uint8Array.of(0, 255))
    expect(trie.matches(ascii("ab"))).toBe(true)
    expect(trie.matches(ascii("abc"))).toBe(true)
    expect(trie.matches(ascii("a"))).toBe(false)
    expect(trie.matches(ascii("b"))).toBe(false)
    expect(trie.matches(new Uint8Array(0))).toBe(false)
    expect(trie.matches(Uint8Array.of(0, 255, 1))).toBe(true)
    expect(trie.matches(Uint8Array.of(0, 254))).toBe(false)
  })

  it("the empty topic matches everything, the empty message too", () => {
    const trie = new SubscriptionTrie()
    expect(trie.add(new Uint8Array(0))).toBe(true)
    expect(trie.matches(new Uint8Array(0))).toBe(true)
    expect(trie.matches(ascii("anything"))).toBe(true)
    expect(trie.topicsList().map(text)).toEqual([""])
    expect(trie.remove(new Uint8Array(0))).toBe(true)
    expect(trie.matches(ascii("anything"))).toBe(false)
  })

  it("prunes nodes that no longer lead to a topic, and keeps those that do", () => {
    const trie = new SubscriptionTrie()
    trie.add(ascii("abc"))
    trie.remove(ascii("abc"))
    expect(rootChildren(trie)).toBe(0)
    trie.add(ascii("ab"))
    trie.add(ascii("abcd"))
    trie.add(ascii("x"))
    trie.remove(ascii("abcd"))
    expect(trie.topicsList().map(text).sort()).toEqual(["ab", "x"])
    expect(trie.matches(ascii("abc"))).toBe(true)
    trie.remove(ascii("ab"))
    expect(rootChildren(trie)).toBe(1)
    trie.remove(ascii("x"))
    expect(rootChildren(trie)).toBe(0)
  })

  it("lists each distinct topic once", () => {
    const trie = new SubscriptionTrie()
    for (const topic of ["b", "a", "ab", "a", ""]) trie.add(ascii(topic))
    expect(trie.topicsList().map(text).sort()).toEqual(["", "a", "ab", "b"])
  })
})

describe("PipeTrie", () => {
  const p1: Pipe = { name: "p1" }
  const p2: Pipe = { name: "p2" }
  const p3: Pipe = { name: "p3" }

  it("add is true for a topic's first subscriber; a pipe counts once per topic", () => {
    const trie = new PipeTrie<Pipe>()
    expect(trie.add(ascii("t"), p1)).toBe(true)
    expect(trie.add(ascii("t"), p1)).toBe(false)
    expect(trie.add(ascii("t"), p2)).toBe(false)
    // p1 subscribed twice, but one remove takes it off (libzmq's mtrie holds a set of pipes).
    expect(trie.remove(ascii("t"), p1)).toBe(false)
    expect(matched(trie, "t")).toEqual(["p2"])
    expect(trie.remove(ascii("t"), p2)).toBe(true)
    expect(matched(trie, "t")).toEqual([])
    expect(rootChildren(trie)).toBe(0)
  })

  it("remove is false for a pipe or a topic that is not subscribed", () => {
    const trie = new PipeTrie<Pipe>()
    trie.add(ascii("abc"), p1)
    expect(trie.remove(ascii("abc"), p2)).toBe(false)
    expect(trie.remove(ascii("ab"), p1)).toBe(false)
    expect(trie.remove(ascii("abcd"), p1)).toBe(false)
    expect(matched(trie, "abc")).toEqual(["p1"])
  })

  it("matches every pipe subscribed to a prefix; the empty topic matches everything", () => {
    const trie = new PipeTrie<Pipe>()
    trie.add(ascii("a"), p1)
    trie.add(ascii("ab"), p2)
    trie.add(new Uint8Array(0), p3)
    expect(matched(trie, "abc")).toEqual(["p1", "p2", "p3"])
    expect(matched(trie, "ax")).toEqual(["p1", "p3"])
    expect(matched(trie, "")).toEqual(["p3"])
    expect(matched(trie, "b")).toEqual(["p3"])
  })

  it("visits a pipe once per matching topic (callers dedupe)", () => {
    const trie = new PipeTrie<Pipe>()
    trie.add(ascii("a"), p1)
    trie.add(ascii("ab"), p1)
    expect(matched(trie, "abc")).toEqual(["p1", "p1"])
    expect(matched(trie, "ax")).toEqual(["p1"])
  })

  it("removePipe drops every subscription of a pipe and reports the topics left without subscribers", () => {
    const trie = new PipeTrie<Pipe>()
    trie.add(ascii("a"), p1)
    trie.add(ascii("ab"), p1)
    trie.add(ascii("b"), p1)
    trie.add(ascii("a"), p2)
    trie.add(ascii("c"), p2)
    const gone: string[] = []
    const all = trie.removePipe(p1, (topic) => gone.push(text(topic)))
    expect(gone.sort()).toEqual(["ab", "b"])
    expect(all.map(text).sort()).toEqual(["a", "ab", "b"])
    expect(matched(trie, "abc")).toEqual(["p2"])
    expect(matched(trie, "b")).toEqual([])
    expect(trie.removePipe(p1)).toEqual([])
    trie.removePipe(p2, (topic) => gone.push(text(topic)))
    expect(gone.sort()).toEqual(["a", "ab", "b", "c"])
    expect(rootChildren(trie)).toBe(0)
  })
})

// ---- property: the tries against naive lists -----------------------------------------------------

/** Short topics over three octet values, so that prefixes and repeats are common. */
const topicArb = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 4 }).map((a) => Uint8Array.from(a))
const PIPES = 3

type Op =
  | { readonly kind: "add"; readonly topic: Uint8Array; readonly pipe: number }
  | { readonly kind: "remove"; readonly topic: Uint8Array; readonly pipe: number }
  | { readonly kind: "removePipe"; readonly pipe: number }
  | { readonly kind: "match"; readonly data: Uint8Array }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("add" as const), topic: topicArb, pipe: fc.nat(PIPES - 1) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("remove" as const), topic: topicArb, pipe: fc.nat(PIPES - 1) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removePipe" as const), pipe: fc.nat(PIPES - 1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("match" as const),
      data: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 6 }).map((a) => Uint8Array.from(a)),
    }),
  },
)

const key = (bytes: Uint8Array): string => [...bytes].join(",")
const isPrefix = (topic: Uint8Array, data: Uint8Array): boolean =>
  topic.length <= data.length && topic.every((b, i) => data[i] === b)

/** Every node of a trie, and the octets its labels hold, walked without recursion. */
function shape(trie: SubscriptionTrie | PipeTrie<object>): {
  nodes: number
  octets: number
  backing: number
} {
  interface Node {
    label: Uint8Array
    children: Map<number, Node> | undefined
  }
  const root = (trie as unknown as { tree: { root: Node } }).tree.root
  let nodes = 0
  let octets = 0
  let backing = 0
  const stack = [root]
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    nodes++
    octets += node.label.length
    backing += node.label.buffer.byteLength
    if (node.children !== undefined) stack.push(...node.children.values())
  }
  return { nodes, octets, backing }
}

describe("tries with topics a hostile peer sends", () => {
  const MB = 1 << 20
  const long = (length: number, fill = 0x61): Uint8Array => new Uint8Array(length).fill(fill)

  it("a 1 MB topic is one node holding its octets once, and every operation on it returns", () => {
    const subs = new SubscriptionTrie()
    const topic = long(MB)
    expect(subs.add(topic)).toBe(true)
    expect(shape(subs)).toEqual({ nodes: 2, octets: MB, backing: MB })
    expect(subs.matches(long(MB + 1))).toBe(true)
    expect(subs.matches(long(MB - 1))).toBe(false)
    expect(subs.topicsList().map((t) => t.length)).toEqual([MB])
    expect(subs.remove(topic)).toBe(true)
    expect(shape(subs)).toEqual({ nodes: 1, octets: 0, backing: 0 })

    const pipes = new PipeTrie<Pipe>()
    const pipe = { name: "a" }
    expect(pipes.add(topic, pipe)).toBe(true)
    expect(matched(pipes, "a".repeat(MB))).toEqual(["a"])
    const gone: number[] = []
    expect(pipes.removePipe(pipe, (t) => gone.push(t.length)).map((t) => t.length)).toEqual([MB])
    expect(gone).toEqual([MB])
    expect(shape(pipes).nodes).toBe(1)
  })

  it("topics splitting a long edge copy only their own octets, and a removal keeps no stale buffer", () => {
    const trie = new SubscriptionTrie()
    trie.add(long(MB))
    // Every prefix length from 1 to 1,000 splits the long edge once more.
    for (let length = 1; length <= 1000; length++) trie.add(long(length))
    expect(shape(trie).octets).toBe(MB)
    // The long topic's node still views its one copy; each split node holds a copy of its own octet.
    expect(shape(trie).backing).toBe(MB + 1000)
    trie.remove(long(MB))
    // The million octets are released with the long topic.
    expect(shape(trie)).toEqual({ nodes: 1001, octets: 1000, backing: 1000 })
    for (let length = 1; length <= 1000; length++) expect(trie.matches(long(length))).toBe(true)
    for (let length = 1; length <= 1000; length++) trie.remove(long(length))
    expect(shape(trie)).toEqual({ nodes: 1, octets: 0, backing: 0 })
  })

  it("a subscriber leaving costs its own subscriptions: 10,000 other pipes' topics are not visited", () => {
    const trie = new PipeTrie<Pipe>()
    for (let i = 0; i < 10_000; i++) trie.add(ascii(`topic-${i}`), { name: `p${i}` })
    const leaving = { name: "leaving" }
    trie.add(ascii("topic-1"), leaving)
    trie.add(ascii("mine"), leaving)
    const gone: string[] = []
    expect(trie.removePipe(leaving, (t) => gone.push(text(t))).map(text)).toEqual(["topic-1", "mine"])
    expect(gone).toEqual(["mine"])
    expect(matched(trie, "topic-1")).toEqual(["p1"])
    expect(trie.removePipe(leaving)).toEqual([])
  })
})

describe("tries against a naive implementation (fast-check, 5,000 runs)", () => {
  it("SubscriptionTrie: add/remove results, matches and topicsList agree with a counted list", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const trie = new SubscriptionTrie()
        const counts = new Map<string, { topic: Uint8Array; count: number }>()
        for (const op of ops) {
          if (op.kind === "add") {
            const entry = counts.get(key(op.topic)) ?? { topic: op.topic, count: 0 }
            entry.count++
            counts.set(key(op.topic), entry)
            expect(trie.add(op.topic)).toBe(entry.count === 1)
          } else if (op.kind === "remove") {
            const entry = counts.get(key(op.topic))
            const last = entry !== undefined && entry.count === 1
            if (entry !== undefined && --entry.count === 0) counts.delete(key(op.topic))
            expect(trie.remove(op.topic)).toBe(last)
          } else if (op.kind === "match") {
            const naive = [...counts.values()].some((e) => isPrefix(e.topic, op.data))
            expect(trie.matches(op.data)).toBe(naive)
          }
          expect(trie.size).toBe(counts.size)
        }
        expect(trie.topicsList().map(key).sort()).toEqual([...counts.keys()].sort())
      }),
      { numRuns: 5000 },
    )
  })

  it("PipeTrie: add/remove/removePipe results and match agree with a list of (topic, pipe) pairs", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const pipes: Pipe[] = Array.from({ length: PIPES }, (_, i) => ({ name: `p${i}` }))
        const trie = new PipeTrie<Pipe>()
        let pairs: { topic: Uint8Array; pipe: number }[] = []
        const has = (topic: Uint8Array, pipe?: number) =>
          pairs.some((p) => key(p.topic) === key(topic) && (pipe === undefined || p.pipe === pipe))
        for (const op of ops) {
          if (op.kind === "add") {
            const first = !has(op.topic)
            if (!has(op.topic, op.pipe)) pairs.push({ topic: op.topic, pipe: op.pipe })
            expect(trie.add(op.topic, pipes[op.pipe]!)).toBe(first)
          } else if (op.kind === "remove") {
            const was = has(op.topic, op.pipe)
            pairs = pairs.filter((p) => !(key(p.topic) === key(op.topic) && p.pipe === op.pipe))
            expect(trie.remove(op.topic, pipes[op.pipe]!)).toBe(was && !has(op.topic))
          } else if (op.kind === "removePipe") {
            const mine = pairs.filter((p) => p.pipe === op.pipe).map((p) => key(p.topic))
            pairs = pairs.filter((p) => p.pipe !== op.pipe)
            const lastGone = mine.filter((topic) => !pairs.some((p) => key(p.topic) === topic))
            const reported: string[] = []
            const all = trie.removePipe(pipes[op.pipe]!, (topic) => reported.push(key(topic)))
            expect(reported.sort()).toEqual(lastGone.sort())
            expect(all.map(key).sort()).toEqual(mine.sort())
          } else {
            const naive = new Set(pairs.filter((p) => isPrefix(p.topic, op.data)).map((p) => `p${p.pipe}`))
            const seen = new Set<string>()
            trie.match(op.data, (pipe) => seen.add(pipe.name))
            expect([...seen].sort()).toEqual([...naive].sort())
          }
        }
      }),
      { numRuns: 5000 },
    )
  })
})
