/**
 * The queues under every socket: Deque (a ring buffer) against a plain array as the model, and the
 * two inboxes, FairQueue (round-robin over sources) and ArrivalQueue (arrival order).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Deque } from "../src/deque.js"
import { ArrivalQueue, FairQueue } from "../src/strategies.js"

type DequeOp =
  | { op: "push"; value: number }
  | { op: "pushMany"; count: number }
  | { op: "shift" }
  | { op: "shiftMany"; count: number }
  | { op: "peek" }
  | { op: "removeOdd" }
  | { op: "clear" }

const dequeOp: fc.Arbitrary<DequeOp> = fc.oneof(
  fc.record({ op: fc.constant("push" as const), value: fc.integer() }),
  // Bursts past the capacity where the ring starts shrinking as it drains.
  fc.record({ op: fc.constant("pushMany" as const), count: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ op: fc.constant("shift" as const) }),
  fc.record({ op: fc.constant("shiftMany" as const), count: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ op: fc.constant("peek" as const) }),
  fc.record({ op: fc.constant("removeOdd" as const) }),
  fc.record({ op: fc.constant("clear" as const) }),
)

describe("Deque", () => {
  it("is first in, first out across growth and wrap-around", () => {
    const deque = new Deque<number>()
    let next = 0
    let expected = 0
    // Keep about 5 items in flight while the head wraps round the 8-slot ring many times, then grow.
    for (let round = 0; round < 100; round++) {
      while (next - expected < 5) deque.push(next++)
      expect(deque.shift()).toBe(expected++)
    }
    for (let i = 0; i < 100; i++) deque.push(next++)
    expect(deque.length).toBe(next - expected)
    while (deque.length > 0) expect(deque.shift()).toBe(expected++)
    expect(expected).toBe(next)
    expect(deque.shift()).toBeUndefined()
    expect(deque.peek()).toBeUndefined()
  })

  it("keeps its order through removeWhere, clear and iteration", () => {
    const deque = new Deque<string>()
    for (const s of ["a", "b", "c", "d", "e"]) deque.push(s)
    deque.shift()
    expect(deque.removeWhere((s) => s === "c")).toBe(1)
    expect([...deque]).toEqual(["b", "d", "e"])
    deque.push("f")
    expect(deque.clear()).toEqual(["b", "d", "e", "f"])
    expect(deque.length).toBe(0)
    deque.push("g")
    expect(deque.shift()).toBe("g")
  })

  it("behaves as an array used as a queue, for any sequence of operations", () => {
    fc.assert(
      fc.property(fc.array(dequeOp, { maxLength: 60 }), (ops) => {
        const deque = new Deque<number>()
        const model: number[] = []
        let serial = 0
        for (const step of ops) {
          switch (step.op) {
            case "push":
              deque.push(step.value)
              model.push(step.value)
              break
            case "pushMany":
              for (let i = 0; i < step.count; i++) {
                deque.push(serial)
                model.push(serial++)
              }
              break
            case "shift":
              expect(deque.shift()).toBe(model.shift())
              break
            case "shiftMany":
              for (let i = 0; i < step.count; i++) expect(deque.shift()).toBe(model.shift())
              break
            case "peek":
              expect(deque.peek()).toBe(model[0])
              break
            case "removeOdd": {
              const odd = model.filter((v) => v % 2 !== 0).length
              expect(deque.removeWhere((v) => v % 2 !== 0)).toBe(odd)
              model.splice(0, model.length, ...model.filter((v) => v % 2 === 0))
              break
            }
            case "clear":
              expect(deque.clear()).toEqual(model.splice(0))
              break
          }
          expect(deque.length).toBe(model.length)
        }
        expect([...deque]).toEqual(model)
      }),
      { numRuns: 300 },
    )
  })
})

describe("FairQueue", () => {
  it("takes one item from each source in turn, and names the source of each", () => {
    const queue = new FairQueue<string, number>()
    for (let i = 0; i < 3; i++) queue.push("a", i)
    queue.push("b", 10)
    queue.push("c", 20)
    queue.push("c", 21)
    const taken: string[] = []
    while (queue.length > 0) {
      const item = queue.shift()
      taken.push(`${queue.lastKey}${item}`)
    }
    expect(taken).toEqual(["a0", "b10", "c20", "a1", "c21", "a2"])
    expect(queue.shift()).toBeUndefined()
  })

  it("a source that ran empty rejoins at the back of the ring", () => {
    const queue = new FairQueue<string, number>()
    queue.push("a", 1)
    queue.push("b", 2)
    expect(queue.shift()).toBe(1)
    queue.push("a", 3)
    expect(queue.shift()).toBe(2)
    expect(queue.shift()).toBe(3)
    expect(queue.lastKey).toBe("a")
  })

  it("keeps a live source's state between messages and drops a forgotten one once it is drained", () => {
    const queue = new FairQueue<object, number>()
    const live = {}
    for (let i = 0; i < 1000; i++) {
      queue.push(live, i)
      expect(queue.shift()).toBe(i)
    }
    expect(queue.sourceCount).toBe(1)
    // Sources that come and go, forgotten with items still waiting and forgotten when empty.
    for (let i = 0; i < 100; i++) {
      const departed = {}
      queue.push(departed, i)
      queue.push(departed, i + 1)
      if (i % 2 === 0) queue.forget(departed)
      expect(queue.shift()).toBe(i)
      expect(queue.lastKey).toBe(departed)
      expect(queue.shift()).toBe(i + 1)
      if (i % 2 !== 0) queue.forget(departed)
    }
    expect(queue.sourceCount).toBe(1)
    queue.forget(live)
    expect(queue.sourceCount).toBe(0)
  })
})

describe("ArrivalQueue", () => {
  it("keeps arrival order over every source, with each item's source", () => {
    const queue = new ArrivalQueue<string, number>()
    queue.push("a", 1)
    queue.push("a", 2)
    queue.push("b", 3)
    queue.push("a", 4)
    const taken: string[] = []
    for (let item = queue.shift(); item !== undefined; item = queue.shift())
      taken.push(`${queue.lastKey}${item}`)
    expect(taken).toEqual(["a1", "a2", "b3", "a4"])
    expect(queue.length).toBe(0)
  })
})

describe("replace (a conflating pipe's newest message)", () => {
  for (const [name, make] of [
    ["FairQueue", () => new FairQueue<string, number>()],
    ["ArrivalQueue", () => new ArrivalQueue<string, number>()],
  ] as const) {
    it(`${name}: the source's waiting items become the new one alone, in the first one's place`, () => {
      const queue = make()
      expect(queue.replace("a", 0)).toBe(false)
      expect(queue.length).toBe(0)
      queue.push("a", 1)
      queue.push("b", 2)
      queue.push("a", 3)
      expect(queue.replace("a", 9)).toBe(true)
      expect(queue.length).toBe(2)
      const taken: string[] = []
      for (let item = queue.shift(); item !== undefined; item = queue.shift())
        taken.push(`${queue.lastKey}${item}`)
      expect(taken).toEqual(["a9", "b2"])
      expect(queue.replace("a", 4)).toBe(false)
    })
  }
})
