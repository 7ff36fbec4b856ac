import { createServer } from "node:net"
import type { Connection, ConnectionHandlers } from "@zl/transport"

/** Records a connection's events; `until` waits for a condition on them. */
export class Recorder implements ConnectionHandlers {
  readonly chunks: Uint8Array[] = []
  readonly closes: Array<Error | undefined> = []
  received = 0
  drains = 0
  private readonly waiters = new Set<() => void>()

  readonly connection: Connection

  constructor(connection: Connection) {
    this.connection = connection
  }

  start(): this {
    this.connection.start(this)
    return this
  }

  readonly onData = (chunk: Uint8Array): void => {
    this.chunks.push(chunk)
    this.received += chunk.length
    this.notify()
  }

  readonly onDrain = (): void => {
    this.drains++
    this.notify()
  }

  readonly onClose = (error?: Error): void => {
    this.closes.push(error)
    this.notify()
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }

  until(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return
        this.waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeout)
      this.waiters.add(check)
    })
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** True when this machine can listen on the IPv6 loopback. */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once("error", () => resolve(false))
    server.listen(0, "::1", () => server.close(() => resolve(true)))
  })
}
