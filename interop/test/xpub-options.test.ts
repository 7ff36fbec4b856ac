/**
 * XPUB's `manual` (ZMQ_XPUB_MANUAL) and `welcomeMessage` (ZMQ_XPUB_WELCOME_MSG) between every ordered
 * pair of implementations, each side binding: the XPUB of one, the SUB of the other. zeromq 6.8.0
 * has no method for a manual subscription: the protected `setStringOption(6, topic)`
 * (ZMQ_SUBSCRIBE; 7 is ZMQ_UNSUBSCRIBE) applies it to the subscriber of the last subscription
 * received, and so it does with zlink.
 */
import { describe, expect, it } from "vitest"
import type * as zmq from "zeromq"
import {
  bindAny,
  type Impl,
  type ImplPair,
  impls,
  pairs,
  socketTracker,
  type Transport,
  thrownBy,
  transports,
  within,
} from "./fixtures.js"

const open = socketTracker()
const STEP = 5_000

/** The protected raw-number setter both implementations have. */
function setString(socket: zmq.XPublisher, id: number, value: string | null): void {
  ;(socket as unknown as { setStringOption(id: number, value: string | null): void }).setStringOption(
    id,
    value,
  )
}

const ZMQ_SUBSCRIBE = 6
const ZMQ_UNSUBSCRIBE = 7

/**
 * Keeps one receive pending on `socket` for as long as it is open, and hands out what it got in
 * order. A libzmq socket attaches new connections (and a SUB sends its subscriptions, an XPUB its
 * welcome message) only while the application calls into it; a pending receive does.
 */
function reader(socket: zmq.Readable & zmq.Socket): (what: string) => Promise<string> {
  const got: string[] = []
  const waiting: ((message: string) => void)[] = []
  void (async () => {
    try {
      for (;;) {
        const message = (await socket.receive()).map(String).join("|")
        const waiter = waiting.shift()
        if (waiter === undefined) got.push(message)
        else waiter(message)
      }
    } catch {
      // The socket was closed.
    }
  })()
  return (what) => {
    const next = got.shift()
    return next !== undefined
      ? Promise.resolve(next)
      : within(STEP, new Promise((r) => waiting.push(r)), what)
  }
}

type Side = "XPUB binds" | "SUB binds"

