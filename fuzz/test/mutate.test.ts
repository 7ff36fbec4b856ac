import { describe, expect, it } from "vitest"
import {
  BOUNDARY_LENGTHS,
  deleteRange,
  duplicateRange,
  flipBit,
  insertRange,
  MUTATORS,
  type MutationInput,
  mutate,
  rewriteFlags,
  rewriteLength,
  setOctet,
  splice,
  truncate,
  writeField,
} from "../src/mutate.js"
import { Rng } from "../src/prng.js"
import { commandFrame, frame, MAX_INPUT, metadata, prop, StreamBuilder } from "../src/wire.js"

/** A small stream with every kind of field: a short frame, a long one, and a READY with metadata. */
function sample(): MutationInput {
  return new StreamBuilder()
    .push(frame(0x01, new Uint8Array([1, 2, 3])))
    .push(frame(0x00, new Uint8Array(300).fill(7)))
    .push(commandFrame("READY", metadata([prop("Socket-Type", "DEALER")])))
    .build()
}

/** Where a and b first differ, from the front and from the back. */
function diff(a: Uint8Array, b: Uint8Array): { head: number; tail: number } {
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++
  return { head, tail }
}

function readField(bytes: Uint8Array, offset: number, width: number): bigint {
  let v = 0n
  for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(bytes[offset + i]!)
  return v
}

const RUNS = 300

