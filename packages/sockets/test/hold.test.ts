/**
 * The context's `Hold` (what keeps the process alive): counted once per socket queue that has a
 * waiting operation, released at the exact end of each wait however it ends; lingering closes are
 * counted apart and hold only once `awaitLinger()` asked. The child-process tests of the real
 * lifetime, side by side with libzmq, are in `interop/test/lifetime.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DealerSocket, PullSocket, PushSocket } from "../src/index.js"
import { Harness, msg, settle, tick, waitFor, within } from "./helpers.js"

let h: Harness
beforeEach(() => {
  h = new Harness()
})
afterEach(() => h.close())

/** Node's ref'd timers: the hold's own timer is one of them while it holds. */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((type) => type === "Timeout").length
}

describe("Hold: pending operations", () => {
  it("a waiting receive holds from its start to its end, once per socket however many wait", async () => {
    const hold = h.context.hold
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context)
    const endpoint = await pull.bind(h.endpoint("inproc"))
    push.connect(endpoint)
    expect(hold.count).toBe(0)
    const first = pull.receive()
    const second = pull.receive()
    expect(hold.count).toBe(1)
    await push.send(msg("a"))
    await push.send(msg("b"))
    await within(Promise.all([first, second]))
    expect(hold.count).toBe(0)
  })

  it("a waiting send holds until close rejects it; each socket's queue counts once", async () => {
    const hold = h.context.hold
    const a = new DealerSocket(h.context)
    const b = new DealerSocket(h.context)
    const sends = [a.send(msg("1")), a.send(msg("2")), b.send(msg("3"))]
    for (const send of sends) send.catch(() => {})
    expect(hold.count).toBe(2)
    a.close()
    await expect(sends[0]).rejects.toMatchObject({ code: "EAGAIN" })
    expect(hold.count).toBe(1)
    b.close()
    await expect(sends[2]).rejects.toMatchObject({ code: "EAGAIN" })
    expect(hold.count).toBe(0)
  })

  it("a receive that times out, and one withdrawn by its signal, release the hold", async () => {
    const hold = h.context.hold
    const timed = new PullSocket(h.context, { receiveTimeout: 20 })
    const waiting = timed.receive()
    expect(hold.count).toBe(1)
    await expect(within(waiting)).rejects.toMatchObject({ code: "EAGAIN" })
    expect(hold.count).toBe(0)
    const aborted = new PullSocket(h.context)
    const abort = new AbortController()
    const withdrawn = aborted.receive(abort.signal)
    expect(hold.count).toBe(1)
    abort.abort(new Error("withdrawn"))
    await expect(withdrawn).rejects.toThrow("withdrawn")
    expect(hold.count).toBe(0)
  })

  it("a send that times out releases the hold; one taken at once never holds", async () => {
    const hold = h.context.hold
    const dealer = new DealerSocket(h.context, { sendTimeout: 20 })
    const waiting = dealer.send(msg("nobody"))
    expect(hold.count).toBe(1)
    await expect(within(waiting)).rejects.toMatchObject({ code: "EAGAIN" })
    expect(hold.count).toBe(0)
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context)
    push.connect(await pull.bind(h.endpoint("inproc")))
    await push.send(msg("taken"))
    expect(hold.count).toBe(0)
  })

  it("holds one ref'd timer while anything counts, and none after", async () => {
    const before = refTimers()
    const pull = new PullSocket(h.context)
    const waiting = pull.receive()
    waiting.catch(() => {})
    expect(refTimers()).toBe(before + 1)
    expect(h.context.hold.holding).toBe(true)
    pull.close()
    // Measured in the same task: no other timer of the test came or went meanwhile.
    expect(refTimers()).toBe(before)
    expect(h.context.hold.holding).toBe(false)
    await expect(waiting).rejects.toMatchObject({ code: "EAGAIN" })
  })
})

describe("Hold: lingering closes", () => {
  it("a closed socket dialling to deliver is counted, holds only once awaited, and ends with its linger", async () => {
    const hold = h.context.hold
    const dealer = new DealerSocket(h.context, { linger: 60, reconnectInterval: 10 })
    dealer.connect(h.endpoint("memory", "nobody"))
    await dealer.send(msg("undeliverable"))
    dealer.close()
    expect(hold.lingering).toBe(1)
    expect(hold.count).toBe(0)
    expect(hold.holding).toBe(false)
    let done = false
    expect(hold.awaitLinger(() => (done = true))).toBe(true)
    expect(hold.holding).toBe(true)
    await waitFor(() => done, 2000, "the linger to run out")
    expect(hold.lingering).toBe(0)
    expect(hold.holding).toBe(false)
    expect(hold.awaitLinger()).toBe(false)
  })

  it("with linger -1 the lingering ends when the message is delivered", async () => {
    const hold = h.context.hold
    const endpoint = h.endpoint("memory", "later")
    const push = new PushSocket(h.context, { linger: -1, reconnectInterval: 10 })
    push.connect(endpoint)
    await push.send(msg("delivered"))
    push.close()
    expect(hold.lingering).toBe(1)
    await tick(30)
    expect(hold.lingering).toBe(1)
    const pull = new PullSocket(h.context)
    await pull.bind(endpoint)
    const [frame] = await within(pull.receive(), 2000, "the lingering message")
    expect(new TextDecoder().decode(frame)).toBe("delivered")
    await waitFor(() => hold.lingering === 0, 4000, "the lingering connection to finish")
  })

  it("a close with nothing queued does not linger", async () => {
    const dealer = new DealerSocket(h.context, { linger: -1 })
    dealer.connect(h.endpoint("memory", "nobody"))
    await settle()
    dealer.close()
    expect(h.context.hold.lingering).toBe(0)
    expect(dealer.undelivered).toBe(false)
  })

  it("undelivered: true while messages wait for a connection that is not up", async () => {
    const dealer = new DealerSocket(h.context)
    dealer.connect(h.endpoint("memory", "nobody"))
    expect(dealer.undelivered).toBe(false)
    await dealer.send(msg("waits"))
    expect(dealer.undelivered).toBe(true)
  })
})
