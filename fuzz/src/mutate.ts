/**
 * Mutators: each takes an input (with the positions of its length and flags fields) and returns a
 * changed copy, never touching its argument. `mutate` applies a few of them in a row.
 */
import type { Rng } from "./prng.js"
import { type Field, Flag, MAX_INPUT, RESERVED_FLAGS } from "./wire.js"

/** Octet values where signed, unsigned and ASCII interpretations disagree. */
export const BOUNDARY_OCTETS = [0x00, 0x01, 0x02, 0x04, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff] as const

/**
 * Values a length field is rewritten to (truncated to the field's width): the short/long frame
 * switch, the signed and unsigned 32-bit limits, the largest safe integer of a double and the 64-bit
 * sign bit.
 */
export const BOUNDARY_LENGTHS: readonly bigint[] = [
  0n,
  1n,
  254n,
  255n,
  256n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
]

/** What a mutator works on. */
export interface MutationInput {
  readonly bytes: Uint8Array
  readonly fields: readonly Field[]
}

/** One mutation: a name for statistics and the function. `other` is a second input, for splicing. */
export interface Mutator {
  readonly name: string
  /** It reads `fields`: it must run before any mutator that shifts octets. */
  readonly usesFields: boolean
  /** It moves octets (inserts, deletes or cuts), so that `fields` no longer point where they did. */
  readonly shifts: boolean
  apply(rng: Rng, input: MutationInput, other: Uint8Array | undefined): Uint8Array
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

/** A random range `[start, end)` inside `length` octets, small-biased in size, at least 1 octet. */
function range(rng: Rng, length: number): [number, number] {
  const size = Math.max(1, Math.min(length, 1 + rng.size(length - 1)))
  const start = rng.below(length - size + 1)
  return [start, start + size]
}

/** Writes `value` big-endian into `width` octets at `offset` (its low octets when it is wider). */
export function writeField(bytes: Uint8Array, offset: number, width: number, value: bigint): void {
  let v = value
  for (let i = width - 1; i >= 0; i--) {
    if (offset + i < bytes.length) bytes[offset + i] = Number(v & 0xffn)
    v >>= 8n
  }
}

export const flipBit: Mutator = {
  name: "flip-bit",
  usesFields: false,
  shifts: false,
  apply(rng, { bytes }) {
    const out = copy(bytes)
    if (out.length > 0) out[rng.below(out.length)]! ^= 1 << rng.below(8)
    return out
  },
}

export const setOctet: Mutator = {
  name: "set-octet",
  usesFields: false,
  shifts: false,
  apply(rng, { bytes }) {
    const out = copy(bytes)
    if (out.length > 0)
      out[rng.below(out.length)] = rng.chance(0.8) ? rng.pick(BOUNDARY_OCTETS) : rng.below(256)
    return out
  },
}

export const insertRange: Mutator = {
  name: "insert-range",
  usesFields: false,
  shifts: true,
  apply(rng, { bytes }) {
    const at = rng.below(bytes.length + 1)
    const size = 1 + rng.size(rng.chance(0.05) ? 4096 : 32)
    const out = new Uint8Array(bytes.length + size)
    out.set(bytes.subarray(0, at), 0)
    const filler = rng.below(3)
    for (let i = 0; i < size; i++) out[at + i] = filler === 0 ? rng.below(256) : filler === 1 ? 0 : 0xff
    out.set(bytes.subarray(at), at + size)
    return out
  },
}

export const deleteRange: Mutator = {
  name: "delete-range",
  usesFields: false,
  shifts: true,
  apply(rng, { bytes }) {
    if (bytes.length === 0) return copy(bytes)
    const [start, end] = range(rng, bytes.length)
    const out = new Uint8Array(bytes.length - (end - start))
    out.set(bytes.subarray(0, start), 0)
    out.set(bytes.subarray(end), start)
    return out
  },
}

export const duplicateRange: Mutator = {
  name: "duplicate-range",
  usesFields: false,
  shifts: true,
  apply(rng, { bytes }) {
    if (bytes.length === 0) return copy(bytes)
    const [start, end] = range(rng, bytes.length)
    const at = rng.below(bytes.length + 1)
    const piece = bytes.subarray(start, end)
    const times = rng.chance(0.1) ? 1 + rng.below(16) : 1
    const out = new Uint8Array(bytes.length + piece.length * times)
    out.set(bytes.subarray(0, at), 0)
    for (let i = 0; i < times; i++) out.set(piece, at + i * piece.length)
    out.set(bytes.subarray(at), at + piece.length * times)
    return out
  },
}

export const rewriteLength: Mutator = {
  name: "rewrite-length",
  usesFields: true,
  shifts: false,
  apply(rng, { bytes, fields }) {
    const out = copy(bytes)
    const sizes = fields.filter((f) => f.kind !== "flags")
    if (sizes.length === 0) return out
    const field = rng.pick(sizes)
    let value = rng.pick(BOUNDARY_LENGTHS)
    // Off by one from the true value, the classic bound error, a quarter of the time.
    if (rng.chance(0.25)) {
      let current = 0n
      for (let i = 0; i < field.width; i++) current = (current << 8n) | BigInt(out[field.offset + i] ?? 0)
      value = current + (rng.chance(0.5) ? 1n : -1n)
      if (value < 0n) value = 0n
    }
    writeField(out, field.offset, field.width, value)
    return out
  },
}

export const rewriteFlags: Mutator = {
  name: "rewrite-flags",
  usesFields: true,
  shifts: false,
  apply(rng, { bytes, fields }) {
    const out = copy(bytes)
    const flags = fields.filter((f) => f.kind === "flags")
    if (flags.length === 0) return out
    const at = rng.pick(flags).offset
    if (at >= out.length) return out
    switch (rng.below(5)) {
      case 0:
        out[at]! ^= Flag.MORE
        break
      case 1:
        // LONG without changing the size octets: the size is read from the next 8 octets.
        out[at]! ^= Flag.LONG
        break
      case 2:
        out[at]! ^= Flag.COMMAND
        break
      case 3:
        out[at]! |= rng.below(256) & RESERVED_FLAGS
        break
      default:
        out[at] = rng.below(256)
    }
    return out
  },
}

export const splice: Mutator = {
  name: "splice",
  usesFields: false,
  shifts: true,
  apply(rng, { bytes }, other) {
    if (other === undefined || other.length === 0) return copy(bytes)
    const cut = rng.below(bytes.length + 1)
    const from = rng.below(other.length + 1)
    const out = new Uint8Array(cut + other.length - from)
    out.set(bytes.subarray(0, cut), 0)
    out.set(other.subarray(from), cut)
    return out
  },
}

export const truncate: Mutator = {
  name: "truncate",
  usesFields: false,
  shifts: true,
  apply(rng, { bytes }) {
    return bytes.slice(0, rng.below(bytes.length + 1))
  },
}

/** Every mutator, in a fixed order (the order is part of what a seed means). */
export const MUTATORS: readonly Mutator[] = [
  flipBit,
  setOctet,
  insertRange,
  deleteRange,
  duplicateRange,
  rewriteLength,
  rewriteFlags,
  splice,
  truncate,
]

const FIELD_REWRITES = MUTATORS.filter((m) => m.usesFields)
/** Once octets have moved, field rewrites would hit the wrong octets: these are left. */
const OTHERS = MUTATORS.filter((m) => !m.usesFields)

/**
 * Applies 1 to 8 mutations (1 or 2 most of the time). Field rewrites can only come before the first
 * mutation that moves octets, so that they hit real fields. The result is at most {@link MAX_INPUT}.
 */
export function mutate(rng: Rng, input: MutationInput, other?: Uint8Array): Uint8Array {
  const count = 1 + rng.size(7)
  let bytes = input.bytes
  let shifted = false
  for (let i = 0; i < count; i++) {
    // Field rewrites are where structure pays off; they get a third of the draws while they can run.
    const mutator = !shifted && rng.chance(0.35) ? rng.pick(FIELD_REWRITES) : rng.pick(OTHERS)
    if (mutator.shifts) shifted = true
    bytes = mutator.apply(rng, { bytes, fields: input.fields }, other)
  }
  if (bytes === input.bytes) bytes = copy(bytes)
  return bytes.length > MAX_INPUT ? bytes.subarray(0, MAX_INPUT) : bytes
}