function describePair({ binder, connecter }: ImplPair, transport: Transport, side: Side): void {
  const [pubImpl, subImpl] = side === "XPUB binds" ? [binder, connecter] : [connecter, binder]

  /** An XPUB and SUBs, linked: whichever side binds, the others connect to it. */
  async function linked(
    options: ConstructorParameters<typeof zmq.XPublisher>[0],
    subs: { sub: zmq.Subscriber }[],
  ) {
    const xpub = open(new pubImpl.zmq.XPublisher(options))
    const next = reader(xpub)
    if (side === "XPUB binds") await bindAny(xpub, transport)
    for (const sub of subs) await join(xpub, sub)
    return { xpub, next }
  }

  /** Links one more subscriber to the XPUB. */
  async function join(xpub: zmq.XPublisher, { sub }: { sub: zmq.Subscriber }): Promise<void> {
    if (side === "XPUB binds") sub.connect(xpub.lastEndpoint!)
    else xpub.connect(await bindAny(sub, transport))
  }

  function subscriber(...topics: string[]): { sub: zmq.Subscriber; next: (what: string) => Promise<string> } {
    const sub = open(new subImpl.zmq.Subscriber())
    for (const topic of topics) sub.subscribe(topic)
    return { sub, next: reader(sub) }
  }

  it("manual: a subscription is passed up and applies only once the XPUB sets ZMQ_SUBSCRIBE", async () => {
    const sub = subscriber("t")
    const { xpub, next } = await linked({ manual: true }, [sub])
    expect(await next("the subscription")).toBe("\x01t")
    await xpub.send("t1")
    setString(xpub, ZMQ_SUBSCRIBE, "t")
    await xpub.send("t2")
    // Over one connection messages keep their order: had t1 been sent, it would come first.
    expect(await sub.next("t2")).toBe("t2")
  })

  it("manual: ZMQ_SUBSCRIBE applies to the subscriber of the last subscription received, to any topic", async () => {
    const first = subscriber("a")
    const { xpub, next } = await linked({ manual: true }, [first])
    expect(await next("first's subscription")).toBe("\x01a")
    const second = subscriber("a", "m")
    await join(xpub, second)
    // A SUB sends its subscriptions as it connects, in the order of its own trie.
    expect([await next("second's a"), await next("second's m")].sort()).toEqual(["\x01a", "\x01m"])
    // Applied for `second`, to every message (it filters for "a" and "m"); `first` gets nothing yet.
    setString(xpub, ZMQ_SUBSCRIBE, "")
    await xpub.send("a1")
    expect(await second.next("a1")).toBe("a1")
    setString(xpub, ZMQ_UNSUBSCRIBE, "")
    // `first` asks for "m" too: the application subscribes it, and its first message is m1.
    first.sub.subscribe("m")
    expect(await next("first's m")).toBe("\x01m")
    setString(xpub, ZMQ_SUBSCRIBE, "m")
    await xpub.send("a2")
    await xpub.send("m1")
    expect(await first.next("m1")).toBe("m1")
    // `second` was unsubscribed from everything: a2 and m1 did not reach it, z1 is its next.
    second.sub.subscribe("z")
    expect(await next("second's z")).toBe("\x01z")
    setString(xpub, ZMQ_SUBSCRIBE, "z")
    await xpub.send("z1")
    expect(await second.next("z1")).toBe("z1")
  })

  // A connecting XPUB keeps its pipe across the peer's reconnects (libzmq): only a bound one sees a
  // subscriber depart.
  it.runIf(side === "XPUB binds")(
    "manual: a departed subscriber's requested topics come back as cancellations",
    async () => {
      const stays = subscriber("a")
      const leaves = subscriber("a", "b")
      const { xpub, next } = await linked({ manual: true }, [stays])
      expect(await next("stays' a")).toBe("\x01a")
      await join(xpub, leaves)
      expect([await next("leaves' a"), await next("leaves' b")].sort()).toEqual(["\x01a", "\x01b"])
      leaves.sub.close()
      const cancelled = [await next("cancel 1"), await next("cancel 2")]
      expect(cancelled.sort()).toEqual(["\x00a", "\x00b"])
    },
  )

  it("welcomeMessage: each subscriber gets it first", async () => {
    const a = subscriber("wel")
    const b = subscriber("wel")
    const { xpub, next } = await linked({ welcomeMessage: "welcome" }, [a, b])
    expect(await a.next("a's welcome")).toBe("welcome")
    expect(await b.next("b's welcome")).toBe("welcome")
    // Not manual nor verbose: only the first subscription to "wel" is passed up.
    expect(await next("the subscription")).toBe("\x01wel")
    await xpub.send("wel-after")
    expect(await a.next("a's next")).toBe("wel-after")
  })
}

function describeImpl({ zmq: z }: Impl): void {
  it("ZMQ_SUBSCRIBE on an XPUB that is not manual is EINVAL", () => {
    const xpub = open(new z.XPublisher())
    expect(thrownBy(() => setString(xpub, ZMQ_SUBSCRIBE, "t"))).toMatchObject({ code: "EINVAL" })
    xpub.manual = true
    expect(thrownBy(() => setString(xpub, ZMQ_SUBSCRIBE, "t"))).toBeUndefined()
    expect(thrownBy(() => setString(xpub, ZMQ_UNSUBSCRIBE, "t"))).toBeUndefined()
  })

  it("welcomeMessage takes a string or null", () => {
    const xpub = open(new z.XPublisher())
    xpub.welcomeMessage = "hello"
    xpub.welcomeMessage = null
    expect(thrownBy(() => setString(xpub, 72, ""))).toBeUndefined()
  })
}

for (const impl of impls) describe(`XPUB options (${impl.name})`, () => describeImpl(impl))

for (const pair of pairs()) {
  for (const transport of transports) {
    for (const side of ["XPUB binds", "SUB binds"] as const) {
      describe(`XPUB manual/welcomeMessage over ${transport}, ${side}: ${pair.label}`, () =>
        describePair(pair, transport, side))
    }
  }
}
