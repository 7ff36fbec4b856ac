/**
 * A fake clock for synchronous targets: while installed, `setTimeout` and `clearTimeout` are its own,
 * so that timers fire when the target advances time (in order, exceptions propagating to the
 * caller) and timers left behind can be counted.
 */

/** Firings allowed in one `advance`: far more than any heartbeat schedule needs. */
const MAX_FIRINGS = 100_000

interface Timer {
  readonly id: number
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

/** What the fake `setTimeout` returns: a handle with Node's `ref`/`unref`, which do nothing here. */
class Handle {
  readonly id: number
  constructor(id: number) {
    this.id = id
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  hasRef(): boolean {
    return true
  }
}

/**
 * @example
 * ```ts
 * const clock = new FakeClock()
 * const restore = clock.install()
 * try { engine.start(); clock.advance(30_000) } finally { restore() }
 * ```
 */
export class FakeClock {
  private time = 0
  private seq = 0
  private readonly timers = new Map<number, Timer>()
  /**
   * Runs after each timer fires, standing for the microtasks and immediates the event loop runs
   * between two timers (a transport's close report, for example).
   */
  between: (() => void) | undefined

  /** Milliseconds since the clock was made. */
  get now(): number {
    return this.time
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.timers.size
  }

  /** Replaces the global `setTimeout` and `clearTimeout`; returns the function that puts them back. */
  install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>
    const saved = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout }
    g.setTimeout = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const id = ++this.seq
      const delay = Number.isFinite(ms) && (ms as number) > 0 ? (ms as number) : 0
      this.timers.set(id, { id, at: this.time + delay, seq: id, fn: () => fn(...args) })
      return new Handle(id)
    }
    g.clearTimeout = (handle: unknown) => {
      if (handle instanceof Handle) this.timers.delete(handle.id)
    }
    return () => {
      g.setTimeout = saved.setTimeout
      g.clearTimeout = saved.clearTimeout
    }
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, earliest first (timers set while
   * firing included). An exception from a timer propagates, as it would reach the event loop.
   */
  advance(ms: number): void {
    const until = this.time + ms
    for (let fired = 0; ; fired++) {
      // A timer that keeps re-arming itself at the same instant would spin here for ever.
      if (fired > MAX_FIRINGS) throw new Error(`more than ${MAX_FIRINGS} timers fired within ${ms} ms`)
      let next: Timer | undefined
      for (const t of this.timers.values()) {
        if (t.at <= until && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t
      }
      if (next === undefined) break
      this.timers.delete(next.id)
      this.time = next.at
      next.fn()
      this.between?.()
    }
    this.time = until
  }
}
