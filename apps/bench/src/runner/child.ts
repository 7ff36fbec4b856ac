/**
 * Child processes of the runner: `node worker.js <impl|net>` pinned with `taskset -a -p -c <core>` once it
 * has started, with an IPC channel (the
 * worker comes from `snapshot.ts`), driven by typed calls. Every call can time out; a child that exits
 * fails its pending calls with its exit status and the tail of its output.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import type { Loads, Op, Ops, ReadyMessage, ReplyMessage, RequestMessage } from "../child/protocol.js"

let tasksetChecked: boolean | undefined

/** True when `taskset` exists and works here. */
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
      tasksetChecked = true
    } catch {
      tasksetChecked = false
    }
  }
  return tasksetChecked
}

export class ChildFailure extends Error {
  override get name(): string {
    return "ChildFailure"
  }
}

export class CallTimeout extends Error {
  override get name(): string {
    return "CallTimeout"
  }
}

const TAIL_BYTES = 1500
const live = new Set<{ kill(): void }>()

/** Kills every child still running (on exit or interrupt of the runner). */
export function killAll(): void {
  for (const child of live) child.kill()
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

/** Options of a child beyond its script and implementation. */
export interface ChildOptions {
  /** Node options before the script (`--expose-gc`). */
  nodeArgs?: string[]
  /** Arguments after the implementation. */
  args?: string[]
}

/** A child process; `T` is the table of its operations (the benchmark worker's by default). */
export class Child<T extends { [K in keyof T]: [unknown, unknown] } = Ops> {
  readonly ready: Promise<ReadyMessage>
  private readonly process: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private tail = ""
  private exitReason: string | undefined
  readonly impl: Loads
  readonly core: number | undefined
  readonly label: string

  /**
   * @param core the core to pin to, `undefined` to leave the process unpinned
   * @param label what this child is, for error messages (`zlink receiver`)
   */
  constructor(
    worker: string,
    impl: Loads,
    core: number | undefined,
    label: string,
    options: ChildOptions = {},
  ) {
    this.impl = impl
    this.core = core
    this.label = label
    this.process = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), worker, impl, ...(options.args ?? [])],
      {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        serialization: "json",
      },
    )
    live.add(this)
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-TAIL_BYTES)
    }
    this.process.stdout!.on("data", keep)
    this.process.stderr!.on("data", keep)
    let notReady: (error: Error) => void = () => {}
    this.ready = new Promise<ReadyMessage>((resolve, reject) => {
      this.process.once("message", (message: ReadyMessage) => {
        // Pinned once started, every thread (-a): Node starts faster on both cores, and threads
        // created later (libzmq's I/O thread, with the first socket) inherit the affinity.
        if (core !== undefined && hasTaskset()) {
          try {
            execFileSync("taskset", ["-a", "-p", "-c", String(core), String(message.pid)], {
              stdio: "ignore",
            })
          } catch (error) {
            reject(new ChildFailure(`${label}: taskset could not pin it: ${String(error)}`))
            return
          }
        }
        resolve(message)
      })
      notReady = reject
    })
    this.ready.catch(() => {})
    this.process.once("error", (error) =>
      notReady(new ChildFailure(`${label} could not start: ${error.message}`)),
    )
    this.process.on("message", (message: ReplyMessage | ReadyMessage) => {
      if (!("id" in message)) return
      const call = this.pending.get(message.id)
      if (call === undefined) return
      this.pending.delete(message.id)
      if (message.ok) call.resolve(message.value)
      else call.reject(new ChildFailure(`${label}: ${message.error}`))
    })
    this.process.once("exit", () => live.delete(this))
    // "close" comes after "exit" once the output pipes are drained, so the reason has the last words.
    this.process.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      const output = this.tail.trim()
      const status = signal ? `was killed by ${signal}` : `exited with code ${code}`
      this.exitReason = `${label} ${status}${output ? `; its last output: ${output.slice(-600)}` : ""}`
      const failure = new ChildFailure(this.exitReason)
      notReady(failure)
      for (const call of this.pending.values()) call.reject(failure)
      this.pending.clear()
    })
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null
  }

  get pid(): number | undefined {
    return this.process.pid
  }

  /** Calls an operation of the child; rejects with `ChildFailure` if it fails or the child dies. */
  call<K extends keyof T & string>(op: K, args: T[K][0]): Promise<T[K][1]> {
    if (this.exitReason !== undefined) return Promise.reject(new ChildFailure(this.exitReason))
    const id = this.nextId++
    return new Promise<T[K][1]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      const message: RequestMessage = { id, op: op as Op, args }
      this.process.send(message, (error) => {
        if (error === null || !this.pending.has(id)) return
        this.pending.delete(id)
        reject(new ChildFailure(`${this.label}: could not send ${op}: ${error.message}`))
      })
    })
  }

  /** Kills the process (SIGKILL: a stuck child gets no say). */
  kill(): void {
    if (!this.exited) this.process.kill("SIGKILL")
  }

  /** Resolves once the process is gone. */
  whenExited(): Promise<void> {
    if (this.exited) return Promise.resolve()
    return new Promise((resolve) => this.process.once("exit", () => resolve()))
  }
}

/**
 * Awaits `promise` for at most `ms`; on time-out rejects with `CallTimeout` naming `what`. The
 * promise is left to settle on its own, with its rejection handled.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CallTimeout(`timed out after ${(ms / 1000).toFixed(1)} s ${what}`)),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
