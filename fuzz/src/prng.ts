/**
 * The harness's only source of randomness: a seeded sfc32 generator. Every input, chunking and
 * scheduling choice comes from one of these, so the same seed gives the same run.
 */

const TWO_POW_32 = 2 ** 32

/** Mixes a 32-bit value (splitmix32's finaliser): nearby seeds give unrelated streams. */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/**
 * A 32-bit seed derived from several parts (numbers and strings), e.g. the run's seed and a target's
 * name: each target draws from its own stream, so adding a target never changes another's inputs.
 */
export function deriveSeed(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5
  for (const part of parts) {
    const text = typeof part === "number" ? `#${part >>> 0}` : `$${part}`
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
    h = mix32(h)
  }
  return h >>> 0
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast chaotic generator): 128 bits of state, passes PractRand
 * far beyond what a fuzz run draws, and needs only 32-bit integer arithmetic.
 *
 * @example
 * ```ts
 * const rng = new Rng(42)
 * const size = rng.below(256)
 * ```
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    this.a = mix32(seed)
    this.b = mix32(this.a ^ 0x6a09e667)
    this.c = mix32(this.b ^ 0xbb67ae85)
    this.d = 1
    // The first outputs of sfc32 still show the seed's structure; 12 rounds wash it out.
    for (let i = 0; i < 12; i++) this.next()
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** A uniform integer in [0, n), for 1 <= n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.next() / TWO_POW_32) * n)
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1)
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p * TWO_POW_32
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!
  }

  /**
   * A size biased to small values: each of `max`'s bit lengths is equally likely, so 0-15 is drawn
   * as often as 32 768-65 535. Fuzzing finds most bugs at small sizes and the rest at boundaries.
   */
  size(max: number): number {
    if (!(max > 0)) return 0
    const bits = 32 - Math.clz32(max)
    const top = 2 ** this.below(bits + 1)
    return Math.min(max, this.below(top))
  }

  /** `n` random octets. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let i = 0
    for (; i + 4 <= n; i += 4) {
      const v = this.next()
      out[i] = v
      out[i + 1] = v >>> 8
      out[i + 2] = v >>> 16
      out[i + 3] = v >>> 24
    }
    for (; i < n; i++) out[i] = this.next()
    return out
  }

  /** A new generator seeded from this one: a sub-stream whose length does not shift this one's. */
  fork(): Rng {
    return new Rng(this.next())
  }
}
