import { describe, expect, it } from "vitest"
import { FakeClock } from "../src/clock.js"

describe("FakeClock", () => {
  it("fires timers in time order, then in the order they were set", () => {
    const clock = new FakeClock()
    const fired: string[] = []
    const restore = clock.install()
    try {
      setTimeout(() => fired.push("b@20"), 20)
      setTimeout(() => fired.push("a@10"), 10)
      setTimeout(() => fired.push("c@10"), 10)
      setTimeout(() => {
        fired.push("d@5")
        // Set while firing and due within the same advance: fires in it.
        setTimeout(() => fired.push("e@15"), 10)
      }, 5)
      clock.advance(9)
      expect(fired).toEqual(["d@5"])
      expect(clock.now).toBe(9)
      clock.advance(11)
      expect(fired).toEqual(["d@5", "a@10", "c@10", "e@15", "b@20"])
      expect(clock.pending).toBe(0)
    } finally {
      restore()
    }
  })

  it("clears timers, counts those pending and runs `between` after each firing", () => {
    const clock = new FakeClock()
    const restore = clock.install()
    const log: string[] = []
    try {
      const t = setTimeout(() => log.push("cleared"), 1)
      setTimeout(() => log.push("kept"), 2)
      expect(clock.pending).toBe(2)
      clearTimeout(t)
      expect(clock.pending).toBe(1)
      clock.between = () => log.push("between")
      clock.advance(5)
      expect(log).toEqual(["kept", "between"])
    } finally {
      restore()
    }
  })

  it("stops a timer that keeps re-arming itself at the same instant", () => {
    const clock = new FakeClock()
    const restore = clock.install()
    try {
      const again = (): void => void setTimeout(again, 0)
      setTimeout(again, 0)
      expect(() => clock.advance(1)).toThrow(/timers fired/)
    } finally {
      restore()
    }
  })

  it("puts the real timers back", async () => {
    const real = globalThis.setTimeout
    const restore = new FakeClock().install()
    expect(globalThis.setTimeout).not.toBe(real)
    restore()
    expect(globalThis.setTimeout).toBe(real)
    await new Promise<void>((resolve) => setTimeout(resolve, 1))
  })
})