describe("mutators", () => {
  it("never change their input", () => {
    const input = sample()
    const before = [...input.bytes]
    const rng = new Rng(1)
    for (const m of MUTATORS) for (let i = 0; i < 50; i++) m.apply(rng, input, new Uint8Array([9, 9, 9]))
    expect([...input.bytes]).toEqual(before)
  })

  it("flip-bit changes exactly one bit", () => {
    const input = sample()
    const rng = new Rng(2)
    for (let i = 0; i < RUNS; i++) {
      const out = flipBit.apply(rng, input, undefined)
      expect(out.length).toBe(input.bytes.length)
      let bits = 0
      for (let j = 0; j < out.length; j++) {
        let x = out[j]! ^ input.bytes[j]!
        while (x !== 0) {
          bits += x & 1
          x >>= 1
        }
      }
      expect(bits).toBe(1)
    }
  })

  it("set-octet changes at most one octet, mostly to a boundary value", () => {
    const input = sample()
    const rng = new Rng(3)
    for (let i = 0; i < RUNS; i++) {
      const out = setOctet.apply(rng, input, undefined)
      expect(out.length).toBe(input.bytes.length)
      expect(out.filter((b, j) => b !== input.bytes[j]).length).toBeLessThanOrEqual(1)
    }
  })

  it("insert-range adds one contiguous run of octets", () => {
    const input = sample()
    const rng = new Rng(4)
    for (let i = 0; i < RUNS; i++) {
      const out = insertRange.apply(rng, input, undefined)
      const added = out.length - input.bytes.length
      expect(added).toBeGreaterThanOrEqual(1)
      const { head, tail } = diff(input.bytes, out)
      // Everything of the input survives around the inserted run.
      expect(head + tail).toBeGreaterThanOrEqual(input.bytes.length)
    }
  })

  it("delete-range removes one contiguous range", () => {
    const input = sample()
    const rng = new Rng(5)
    for (let i = 0; i < RUNS; i++) {
      const out = deleteRange.apply(rng, input, undefined)
      const removed = input.bytes.length - out.length
      expect(removed).toBeGreaterThanOrEqual(1)
      const { head, tail } = diff(input.bytes, out)
      expect(head + tail).toBeGreaterThanOrEqual(out.length)
    }
    expect(deleteRange.apply(rng, { bytes: new Uint8Array(0), fields: [] }, undefined).length).toBe(0)
  })

  it("duplicate-range inserts copies of a range of the input, nothing else", () => {
    // Octets all distinct: any octet not taken from the input would show.
    const input: MutationInput = { bytes: Uint8Array.from({ length: 100 }, (_, i) => i), fields: [] }
    const rng = new Rng(6)
    for (let i = 0; i < RUNS; i++) {
      const out = duplicateRange.apply(rng, input, undefined)
      expect(out.length).toBeGreaterThan(input.bytes.length)
      const { head, tail } = diff(input.bytes, out)
      expect(head + tail).toBeGreaterThanOrEqual(input.bytes.length)
      expect(out.every((b) => b < 100)).toBe(true)
    }
  })

  it("rewrite-length changes one length field, to a boundary value or one off its value", () => {
    const input = sample()
    const sizes = input.fields.filter((f) => f.kind !== "flags")
    const boundaries = new Set(BOUNDARY_LENGTHS)
    const rng = new Rng(7)
    let seenBoundary = 0
    for (let i = 0; i < RUNS; i++) {
      const out = rewriteLength.apply(rng, input, undefined)
      expect(out.length).toBe(input.bytes.length)
      const changed = [...out].flatMap((b, j) => (b !== input.bytes[j] ? [j] : []))
      const field = sizes.find((f) => changed.every((j) => j >= f.offset && j < f.offset + f.width))
      expect(field).toBeDefined()
      const value = readField(out, field!.offset, field!.width)
      const old = readField(input.bytes, field!.offset, field!.width)
      const mask = (1n << BigInt(8 * field!.width)) - 1n
      const fromBoundary = [...boundaries].some((v) => (v & mask) === value)
      const offByOne = value === ((old + 1n) & mask) || value === old - 1n || (old === 0n && value === 0n)
      expect(fromBoundary || offByOne).toBe(true)
      if (fromBoundary) seenBoundary++
    }
    expect(seenBoundary).toBeGreaterThan(RUNS / 2)
  })

  it("rewrite-flags changes only flags octets", () => {
    const input = sample()
    const flagOffsets = new Set(input.fields.filter((f) => f.kind === "flags").map((f) => f.offset))
    const rng = new Rng(8)
    for (let i = 0; i < RUNS; i++) {
      const out = rewriteFlags.apply(rng, input, undefined)
      out.forEach((b, j) => {
        if (b !== input.bytes[j]) expect(flagOffsets.has(j)).toBe(true)
      })
    }
  })

  it("splice joins a prefix of the input with a suffix of the other", () => {
    const input = sample()
    const other = new Uint8Array(50).map((_, i) => 200 + (i % 50))
    const rng = new Rng(9)
    for (let i = 0; i < RUNS; i++) {
      const out = splice.apply(rng, input, other)
      let cut = 0
      while (cut < out.length && cut < input.bytes.length && out[cut] === input.bytes[cut]) cut++
      // Some cut point leaves the rest as a suffix of `other`.
      let ok = false
      for (let c = 0; c <= cut && !ok; c++) {
        const rest = out.subarray(c)
        ok = rest.length <= other.length && rest.every((b, j) => b === other[other.length - rest.length + j])
      }
      expect(ok).toBe(true)
    }
  })

  it("truncate keeps a prefix", () => {
    const input = sample()
    const rng = new Rng(10)
    for (let i = 0; i < RUNS; i++) {
      const out = truncate.apply(rng, input, undefined)
      expect(out.length).toBeLessThanOrEqual(input.bytes.length)
      expect([...out]).toEqual([...input.bytes.subarray(0, out.length)])
    }
  })

  it("writeField writes big-endian and keeps the low octets of a wider value", () => {
    const b = new Uint8Array(8)
    writeField(b, 0, 8, 2n ** 63n)
    expect([...b]).toEqual([0x80, 0, 0, 0, 0, 0, 0, 0])
    writeField(b, 0, 8, 2n ** 32n - 1n)
    expect([...b]).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])
    const one = new Uint8Array(2)
    writeField(one, 1, 1, 256n)
    expect([...one]).toEqual([0, 0])
    writeField(one, 0, 2, 0x1234n)
    expect([...one]).toEqual([0x12, 0x34])
  })
})

describe("mutate", () => {
  it("is deterministic for a seed and stays within the input size limit", () => {
    const input = sample()
    const a = new Rng(99)
    const b = new Rng(99)
    for (let i = 0; i < 500; i++) {
      const x = mutate(a, input, input.bytes)
      const y = mutate(b, input, input.bytes)
      expect([...x]).toEqual([...y])
      expect(x.length).toBeLessThanOrEqual(MAX_INPUT)
      expect(x).not.toBe(input.bytes)
    }
  })

  it("cuts anything longer than MAX_INPUT", () => {
    const big: MutationInput = { bytes: new Uint8Array(MAX_INPUT), fields: [] }
    const rng = new Rng(3)
    for (let i = 0; i < 200; i++) expect(mutate(rng, big, big.bytes).length).toBeLessThanOrEqual(MAX_INPUT)
  })

  it("changes the input nearly always", () => {
    const input = sample()
    const rng = new Rng(12)
    let same = 0
    for (let i = 0; i < 1000; i++) {
      const out = mutate(rng, input)
      if (out.length === input.bytes.length && out.every((v, j) => v === input.bytes[j])) same++
    }
    // Only a flip and its undo, or a rewrite to the value already there, give the input back.
    expect(same).toBeLessThan(50)
  })
})
