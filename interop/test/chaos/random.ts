/**
 * A small seeded pseudo-random generator for the chaos tests: the same seed gives the same split
 * points, delays, stalls and cuts, so a failing cell can be replayed with the seed it names.
 *
 * The state is 32 bits, advanced by a Weyl sequence and mixed by two multiply-xorshift rounds (the
 * structure of the widely used 32-bit "splitmix"-style mixers). Statistical quality only needs to be
 * good enough that fault positions are spread out; speed and determinism are what matter.
 */
export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0
    let z = this.state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return ((z ^ (z >>> 16)) >>> 0) / 0x1_0000_0000
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!
  }

  /**
   * An independent generator for one part of a run (a connection, a direction), derived from this
   * seed and `tag` without consuming from this generator: the faults of connection 3 do not depend on
   * how many random numbers connection 2 happened to draw.
   */
  derive(...tags: number[]): Random {
    let h = this.state ^ 0x2545f491
    for (const tag of tags) {
      h = Math.imul(h ^ (tag >>> 0), 0x9e3779b1)
      h ^= h >>> 15
    }
    return new Random(h)
  }
}
