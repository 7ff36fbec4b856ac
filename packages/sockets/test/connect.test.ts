/**
 * Connection life cycle: connect before bind, queueing while no connection is up, `immediate`,
 * reconnection and its back-off, disconnect, unbind, monitor events and linger.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  DealerSocket,
  PairSocket,
  PullSocket,
  PushSocket,
  RouterSocket,
  type SocketEvent,
  SubscriberSocket,
  XPublisherSocket,
} from "../src/index.js"
import {
  ascii,
  Harness,
  handshakes,
  link,
  msg,
  receiveN,
  receiveNothing,
  recordEvents,
  settle,
  texts,
  tick,
  track,
  transportsUnderTest,
  waitFor,
  within,
} from "./helpers.js"

function types(events: readonly SocketEvent[]): string[] {
  return events.map((e) => e.type)
}

for (const t of transportsUnderTest) {
  describe(`connect before bind over ${t}`, () => {
    let h: Harness
    beforeEach(() => {
      h = new Harness()
    })
    afterEach(() => h.close())

    it("messages sent before the peer binds are queued and arrive after it does", async () => {
      const push = new PushSocket(h.context, { reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      push.connect(endpoint)
      // libzmq takes these at once (inproc and tcp alike): the pipe exists from the connect.
      for (let i = 0; i < 3; i++) await within(push.send(msg(`early${i}`)), 200, `send early${i}`)
      const pull = new PullSocket(h.context)
      await pull.bind(endpoint)
      await push.send(msg("late"))
      expect(await receiveN(pull, 4)).toEqual([["early0"], ["early1"], ["early2"], ["late"]])
    })

    it("a DEALER's early messages reach a ROUTER that binds later, with the DEALER's id", async () => {
      const dealer = new DealerSocket(h.context, { routingId: ascii("D"), reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      dealer.connect(endpoint)
      const early = dealer.send(msg("early"))
      const router = new RouterSocket(h.context)
      await router.bind(endpoint)
      await within(early, 500, "the early send")
      expect(await receiveN(router, 1)).toEqual([["D", "early"]])
      await router.send(msg("D", "back"))
      expect(await receiveN(dealer, 1)).toEqual([["back"]])
    })

    it("a ROUTER's connect routing id survives connecting before the bind", async () => {
      const router = new RouterSocket(h.context, { reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      router.connect(endpoint, ascii("peer"))
      const early = router.send(msg("peer", "early"))
      const dealer = new DealerSocket(h.context)
      await dealer.bind(endpoint)
      await within(early, 500, "the early send")
      expect(await receiveN(dealer, 1)).toEqual([["early"]])
      await dealer.send(msg("back"))
      expect(await receiveN(router, 1)).toEqual([["peer", "back"]])
    })

    it("a SUB's subscriptions reach an XPUB that binds later", async () => {
      const sub = new SubscriberSocket(h.context, { reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      sub.connect(endpoint)
      sub.subscribe(ascii("x"))
      const xpub = new XPublisherSocket(h.context)
      await xpub.bind(endpoint)
      expect(await receiveN(xpub, 1)).toEqual([["\x01x"]])
      await xpub.send(msg("x1"))
      expect(await receiveN(sub, 1)).toEqual([["x1"]])
    })

    it("queues up to SNDHWM before the bind, then EAGAIN with sendTimeout 0 (libzmq: 2 of 5 for SNDHWM 2)", async () => {
      const push = new PushSocket(h.context, { sendHighWaterMark: 2, sendTimeout: 0, reconnectInterval: 10 })
      const endpoint = h.endpoint(t)
      push.connect(endpoint)
      await push.send(msg("m0"))
      await push.send(msg("m1"))
      await expect(push.send(msg("m2"))).rejects.toMatchObject({ code: "EAGAIN" })
      const pull = new PullSocket(h.context)
      await pull.bind(endpoint)
      expect(await receiveN(pull, 2)).toEqual([["m0"], ["m1"]])
    })
  })
}

describe("immediate", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("inproc: a connect before the bind queues even with immediate (libzmq does)", async () => {
    const push = new PushSocket(h.context, { immediate: true, sendTimeout: 0 })
    const endpoint = h.endpoint("inproc")
    push.connect(endpoint)
    await push.send(msg("queued"))
    const pull = new PullSocket(h.context)
    await pull.bind(endpoint)
    expect(await receiveN(pull, 1)).toEqual([["queued"]])
  })

  it("memory: with immediate, nothing is queued for a connection that is not up", async () => {
    const push = new PushSocket(h.context, { immediate: true, sendTimeout: 0, reconnectInterval: 10 })
    const endpoint = h.endpoint("memory")
    push.connect(endpoint)
    await expect(push.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
    push.options.sendTimeout = -1
    const waiting = push.send(msg("after"))
    const pull = new PullSocket(h.context)
    await pull.bind(endpoint)
    await within(waiting, 1000, "the send waiting for a connection")
    expect(await receiveN(pull, 1)).toEqual([["after"]])
  })

  it("memory: with immediate, messages go only to peers that are connected", async () => {
    const push = new PushSocket(h.context, { immediate: true, reconnectInterval: 10 })
    const up = new PullSocket(h.context)
    const events = recordEvents(push)
    push.connect(h.endpoint("memory", "absent"))
    push.connect(await up.bind(h.endpoint("memory")))
    await waitFor(() => handshakes(events) === 1, 2000, "handshake")
    for (let i = 0; i < 4; i++) await push.send(msg(`${i}`))
    expect(await receiveN(up, 4)).toEqual([["0"], ["1"], ["2"], ["3"]])
  })

  it("memory: without immediate, round-robin includes the peer that is not up yet", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 10 })
    const up = new PullSocket(h.context)
    const events = recordEvents(push)
    const absent = h.endpoint("memory", "absent")
    push.connect(absent)
    push.connect(await up.bind(h.endpoint("memory")))
    await waitFor(() => handshakes(events) === 1, 2000, "handshake")
    for (let i = 0; i < 4; i++) await push.send(msg(`${i}`))
    expect(await receiveN(up, 2)).toEqual([["1"], ["3"]])
    const late = new PullSocket(h.context)
    await late.bind(absent)
    expect(await receiveN(late, 2)).toEqual([["0"], ["2"]])
  })
})

describe("reconnection over memory", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("reconnects after the listener restarts, and traffic flows again", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 20 })
    const events = recordEvents(push)
    const first = new PullSocket(h.context)
    const endpoint = await first.bind(h.endpoint("memory"))
    push.connect(endpoint)
    await push.send(msg("one"))
    expect(await receiveN(first, 1)).toEqual([["one"]])
    first.close()
    await waitFor(() => types(events).includes("disconnect"), 2000, "disconnect")
    const second = new PullSocket(h.context)
    await second.bind(endpoint)
    await waitFor(() => handshakes(events) === 2, 2000, "second handshake")
    await push.send(msg("two"))
    expect(await receiveN(second, 1)).toEqual([["two"]])
    const retries = events.filter((e) => e.type === "connect:retry")
    expect(retries.length).toBeGreaterThanOrEqual(1)
    // Without reconnectMaxInterval the delay is the interval plus a random part below it.
    for (const e of retries) {
      const interval = (e as { interval: number }).interval
      expect(interval).toBeGreaterThanOrEqual(20)
      expect(interval).toBeLessThan(40)
    }
    // Refused attempts (if the retry came before the second bind) are left out.
    const order = types(events).filter((type) => ["connect", "handshake", "disconnect"].includes(type))
    expect(order).toEqual(["connect", "handshake", "disconnect", "connect", "handshake"])
  })

  it("messages sent while the peer is away are delivered after the reconnect", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 10 })
    const events = recordEvents(push)
    const first = new PullSocket(h.context)
    const endpoint = await first.bind(h.endpoint("memory"))
    push.connect(endpoint)
    await waitFor(() => handshakes(events) === 1, 2000, "handshake")
    first.close()
    await waitFor(() => types(events).includes("disconnect"), 2000, "disconnect")
    await within(push.send(msg("while-away")), 200, "queued send")
    const second = new PullSocket(h.context)
    await second.bind(endpoint)
    expect(await receiveN(second, 1)).toEqual([["while-away"]])
  })

  it("a connecting ROUTER keeps its peer's routing id across a reconnect and queues for it meanwhile", async () => {
    const router = new RouterSocket(h.context, { reconnectInterval: 10, mandatory: true })
    const events = recordEvents(router)
    const first = new DealerSocket(h.context)
    const endpoint = await first.bind(h.endpoint("memory"))
    router.connect(endpoint)
    await waitFor(() => handshakes(events) === 1, 2000, "handshake")
    await first.send(msg("hi"))
    const [id] = await router.receive()
    first.close()
    await waitFor(() => types(events).includes("disconnect"), 2000, "disconnect")
    // libzmq 4.3.5: the pipe and its id stay; the message waits for the next connection.
    await within(router.send([id!, ...msg("queued")]), 200, "send to the absent peer")
    const second = new DealerSocket(h.context)
    await second.bind(endpoint)
    expect(await receiveN(second, 1)).toEqual([["queued"]])
    await second.send(msg("hi2"))
    const again = await router.receive()
    expect(texts(again)).toEqual([texts([id!])[0], "hi2"])
  })

  it("a SUB replays its subscriptions to the publisher it reconnects to", async () => {
    const sub = new SubscriberSocket(h.context, { reconnectInterval: 10 })
    const events = recordEvents(sub)
    const first = new XPublisherSocket(h.context)
    const endpoint = await first.bind(h.endpoint("memory"))
    sub.connect(endpoint)
    sub.subscribe(ascii("a"))
    sub.subscribe(ascii("b"))
    expect((await receiveN(first, 2)).sort()).toEqual([["\x01a"], ["\x01b"]])
    first.close()
    await waitFor(() => types(events).includes("disconnect"), 2000, "disconnect")
    sub.unsubscribe(ascii("b"))
    const second = new XPublisherSocket(h.context)
    await second.bind(endpoint)
    // Only what is subscribed at the time of the reconnect is replayed.
    expect(await receiveN(second, 1)).toEqual([["\x01a"]])
    await second.send(msg("a1"))
    await second.send(msg("b1"))
    expect(await receiveN(sub, 1)).toEqual([["a1"]])
    expect(await receiveNothing(sub, 20)).toEqual([])
    expect(await receiveNothing(second, 10)).toEqual([])
  })

  it("reconnectMaxInterval doubles the delay up to the maximum", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 10, reconnectMaxInterval: 80 })
    const events = recordEvents(push)
    push.connect(h.endpoint("memory", "nobody"))
    await waitFor(() => events.filter((e) => e.type === "connect:retry").length >= 6, 2000, "six retries")
    const intervals = events
      .filter((e) => e.type === "connect:retry")
      .map((e) => (e as { interval: number }).interval)
    expect(intervals.slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80])
  })

  it("reconnectInterval -1 never reconnects", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: -1 })
    const events = recordEvents(push)
    const endpoint = h.endpoint("memory")
    push.connect(endpoint)
    await tick(30)
    const pull = new PullSocket(h.context)
    const pullEvents = recordEvents(pull)
    await pull.bind(endpoint)
    await tick(30)
    // The refused attempt is reported, but no retry is scheduled and no connection comes.
    expect(types(events)).not.toContain("connect:retry")
    expect(types(events)).not.toContain("connect")
    expect(types(pullEvents)).toEqual(["bind"])
  })

  it("disconnect stops reconnecting and drops the connection", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 10, sendTimeout: 0 })
    const events = recordEvents(push)
    const pull = new PullSocket(h.context)
    const endpoint = await pull.bind(h.endpoint("memory"))
    push.connect(endpoint)
    await waitFor(() => handshakes(events) === 1, 2000, "handshake")
    push.disconnect(endpoint)
    await waitFor(() => types(events).includes("disconnect"), 2000, "disconnect")
    const count = events.length
    await tick(50)
    expect(events.length).toBe(count)
    await expect(push.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
    expect(() => push.disconnect(endpoint)).toThrow(expect.objectContaining({ code: "ENOENT" }))
  })

  it("disconnect while the peer is absent stops the retries", async () => {
    const push = new PushSocket(h.context, { reconnectInterval: 10 })
    const events = recordEvents(push)
    const endpoint = h.endpoint("memory")
    push.connect(endpoint)
    await waitFor(() => types(events).includes("connect:retry"), 2000, "a retry")
    push.disconnect(endpoint)
    const count = events.length
    const pull = new PullSocket(h.context)
    const pullEvents = recordEvents(pull)
    await pull.bind(endpoint)
    await tick(50)
    expect(events.length).toBe(count)
    expect(types(pullEvents)).toEqual(["bind"])
  })

  it("unbind stops listening and closes the connections accepted through the endpoint", async () => {
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context, { reconnectInterval: 10 })
    const pushEvents = recordEvents(push)
    const endpoint = await link(h, "memory", pull, [push])
    const pullEvents = recordEvents(pull)
    await pull.unbind(endpoint)
    await waitFor(() => types(pushEvents).includes("disconnect"), 2000, "the push side sees the disconnect")
    await waitFor(() => types(pullEvents).includes("disconnect"), 2000, "the pull side drops the connection")
    expect(types(pullEvents)).toEqual(["close", "disconnect"])
    // Reconnecting fails: nothing listens any more.
    const retries = () => types(pushEvents).filter((type) => type === "connect:retry").length
    await waitFor(() => retries() >= 2, 2000, "refused reconnects")
    expect(handshakes(pushEvents)).toBe(1)
    await push.send(msg("nobody-hears"))
    expect(await receiveNothing(pull, 30)).toEqual([])
    await expect(pull.unbind(endpoint)).rejects.toMatchObject({ code: "ENOENT" })
  })

  it("unbind accepts the endpoint as given to bind", async () => {
    const pull = new PullSocket(h.context)
    const requested = "memory://*"
    const endpoint = await pull.bind(requested)
    expect(endpoint).toMatch(/^memory:\/\/auto-\d+$/)
    expect(pull.lastEndpoint).toBe(endpoint)
    await pull.unbind(requested)
    const other = new PullSocket(h.context)
    // The name is free again.
    await expect(other.bind(endpoint)).resolves.toBe(endpoint)
  })
})

describe("inproc bind and unbind", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("a name can be bound once; unbind frees it and leaves existing links alone (libzmq)", async () => {
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context)
    const endpoint = await link(h, "inproc", pull, [push])
    const other = new PullSocket(h.context)
    await expect(other.bind(endpoint)).rejects.toMatchObject({ code: "EADDRINUSE" })
    await pull.unbind(endpoint)
    await push.send(msg("after-unbind"))
    expect(await receiveN(pull, 1)).toEqual([["after-unbind"]])
    await expect(other.bind(endpoint)).resolves.toBe(endpoint)
    await expect(pull.unbind(endpoint)).rejects.toMatchObject({ code: "ENOENT" })
  })

  it("disconnect cuts an inproc link on both sides", async () => {
    const pull = new PullSocket(h.context)
    const push = new PushSocket(h.context, { sendTimeout: 0 })
    const endpoint = await link(h, "inproc", pull, [push])
    push.disconnect(endpoint)
    await expect(push.send(msg("x"))).rejects.toMatchObject({ code: "EAGAIN" })
    expect(() => push.disconnect(endpoint)).toThrow(expect.objectContaining({ code: "ENOENT" }))
  })

  it("rejects an empty inproc name (EINVAL)", async () => {
    const pair = new PairSocket(h.context)
    await expect(pair.bind("inproc://")).rejects.toMatchObject({ code: "EINVAL" })
    expect(() => pair.connect("inproc://")).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})

describe("monitor events over memory", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("bind, accept, handshake, connect, disconnect, close and end, as libzmq reports them", async () => {
    const binder = new PairSocket(h.context)
    const connecter = new PairSocket(h.context)
    const b = recordEvents(binder)
    const c = recordEvents(connecter)
    const endpoint = await binder.bind(h.endpoint("memory"))
    connecter.connect(endpoint)
    await waitFor(() => handshakes(b) === 1 && handshakes(c) === 1, 2000, "handshakes")
    connecter.close()
    await waitFor(() => types(b).includes("disconnect"), 2000, "disconnect")
    binder.close()
    await settle()
    // libzmq 4.3.5 over tcp: bind accept handshake disconnect close end / connect handshake end
    // (plus a connect:delay that has no memory counterpart).
    expect(types(b)).toEqual(["bind", "accept", "handshake", "disconnect", "close", "end"])
    expect(types(c)).toEqual(["connect", "handshake", "end"])
    for (const e of [...b, ...c]) if ("address" in e) expect(e.address).toBe(endpoint)
  })

  it("bind:error for an address in use, with EADDRINUSE", async () => {
    const first = new PairSocket(h.context)
    const second = new PairSocket(h.context)
    const events = recordEvents(second)
    const endpoint = await first.bind(h.endpoint("memory"))
    await expect(second.bind(endpoint)).rejects.toMatchObject({ code: "EADDRINUSE" })
    expect(events).toEqual([
      { type: "bind:error", address: endpoint, error: expect.objectContaining({ code: "EADDRINUSE" }) },
    ])
  })

  it("a handshake with an incompatible socket type is reported by its disconnect alone, as libzmq", async () => {
    const pull = new PullSocket(h.context)
    const pair = new PairSocket(h.context, { reconnectInterval: -1 })
    const events = recordEvents(pair)
    const endpoint = await pull.bind(h.endpoint("memory"))
    pair.connect(endpoint)
    await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "disconnect")
    const error = events.find((e) => e.type === "disconnect") as { error: { code: string } }
    expect(error.error.code).toBe("ZMTP_ERR_INCOMPATIBLE_SOCKET_TYPE")
    expect(types(events)).toEqual(["connect", "disconnect"])
  })

  it("a peer that closes during the handshake: handshake:error:other (EPIPE), then disconnect", async () => {
    const pull = new PullSocket(h.context, { reconnectInterval: -1 })
    const events = recordEvents(pull)
    const transport = h.context.transports.get("memory")
    const listener = await transport.listen("closer", (connection) => connection.destroy())
    pull.connect("memory://closer")
    await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "disconnect")
    expect(events).toEqual([
      { type: "connect", address: "memory://closer" },
      {
        type: "handshake:error:other",
        address: "memory://closer",
        error: expect.objectContaining({ code: "EPIPE" }),
      },
      { type: "disconnect", address: "memory://closer" },
    ])
    await listener.close()
  })

  it("a handshake timeout: handshake:error:other (EAGAIN), then disconnect with the timeout", async () => {
    const pull = new PullSocket(h.context, { reconnectInterval: -1, handshakeInterval: 30 })
    const events = recordEvents(pull)
    const transport = h.context.transports.get("memory")
    const silent: { destroy(): void }[] = []
    const listener = await transport.listen("silent", (connection) => {
      silent.push(connection)
      connection.start({ onData: () => {}, onDrain: () => {}, onClose: () => {} })
    })
    pull.connect("memory://silent")
    await waitFor(() => events.some((e) => e.type === "disconnect"), 2000, "disconnect")
    expect(events).toEqual([
      { type: "connect", address: "memory://silent" },
      {
        type: "handshake:error:other",
        address: "memory://silent",
        error: expect.objectContaining({ code: "EAGAIN" }),
      },
      {
        type: "disconnect",
        address: "memory://silent",
        error: expect.objectContaining({ code: "ZMTP_ERR_HANDSHAKE_TIMEOUT" }),
      },
    ])
    for (const connection of silent) connection.destroy()
    await listener.close()
  })
})

describe("monitor events over inproc", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("there are none but end, as with libzmq: no bind, accept, connect or close", async () => {
    const a = new PairSocket(h.context)
    const b = new PairSocket(h.context)
    const events = { a: recordEvents(a), b: recordEvents(b) }
    const endpoint = await a.bind(h.endpoint("inproc"))
    b.connect(endpoint)
    await b.send(msg("hi"))
    expect(texts(await a.receive())).toEqual(["hi"])
    await a.unbind(endpoint)
    a.close()
    b.close()
    expect(types(events.a)).toEqual(["end"])
    expect(types(events.b)).toEqual(["end"])
  })
})

describe("linger over memory", () => {
  // A 4 KiB in-flight capacity: most of a 50 KiB burst waits in the sending engine, not "on the wire".
  let h: Harness
  beforeEach(() => {
    h = new Harness({ capacity: 4096 })
  })
  afterEach(() => h.close())

  async function burstThenClose(linger: number, bound: boolean): Promise<string[]> {
    const push = new PushSocket(h.context, { linger })
    const pull = new PullSocket(h.context)
    if (bound) await link(h, "memory", push, [pull])
    else await link(h, "memory", pull, [push])
    for (let i = 0; i < 50; i++) await push.send(msg(`${i}`, "x".repeat(1000)))
    push.close()
    const got: string[] = []
    for (;;) {
      const more = await receiveNothing(pull, 50)
      if (more.length === 0) break
      got.push(...more.map((m) => m[0]!))
    }
    return got
  }

  for (const bound of [false, true]) {
    const side = bound ? "bound" : "connected"
    it(`linger -1: close() on a ${side} socket delivers everything queued first`, async () => {
      expect(await burstThenClose(-1, bound)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}`))
    })

    it(`linger 0: close() on a ${side} socket drops what was not written yet`, async () => {
      const got = await burstThenClose(0, bound)
      // Only what the transport had taken (at most 4 KiB: 4 messages) still arrives, in order.
      expect(got.length).toBeGreaterThanOrEqual(1)
      expect(got.length).toBeLessThanOrEqual(4)
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `${i}`))
    })
  }

  it("linger > 0 gives up after that long when the peer does not read", async () => {
    {
      const push = new PushSocket(h.context, { linger: 30 })
      const pull = new PullSocket(h.context, { receiveHighWaterMark: 1 })
      await link(h, "memory", pull, [push])
      const events = recordEvents(pull)
      for (let i = 0; i < 50; i++) await push.send(msg(`${i}`, "x".repeat(1000)))
      push.close()
      // The PULL reads nothing for longer than the linger: the PUSH side tears the connection down
      // with most of the burst still unwritten. What was in flight is still read, then the end.
      await tick(80)
      const got: string[][] = []
      for (;;) {
        const more = await receiveNothing(pull, 30)
        if (more.length === 0) break
        got.push(...more)
      }
      await waitFor(() => types(events).includes("disconnect"), 1000, "the PULL sees the end")
      expect(got.length).toBeGreaterThan(0)
      expect(got.length).toBeLessThan(50)
      expect(got.map((m) => m[0])).toEqual(Array.from({ length: got.length }, (_, i) => `${i}`))
    }
  })
})

describe("pending operations and the peer's arrival", () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.close())

  it("a waiting send goes out when the first peer arrives over inproc", async () => {
    const dealer = new DealerSocket(h.context)
    const waiting = track(dealer.send(msg("x")))
    await settle()
    expect(waiting.settled).toBe(false)
    const peer = new DealerSocket(h.context)
    dealer.connect(await peer.bind(h.endpoint("inproc")))
    await within(waiting.promise, 500)
    expect(await receiveN(peer, 1)).toEqual([["x"]])
  })
})
