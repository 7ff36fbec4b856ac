/**
 * The observer of monitor events under load nobody reads, and with listeners that throw.
 */
import { connect } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as zl from "../src/index.js"

const open: { close(): void }[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Opens and closes `count` raw TCP connections to `endpoint`, one after the other. */
async function churn(endpoint: string, count: number): Promise<void> {
  const { hostname, port } = new URL(endpoint.replace("tcp://", "http://"))
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.end())
      socket.on("error", () => {})
      // Read what the server sends (its greeting), or the end behind it is never seen.
      socket.resume()
      socket.on("close", () => resolve())
    })
  }
}

describe("socket.events", () => {
  it("keeps at most 1,000 unread events, and still delivers the last one, end", async () => {
    const pull = new zl.Pull({ linger: 0 })
    open.push(pull)
    const events = pull.events
    await pull.bind("tcp://127.0.0.1:*")
    // Each connection that comes and goes before its handshake makes one event, accept.
    await churn(pull.lastEndpoint!, 1200)
    pull.close()
    const types: string[] = []
    for await (const event of events) types.push(event.type)
    expect(types.length).toBe(1001)
    expect(types[0]).toBe("bind")
    expect(types.at(-1)).toBe("end")
  })

  it("a listener that throws does not silence the others, and its exception is reported", async () => {
    const reported: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void reported.push(args)
    try {
      const pull = new zl.Pull({ linger: 0 })
      open.push(pull)
      const seen: string[] = []
      pull.events.on("bind", () => {
        throw new Error("listener bug")
      })
      pull.events.on("bind", (event) => seen.push(event.address))
      await pull.bind("tcp://127.0.0.1:*")
      await waitFor(() => seen.length === 1)
      expect(seen).toEqual([pull.lastEndpoint])
      expect(reported).toHaveLength(1)
      expect(String((reported[0] as unknown[])[1])).toContain("listener bug")
    } finally {
      console.error = original
    }
  })
})
