/**
 * Nothing escapes to the event loop: faults injected into monitor listeners, the dial path and
 * timers are reported through the context and the sockets carry on. Plus the bounds and checks the
 * sockets enforce themselves: option values, waiting operations, routing ids a peer cannot squat,
 * and a multipart send that is refused whole.
 */
import { MAX_FRAME_SIZE } from "@zl/codec"
import { memory, type Transport, type TransportFactory } from "@zl/transport"
import { afterEach, describe, expect, it } from "vitest"
import {
  Context,
  DealerSocket,
  MAX_PENDING_OPERATIONS,
  PullSocket,
  PushSocket,
  ReplySocket,
  RequestSocket,
  RouterSocket,
  type SocketEvent,
} from "../src/index.js"
import { msg, recordEvents, settle, texts, tick, waitFor, within } from "./helpers.js"

const contexts: Context[] = []
let nextName = 1

afterEach(() => {
  for (const context of contexts.splice(0)) context.close()
})

/** A context over the memory transport whose reported errors are collected. */
function world(transport: TransportFactory = memory()): { context: Context; reported: unknown[] } {
  const reported: unknown[] = []
  const context = new Context({ transports: [transport], reportError: (error) => reported.push(error) })
  contexts.push(context)
  return { context, reported }
}

function endpoint(): string {
  return `memory://faults-${nextName++}`
}

describe("exceptions that have nowhere to go are reported, not thrown", () => {
  it("a throwing monitor listener breaks neither the connection nor the other listeners", async () => {
    const { context, reported } = world()
    const router = new RouterSocket(context)
    const dealer = new DealerSocket(context, { routingId: new TextEncoder().encode("d") })
    const boom = new Error("listener bug")
    for (const socket of [router, dealer]) {
      socket.addEventListener(() => {
        throw boom
      })
    }
    const events = recordEvents(dealer)
    const ep = endpoint()
    await router.bind(ep)
    dealer.connect(ep)
    await dealer.send(msg("hello"))
    expect(texts(await within(router.receive()))).toEqual(["d", "hello"])
    await router.send(msg("d", "back"))
    expect(texts(await within(dealer.receive()))).toEqual(["back"])
    expect(events.map((e) => e.type)).toEqual(["connect", "handshake"])
    // bind, accept and handshake on the router; connect and handshake on the dealer.
    expect(reported).toEqual([boom, boom, boom, boom, boom])
  })

  it("a fault while starting a connection is reported, and the dial is retried", async () => {
    const network = memory()
    let starts = 0
    const faulty: TransportFactory = (ctx) => {
      const inner: Transport = network(ctx)
      return new Proxy(inner, {
        get(target, key) {
          if (key === "dial") {
            return async (...args: Parameters<Transport["dial"]>) => {
              const connection = await target.dial(...args)
              if (++starts <= 2) {
                connection.start = () => {
                  throw new Error("transport bug")
                }
              }
              return connection
            }
          }
          const value = Reflect.get(target, key)
          return typeof value === "function" ? value.bind(target) : value
        },
      })
    }
    const { context, reported } = world(faulty)
    const pull = new PullSocket(context)
    const push = new PushSocket(context, { reconnectInterval: 10 })
    const ep = endpoint()
    await pull.bind(ep)
    push.connect(ep)
    await push.send(msg("made it"))
    expect(texts(await within(pull.receive()))).toEqual(["made it"])
    expect(starts).toBe(3)
    expect(reported.map((e) => (e as Error).message)).toEqual(["transport bug", "transport bug"])
  })

  it("a reconnect interval above 2^31 - 1 ms waits instead of firing after 1 ms, as Node would", async () => {
    const { context } = world()
    const push = new PushSocket(context, { reconnectInterval: 2 ** 31 + 5 })
    const events = recordEvents(push)
    push.connect(endpoint())
    await tick(100)
    const retries = events.filter((e) => e.type === "connect:retry")
    expect(retries).toHaveLength(1)
    expect((retries[0] as { interval: number }).interval).toBeGreaterThanOrEqual(2 ** 31 + 5)
  })
})

