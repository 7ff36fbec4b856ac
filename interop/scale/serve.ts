/**
 * The child side of the IPC channel: performs the operations the scale run sends, one reply per
 * request, and exits when the run goes away.
 */
import type { Memory, ReadyMessage, ReplyMessage, RequestMessage } from "./protocol.js"

type Handlers = Record<string, (args: never) => unknown>

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = "code" in error ? ` [${String(error.code)}]` : ""
  return `${error.name}${code}: ${error.message}`
}

/** Serves `handlers` over the IPC channel and tells the parent this process is ready. */
export function serve(handlers: Handlers): void {
  process.on("message", (message: RequestMessage) => {
    const handler = handlers[message.op]
    const reply = (m: ReplyMessage) => process.send?.(m)
    if (handler === undefined) {
      reply({ id: message.id, ok: false, error: `unknown operation ${message.op}` })
      return
    }
    Promise.resolve()
      .then(() => handler(message.args as never))
      .then(
        (value) => reply({ id: message.id, ok: true, value: value ?? null }),
        (error: unknown) => reply({ id: message.id, ok: false, error: describe(error) }),
      )
  })
  // The run is gone: nothing else to do.
  process.on("disconnect", () => process.exit(0))
  const ready: ReadyMessage = { ready: true, pid: process.pid }
  process.send?.(ready)
}

/**
 * Memory after forced full collections (the process runs with `--expose-gc`): what the process
 * keeps, not garbage waiting for the next collection.
 */
export function memoryAfterGc(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("this process needs --expose-gc to measure its memory")
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  }
}

/** `process.getActiveResourcesInfo()` as counts per kind. */
export function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every `interval` ms until it holds; throws `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
  interval = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`)
    await sleep(interval)
  }
}
