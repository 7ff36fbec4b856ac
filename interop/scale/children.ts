/**
 * Child processes of the scale run, each with the file descriptors it needs: `sh -c 'ulimit -S -n N;
 * exec node ...'` raises the soft limit (up to the hard one) before Node starts, with an IPC channel
 * and calls that time out.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ReadyMessage, ReplyMessage, RequestMessage } from "./protocol.js"

const here = dirname(fileURLToPath(import.meta.url))
/** The tsx loader, so that the children run this folder's TypeScript as it is. */
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href

/** A limit as `ulimit` prints it. */
function parseLimit(text: string): number {
  const value = text.trim()
  return value === "unlimited" ? Number.POSITIVE_INFINITY : Number(value)
}

/** The soft and hard limits on open files of processes started from here. */
export function fileLimits(): { soft: number; hard: number } {
  const out = execFileSync("sh", ["-c", "ulimit -S -n; ulimit -H -n"], { encoding: "utf8" }).split("\n")
  return { soft: parseLimit(out[0] ?? ""), hard: parseLimit(out[1] ?? "") }
}

/** Fails with what to do when a process needing `needed` descriptors cannot have them. */
export function checkFileLimit(needed: number, what: string): void {
  const { hard } = fileLimits()
  if (hard < needed) {
    throw new Error(
      `${what} needs ${needed} open files but the hard limit is ${hard} (ulimit -H -n): raise it ` +
        "(limits.conf, systemd LimitNOFILE, or prlimit --nofile) or run fewer peers",
    )
  }
}

/**
 * Linux: the local ports a connection can get (`net.ipv4.ip_local_port_range`) and the most a
 * listen backlog can be (`net.core.somaxconn`); undefined elsewhere.
 */
export function kernelLimits(): { ephemeralPorts?: number; somaxconn?: number } {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8").trim()
    } catch {
      return undefined
    }
  }
  const range = read("/proc/sys/net/ipv4/ip_local_port_range")?.split(/\s+/).map(Number)
  const somaxconn = read("/proc/sys/net/core/somaxconn")
  return {
    ...(range?.length === 2 ? { ephemeralPorts: range[1]! - range[0]! + 1 } : {}),
    ...(somaxconn !== undefined ? { somaxconn: Number(somaxconn) } : {}),
  }
}

export class ChildFailure extends Error {
  override get name(): string {
    return "ChildFailure"
  }
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

const TAIL = 2000

/** A child running one of this folder's scripts, with calls typed by its operations table. */
export class Child<Ops extends { [K in keyof Ops]: [unknown, unknown] }> {
  readonly ready: Promise<ReadyMessage>
  readonly label: string
  private readonly process: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private tail = ""
  private exitReason: string | undefined

  /**
   * @param script a file of this folder (`router-process.ts`)
   * @param files the open files it needs; checked against the hard limit, and the soft limit raised
   */
  constructor(script: string, args: string[], files: number, label: string) {
    this.label = label
    checkFileLimit(files, label)
    const { soft } = fileLimits()
    const raise = soft < files ? `ulimit -S -n ${files} || exit 97; ` : ""
    this.process = spawn(
      "sh",
      [
        "-c",
        `${raise}exec "$@"`,
        "sh",
        process.execPath,
        "--expose-gc",
        "--import",
        tsx,
        `${here}/${script}`,
        ...args,
      ],
      { stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "json", cwd: here },
    )
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-TAIL)
    }
    this.process.stdout!.on("data", keep)
    this.process.stderr!.on("data", keep)
    let notReady: (error: Error) => void = () => {}
    this.ready = new Promise<ReadyMessage>((resolve, reject) => {
      this.process.once("message", (message: ReadyMessage) => resolve(message))
      notReady = reject
    })
    this.ready.catch(() => {})
    this.process.once("error", (error) => notReady(new ChildFailure(`${label}: ${error.message}`)))
    this.process.on("message", (message: ReplyMessage | ReadyMessage) => {
      if (!("id" in message)) return
      const call = this.pending.get(message.id)
      if (call === undefined) return
      this.pending.delete(message.id)
      if (message.ok) call.resolve(message.value)
      else call.reject(new ChildFailure(`${label}: ${message.error}`))
    })
    // "close" comes after "exit" once the output is drained, so the reason has the last words.
    this.process.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      const status =
        code === 97
          ? `could not raise its open-file limit to ${files}`
          : signal
            ? `was killed by ${signal}`
            : `exited with code ${code}`
      const output = this.tail.trim()
      this.exitReason = `${label} ${status}${output ? `; its last output: ${output.slice(-800)}` : ""}`
      const failure = new ChildFailure(this.exitReason)
      notReady(failure)
      for (const call of this.pending.values()) call.reject(failure)
      this.pending.clear()
    })
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null
  }

  /** Calls an operation; rejects if it fails, the child dies, or `ms` pass first. */
  call<K extends keyof Ops & string>(op: K, args: Ops[K][0], ms: number): Promise<Ops[K][1]> {
    if (this.exitReason !== undefined) return Promise.reject(new ChildFailure(this.exitReason))
    const id = this.nextId++
    const result = new Promise<Ops[K][1]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      const message: RequestMessage = { id, op, args }
      this.process.send(message, (error) => {
        if (error === null || !this.pending.has(id)) return
        this.pending.delete(id)
        reject(new ChildFailure(`${this.label}: could not send ${op}: ${error.message}`))
      })
    })
    return within(result, ms, `${this.label}: ${op}`)
  }

  kill(): void {
    if (!this.exited) this.process.kill("SIGKILL")
  }

  whenExited(): Promise<void> {
    if (this.exited) return Promise.resolve()
    return new Promise((resolve) => this.process.once("exit", () => resolve()))
  }
}

/** Settles like `promise`, or rejects after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${(ms / 1000).toFixed(1)} s: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
