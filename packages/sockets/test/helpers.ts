/**
 * Helpers shared by the socket tests: a per-test harness (one context, unique endpoints, every socket
 * closed afterwards), bounded waits and byte helpers. Not a test file itself (vitest only runs
 * `*.test.ts`).
 */
import { type MemoryOptions, memory } from "@zl/transport"
import { Context, type SocketBase, type SocketEvent } from "../src/index.js"

/** The transports every pattern test runs over: in-process links and ZMTP over the memory transport. */
export const transportsUnderTest = ["inproc", "memory"] as const
export type TransportName = (typeof transportsUnderTest)[number]

/** The octets of an ASCII string (one octet per character). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

/** A message of ASCII frames. */
export function msg(...frames: string[]): Uint8Array[] {
  return frames.map(ascii)
}

/** A frame as a string, one character per octet (for readable `toEqual` output). */
export function text(frame: Uint8Array): string {
  let s = ""
  for (let i = 0; i < frame.length; i++) s += String.fromCharCode(frame[i]!)
  return s
}

/** A message as strings. */
export function texts(frames: readonly Uint8Array[]): string[] {
  return frames.map(text)
}

/** Lets queued microtasks and one macrotask turn run (memory delivery, engine end-of-task flushes). */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Lets the event loop turn `turns` times, so that in-flight memory traffic settles. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Waits until `cond()` holds, polling every few ms; rejects after `ms` so that a test never hangs. */
export async function waitFor(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not met within ${ms} ms`)
    await tick(2)
  }
}

/** Resolves with the promise's value, or rejects with a clear error after `ms`. */
export function within<T>(promise: Promise<T>, ms = 2000, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Tracks a promise's state without awaiting it. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise }
  promise.then(
    () => {
      state.settled = true
    },
    () => {
      state.settled = true
    },
  )
  return state
}

/** Records a socket's monitor events. */
export function recordEvents(socket: SocketBase): SocketEvent[] {
  const events: SocketEvent[] = []
  socket.addEventListener((event) => events.push(event))
  return events
}

let nextName = 1

/**
 * One test's world: a context with the memory transport, endpoint names unique to the test, and a
 * `close()` for afterEach that closes every socket the context made.
 */
export class Harness {
  readonly context: Context

  constructor(options: MemoryOptions = {}) {
    this.context = new Context({ transports: [memory(options)] })
  }

  /** A fresh endpoint on transport `t`. */
  endpoint(t: TransportName, name = "ep"): string {
    return `${t}://${name}-${nextName++}`
  }

  /** Closes every socket of the context with linger 0, so that nothing outlives the test. */
  close(): void {
    for (const socket of this.openSockets()) socket.options.linger = 0
    this.context.close()
  }

  private openSockets(): SocketBase[] {
    return [...(this.context as unknown as { sockets: Set<SocketBase> }).sockets]
  }
}

/** Receives `n` messages as strings, each within `ms`. */
export async function receiveN(socket: SocketBase, n: number, ms = 2000): Promise<string[][]> {
  const out: string[][] = []
  for (let i = 0; i < n; i++)
    out.push(texts(await within(socket.receive(), ms, `${socket.type} receive #${i + 1} of ${n}`)))
  return out
}

/** Asserts that nothing arrives within `ms`: resolves with what did arrive (expected empty). */
export async function receiveNothing(socket: SocketBase, ms = 30): Promise<string[][]> {
  const got: string[][] = []
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error("quiet")), ms)
  try {
    for (;;) got.push(texts(await socket.receive(abort.signal)))
  } catch {
    // The abort ends the wait.
  } finally {
    clearTimeout(timer)
  }
  return got
}

/** Counts the `handshake` events a socket emitted so far. */
export function handshakes(events: readonly SocketEvent[]): number {
  return events.filter((e) => e.type === "handshake").length
}

/**
 * Binds `binder` to a fresh endpoint on transport `t`, connects every socket of `connecters` to it, and
 * waits until each link is ready to carry messages (inproc links are; memory links once both ends
 * completed the ZMTP handshake). Returns the bound endpoint.
 */
export async function link(
  h: Harness,
  t: TransportName,
  binder: SocketBase,
  connecters: readonly SocketBase[],
): Promise<string> {
  const endpoint = await binder.bind(h.endpoint(t))
  const binderEvents = recordEvents(binder)
  const connecterEvents = connecters.map((c) => recordEvents(c))
  for (const c of connecters) c.connect(endpoint)
  if (t === "memory") {
    await waitFor(
      () => handshakes(binderEvents) >= connecters.length && connecterEvents.every((e) => handshakes(e) >= 1),
      2000,
      "handshakes",
    )
  }
  return endpoint
}
