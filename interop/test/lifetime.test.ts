/**
 * Process lifetime, side by side: every scenario of `lifetime/child.ts` runs in a child process once
 * with libzmq (the `zeromq` package) and once with zlink, and both must live exactly as long:
 *
 * - idle sockets, listeners, connections, and heartbeat, handshake and reconnect timers do not keep
 *   a process alive: it exits within {@link EXITS_WITHIN} of its set-up;
 * - a pending operation does (a waiting `send()` or `receive()`, `for await` over a socket or its
 *   `events`, a running proxy): the process is still alive {@link STAYS_FOR} after set-up, and exits
 *   within {@link EXITS_WITHIN} once the operation completed, times out or is ended;
 * - messages queued for a peer that is not there keep the process for the socket's `linger` (with
 *   zeromq's warning on stderr), open or closed; with `blocky = false` they do not;
 * - an unreachable socket is closed by the garbage collector.
 *
 * Times are measured from the child's `ready`, never from its start, which under load takes
 * seconds (it loads zlink's TypeScript source).
 */
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { type Impl, impls } from "./fixtures.js"

const here = fileURLToPath(new URL(".", import.meta.url))
const interopDir = fileURLToPath(new URL("..", import.meta.url))

/** How soon a process with nothing pending must exit. */
const EXITS_WITHIN = 5_000
/** How long a process with something pending must stay. */
const STAYS_FOR = 1_000
/** Starting a child: it loads the `zeromq` binding, or zlink's source through tsx. */
const STARTS_WITHIN = 60_000
const WARNING = /\(node:\d+\) WARNING: Waiting for queued ZeroMQ messages to be delivered\./

class Child {
  readonly process: ChildProcess
  readonly lines: string[] = []
  stderr = ""
  readonly exited: Promise<number | null>
  exitedAt = 0
  private wake: (() => void) | undefined

  constructor(impl: Impl, scenario: string) {
    this.process = fork(`${here}lifetime/child.ts`, [impl.name, scenario], {
      cwd: interopDir,
      execArgv: ["--expose-gc", "--import", "tsx", "--import", `${here}chaos/sources.mjs`],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    })
    let partial = ""
    this.process.stdout!.on("data", (chunk: Buffer) => {
      partial += chunk.toString()
      const lines = partial.split("\n")
      partial = lines.pop()!
      this.lines.push(...lines)
      this.wake?.()
    })
    this.process.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
    this.exited = new Promise((resolve) =>
      this.process.once("exit", (code, signal) => {
        this.exitedAt = Date.now()
        this.wake?.()
        resolve(signal === null ? code : -1)
      }),
    )
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** Resolves with the first line that starts with `prefix`, within `ms`. */
  async line(prefix: string, ms: number): Promise<string> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.lines.find((line) => line.startsWith(prefix))
      if (found !== undefined) return found
      const failed = this.lines.find((line) => line.startsWith("failed"))
      if (failed !== undefined) throw new Error(`the child ${failed}`)
      if (!this.alive) throw new Error(`the child exited before "${prefix}": ${this.stderr}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no "${prefix}" within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  /** Milliseconds until the child exits, from `since`; fails past `ms`. */
  async exitsWithin(ms: number, since: number): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const code = await Promise.race([
      this.exited,
      new Promise<"alive">((resolve) => {
        timer = setTimeout(() => resolve("alive"), ms)
      }),
    ])
    clearTimeout(timer)
    expect(code, `exit code (stderr: ${this.stderr})`).not.toBe("alive")
    expect(code).toBe(0)
    return this.exitedAt - since
  }

  /** Asserts the child is still alive `ms` from now. */
  async staysFor(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    expect(this.alive, `alive ${ms} ms after ready (stderr: ${this.stderr})`).toBe(true)
  }

  /** Waits up to `ms` for zeromq's warning about the wait for queued messages on stderr. */
  async warns(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (!WARNING.test(this.stderr) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(this.stderr).toMatch(WARNING)
  }

  kill(): void {
    if (this.alive) this.process.kill("SIGKILL")
  }
}

interface Scenario {
  readonly name: string
  /** What the test does once the child is ready; the child must have exited when it returns. */
  readonly check: (child: Child, ready: number) => Promise<void>
}

/** Nothing pending: exits at once, having reported `lines` (in any order). */
function exits(name: string, lines: string[] = []): Scenario {
  return {
    name,
    check: async (child, ready) => {
      await child.exitsWithin(EXITS_WITHIN, ready)
      for (const line of lines) expect(child.lines).toContain(line)
      expect(child.stderr).not.toMatch(WARNING)
    },
  }
}

/** A pending operation: stays; after `finish` (the IPC command) or on its own, exits with `lines`. */
function stays(name: string, lines: string[], finish: boolean): Scenario {
  return {
    name,
    check: async (child) => {
      await child.staysFor(STAYS_FOR)
      if (finish) child.process.send("finish")
      const finished = Date.now()
      await child.exitsWithin(EXITS_WITHIN, finished)
      expect(child.lines.filter((line) => line !== "ready")).toEqual(lines)
      expect(child.stderr).not.toMatch(WARNING)
    },
  }
}

/** Queued messages under a 2 s linger: stays for it, warns, then exits. */
function lingers(name: string): Scenario {
  return {
    name,
    check: async (child, ready) => {
      await child.staysFor(STAYS_FOR)
      await child.warns(EXITS_WITHIN)
      const after = await child.exitsWithin(EXITS_WITHIN, ready)
      expect(after).toBeGreaterThanOrEqual(1_900)
    },
  }
}

const scenarios: Scenario[] = [
  exits("unused"),
  exits("bound and connected"),
  exits("reconnecting"),
  exits("send without subscribers", ["resolved"]),
  stays("waiting send", ["resolved"], true),
  stays("waiting send with a timeout", ["rejected EAGAIN"], false),
  stays("waiting receive", ["resolved"], true),
  stays("waiting receive with a timeout", ["rejected EAGAIN"], false),
  stays("socket iteration", ["resolved"], true),
  stays("events iteration", ["event end", "resolved"], true),
  stays("running proxy", ["resolved"], true),
  stays("event listeners", ["end after retries"], true),
  lingers("queued, linger 2 s, open"),
  lingers("queued, linger 2 s, closed"),
  exits("queued, linger 50 ms, open"),
  {
    name: "queued, default linger",
    check: async (child) => {
      const address = (await child.line("endpoint ", EXITS_WITHIN)).slice("endpoint ".length)
      await child.staysFor(STAYS_FOR)
      await child.warns(EXITS_WITHIN)
      // A peer appears: the message is delivered, and then nothing keeps the process.
      const zeromq = await import("zeromq")
      const router = new zeromq.Router({ linger: 0 })
      try {
        await router.bind(address)
        const [, message] = await router.receive()
        expect(message?.toString()).toBe("delivered at last")
        const delivered = Date.now()
        await child.exitsWithin(EXITS_WITHIN, delivered)
      } finally {
        router.close()
      }
    },
  },
  exits("queued, not blocky"),
  exits("garbage collected", ["bound again"]),
  exits("garbage collected while receiving", ["rejected EAGAIN"]),
]

describe.concurrent("process lifetime, libzmq and zlink side by side", () => {
  for (const scenario of scenarios) {
    for (const impl of impls) {
      it(`${scenario.name}: ${impl.name}`, { timeout: STARTS_WITHIN + 30_000 }, async ({
        onTestFinished,
      }) => {
        const child = new Child(impl, scenario.name)
        onTestFinished(() => child.kill())
        await child.line("ready", STARTS_WITHIN)
        await scenario.check(child, Date.now())
      })
    }
  }
})