describe("option values are checked by the sockets themselves", () => {
  const bad: [string, unknown][] = [
    ["linger", -2],
    ["linger", 1.5],
    ["sendHighWaterMark", -1],
    ["receiveTimeout", Number.NaN],
    ["reconnectInterval", "100"],
    ["heartbeatTimeToLive", 6_553_501],
    ["routingId", new Uint8Array(0)],
    ["routingId", new Uint8Array(256)],
    ["tcpKeepalive", 2],
    ["verbosity", "everything"],
    ["immediate", 1],
  ]
  for (const [name, value] of bad) {
    const shown = value instanceof Uint8Array ? `${value.length} octets` : String(value)
    it(`${name}: ${shown} is refused with EINVAL`, () => {
      const { context } = world()
      expect(() => new DealerSocket(context, { [name]: value })).toThrow(
        expect.objectContaining({ code: "EINVAL" }),
      )
    })
  }

  it("valid values at the edges are taken, and options no socket knows are left to the transports", () => {
    const { context } = world()
    const socket = new DealerSocket(context, {
      linger: -1,
      sendHighWaterMark: 0,
      heartbeatTimeToLive: 6_553_500,
      routingId: new Uint8Array(255),
      ...({ tlsHostname: "example.org" } as object),
    })
    expect(socket.options.heartbeatTimeToLive).toBe(6_553_500)
  })
})

describe("waiting operations are bounded", () => {
  it(`at most ${MAX_PENDING_OPERATIONS} receives wait; the next is refused with EBUSY`, async () => {
    const { context } = world()
    const pull = new PullSocket(context)
    const waiting = Array.from({ length: MAX_PENDING_OPERATIONS }, () => pull.receive())
    await expect(pull.receive()).rejects.toMatchObject({ code: "EBUSY" })
    pull.close()
    const outcomes = await Promise.allSettled(waiting)
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true)
  })

  it(`at most ${MAX_PENDING_OPERATIONS} sends wait; the next is refused with EBUSY`, async () => {
    const { context } = world()
    const push = new PushSocket(context)
    const waiting = Array.from({ length: MAX_PENDING_OPERATIONS }, () => push.send(msg("x")))
    await expect(push.send(msg("x"))).rejects.toMatchObject({ code: "EBUSY" })
    push.close()
    await Promise.allSettled(waiting)
  })
})

describe("ROUTER routing ids", () => {
  it("a peer presenting the next generated id does not get the next anonymous peer refused", async () => {
    const { context } = world()
    const router = new RouterSocket(context)
    const ep = endpoint()
    await router.bind(ep)
    const next = ((router as unknown as { nextId: number }).nextId + 1) >>> 0
    const squatted = Uint8Array.of(0, next >>> 24, (next >>> 16) & 0xff, (next >>> 8) & 0xff, next & 0xff)
    const squatter = new DealerSocket(context, { routingId: squatted })
    squatter.connect(ep)
    await squatter.send(msg("squatter"))
    const first = await within(router.receive())
    expect(first[0]).toEqual(squatted)
    const anonymous = new DealerSocket(context)
    anonymous.connect(ep)
    await anonymous.send(msg("anonymous"))
    const second = await within(router.receive())
    expect(texts(second.slice(1))).toEqual(["anonymous"])
    expect(second[0]!.length).toBe(5)
    expect(second[0]).not.toEqual(squatted)
    await router.send([second[0]!, ...msg("to anonymous")])
    expect(texts(await within(anonymous.receive()))).toEqual(["to anonymous"])
  })
})

describe("a send that cannot go on the wire is refused whole", () => {
  it("a part too large to encode fails the send with EMSGSIZE, and nothing of it is sent", async () => {
    const { context } = world()
    const rep = new ReplySocket(context)
    const req = new RequestSocket(context)
    const ep = endpoint()
    await rep.bind(ep)
    req.connect(ep)
    const huge = Object.defineProperty(new Uint8Array(1), "length", { value: MAX_FRAME_SIZE + 1 })
    await expect(req.send([...msg("first part"), huge])).rejects.toMatchObject({ code: "EMSGSIZE" })
    // The REQ did not move to waiting for a reply: the next request goes, and is all the REP gets.
    await req.send(msg("next"))
    expect(texts(await within(rep.receive()))).toEqual(["next"])
    await settle()
    expect(rep.readable).toBe(false)
  })
})

describe("the events of a socket whose listener throws", () => {
  it("are all still delivered to the listeners after it", async () => {
    const { context } = world()
    const pull = new PullSocket(context)
    pull.addEventListener(() => {
      throw new Error("first listener")
    })
    const seen: SocketEvent[] = []
    pull.addEventListener((event) => seen.push(event))
    await pull.bind(endpoint())
    pull.close()
    await waitFor(() => seen.some((e) => e.type === "end"))
    expect(seen.map((e) => e.type)).toEqual(["bind", "close", "end"])
  })
})
