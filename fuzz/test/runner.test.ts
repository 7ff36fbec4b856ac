import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ZmtpError } from "@zl/codec"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { toHex } from "../src/bytes.js"
import { measured, readCrashFile, replay, runFuzz, signatureOf, stackTop } from "../src/runner.js"
import { check, expectTyped, type FuzzInput, type Target } from "../src/target.js"

/** A target of random octets (1 to 64), with `run` given. */
function target(name: string, run: Target["run"], extra: Partial<Target> = {}): Target {
  return {
    name,
    description: `test target ${name}`,
    generate: (rng) => ({ data: rng.bytes(1 + rng.size(63)), seed: rng.next() }),
    run,
    ...extra,
  }
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "zl-fuzz-"))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("runFuzz", () => {
  it("reports, shrinks, saves and stops at a TypeError, and the saved file replays it", async () => {
    const boom = target("boom", (input) => {
      if (input.data.includes(0x42)) throw new TypeError("octet 0x42 seen")
    })
    const lines: string[] = []
    const report = await runFuzz({
      seed: 1,
      iterations: 10_000,
      targetList: [boom],
      crashDir: dir,
      log: (l) => lines.push(l),
    })
    expect(report.crashes).toHaveLength(1)
    const crash = report.crashes[0]!
    expect(crash.kind).toBe("exception")
    expect(crash.target).toBe("boom")
    expect((crash.error as Error).message).toBe("octet 0x42 seen")
    // The run stopped at the crash.
    expect(report.targets[0]!.inputs).toBe(crash.iteration + 1)
    // Shrinking removes every octet but the one that matters.
    expect(toHex(crash.shrunk!)).toBe("42")
    expect(lines).toContain(`CRASH (exception) in target boom, seed 1, iteration ${crash.iteration}`)
    expect(lines).toContain("  hex: 42")
    // The error was captured again with its stack, although inputs run without stack traces.
    expect((crash.error as Error).stack).toContain("runner.test.ts")
    const files = readdirSync(dir)
    expect(files).toHaveLength(1)
    const text = readFileSync(join(dir, files[0]!), "utf8")
    expect(text).toContain("target: boom")
    expect(text).toContain("kind: exception")
    expect(text).toContain(`original: ${toHex(crash.input.data)}`)
    expect(readCrashFile(text).input.data).toEqual(new Uint8Array([0x42]))
    const again = await replay(text, { targetList: [boom] })
    expect(again.error).toBeInstanceOf(TypeError)
    const fine = await replay("00 01 02", { target: "boom", targetList: [boom] })
    expect(fine.error).toBeUndefined()
  })

  it("keeps going past a crash when asked, reporting each distinct one once", async () => {
    const two = target("two", (input) => {
      if (input.data[0]! < 8) throw new TypeError("low")
      if (input.data[0]! > 248) throw new RangeError("high")
    })
    const report = await runFuzz({
      seed: 2,
      iterations: 3000,
      targetList: [two],
      crashDir: null,
      keepGoing: true,
      shrink: false,
    })
    expect(report.crashes.map((c) => (c.error as Error).name).sort()).toEqual(["RangeError", "TypeError"])
    expect(report.targets[0]!.inputs).toBe(3000)
  })

  it("takes typed errors handled by the target as data, and one that escapes as a crash", async () => {
    const handled = target("handled", () => {
      const r = expectTyped(() => {
        throw new ZmtpError("ZMTP_ERR_BAD_SIZE", "too big")
      })
      check(!r.ok && r.code === "ZMTP_ERR_BAD_SIZE", "the typed error was not seen")
    })
    expect(
      (await runFuzz({ seed: 3, iterations: 500, targetList: [handled], crashDir: null })).crashes,
    ).toEqual([])
    const untyped = target("untyped", () => {
      expectTyped(() => {
        throw new Error("plain")
      })
    })
    const r2 = await runFuzz({
      seed: 3,
      iterations: 500,
      targetList: [untyped],
      crashDir: null,
      shrink: false,
    })
    expect(r2.crashes.map((c) => c.kind)).toEqual(["exception"])
    const escaped = target("escaped", () => {
      throw new ZmtpError("ZMTP_ERR_BAD_SIZE", "out of a callback")
    })
    const r3 = await runFuzz({
      seed: 3,
      iterations: 10,
      targetList: [escaped],
      crashDir: null,
      shrink: false,
    })
    expect(r3.crashes.map((c) => c.kind)).toEqual(["exception"])
  })

  it("reports a broken harness check as a violation", async () => {
    const strict = target("strict", (input) => check(input.data.length < 60, "input too long"))
    const r = await runFuzz({ seed: 4, iterations: 5000, targetList: [strict], crashDir: null })
    expect(r.crashes.map((c) => c.kind)).toEqual(["violation"])
    expect(r.crashes[0]!.shrunk!.length).toBe(60)
  })

  it("fails a run whose heap keeps growing after gc", async () => {
    const kept: Uint8Array[][] = []
    const leak = target("leak", () => {
      // Small arrays live on the heap itself: 256 KiB of them per input.
      kept.push(Array.from({ length: 4096 }, () => new Uint8Array(16)))
    })
    const r = await runFuzz({
      seed: 5,
      iterations: 400,
      targetList: [leak],
      crashDir: null,
      heapLimitMiB: 16,
      gcEvery: 20,
    })
    kept.length = 0
    expect(r.crashes.map((c) => c.kind)).toEqual(["heap-growth"])
    expect((r.crashes[0]!.error as Error).message).toMatch(/grew by/)
  })

  it("fails an input that holds far more heap than its size at its checkpoint", async () => {
    const big = (fat: boolean): Target => ({
      name: fat ? "fat" : "lean",
      description: "large inputs",
      generate: (rng) => ({ data: new Uint8Array(20_000), seed: rng.next() }),
      run(_input, context) {
        const hold = fat ? Array.from({ length: 100_000 }, (_, i) => ({ i })) : []
        context.checkpoint()
        return void hold.length
      },
    })
    const fat = await runFuzz({
      seed: 6,
      iterations: 200,
      targetList: [big(true)],
      crashDir: null,
      shrink: false,
    })
    expect(fat.crashes.map((c) => c.kind)).toEqual(["heap-amplification"])
    expect(measured(fat.crashes[0]!.input)).toBe(true)
    const lean = await runFuzz({ seed: 6, iterations: 200, targetList: [big(false)], crashDir: null })
    expect(lean.crashes).toEqual([])
  })

  it("skips inputs of a known class without running them", async () => {
    let runs = 0
    const t = target(
      "known",
      () => {
        runs++
      },
      { isKnown: (input, known) => known.has("deep-topic") && input.data[0]! < 128 },
    )
    const r = await runFuzz({
      seed: 7,
      iterations: 1000,
      targetList: [t],
      crashDir: null,
      skipKnown: ["deep-topic"],
    })
    expect(r.targets[0]!.skipped + r.targets[0]!.inputs).toBe(1000)
    expect(r.targets[0]!.skipped).toBeGreaterThan(400)
    expect(runs).toBe(r.targets[0]!.inputs)
  })

  it("gives the same inputs for the same seed, and others for another", async () => {
    const sink = target("sink", () => {})
    const other = target("other", () => {})
    const hashes = async (seed: number): Promise<string[]> => {
      const out: string[] = []
      const r = await runFuzz({
        seed,
        iterations: 300,
        targetList: [sink, other],
        crashDir: null,
        onInput: (t, i, h) => void out.push(`${t} ${i} ${h}`),
      })
      out.push(...r.targets.map((t) => t.digest))
      return out
    }
    const a = await hashes(8)
    expect(a).toHaveLength(602)
    expect(await hashes(8)).toEqual(a)
    const b = await hashes(9)
    expect(b.filter((h, i) => h === a[i])).toEqual([])
  })

  it("names crashes by kind, error and function, not line", () => {
    const a = new RangeError("Maximum call stack size exceeded")
    a.stack =
      "RangeError: x\n    at walk (/r/packages/sockets/src/trie.ts:169:18)\n    at walk (/r/packages/sockets/src/trie.ts:174:9)"
    const b = new RangeError("Maximum call stack size exceeded")
    b.stack = "RangeError: x\n    at walk (/r/packages/sockets/src/trie.ts:174:9)"
    expect(signatureOf("exception", a)).toBe("exception|RangeError|walk (packages/sockets/src/trie.ts)")
    expect(signatureOf("exception", b)).toBe(signatureOf("exception", a))
    // An error of a target itself is placed at its first frame.
    const c = new TypeError("x")
    c.stack =
      "TypeError: x\n    at node:internal/x:1:1\n    at Object.run (/r/fuzz/src/targets/commands.ts:107:50)"
    expect(stackTop(c)).toBe("Object.run (fuzz/src/targets/commands.ts:107)")
  })

  it("refuses unknown targets and classes", async () => {
    await expect(
      runFuzz({ seed: 1, iterations: 1, targets: ["nope"], targetList: [target("a", () => {})] }),
    ).rejects.toThrow(/no fuzz target named nope/)
    await expect(
      runFuzz({ seed: 1, iterations: 1, skipKnown: ["nope" as never], targetList: [target("a", () => {})] }),
    ).rejects.toThrow(/no known input class/)
  })
})

describe("crash files", () => {
  it("read bare hex when the target is given", () => {
    const r = readCrashFile("ff 00\n7f", "decoder")
    expect(r.target).toBe("decoder")
    expect([...r.input.data]).toEqual([0xff, 0x00, 0x7f])
    expect(() => readCrashFile("ff00")).toThrow(/no target/)
  })

  it("keep the run seed, so that a replay chunks the input as the crash did", () => {
    const input: FuzzInput = { data: new Uint8Array([1]), seed: 123 }
    const text = `target: x\nrun-seed: ${input.seed}\ndata: 01\n`
    expect(readCrashFile(text).input).toEqual(input)
  })
})
