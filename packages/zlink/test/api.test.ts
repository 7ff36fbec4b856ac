import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"

const open: { close(): void }[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})
function track<T extends { close(): void }>(socket: T): T {
  open.push(socket)
  return socket
}

const classes = [
  "Pair",
  "Publisher",
  "Subscriber",
  "Request",
  "Reply",
  "Dealer",
  "Router",
  "Pull",
  "Push",
  "XPublisher",
  "XSubscriber",
] as const

const zlClasses = {
  Pair: zl.Pair,
  Publisher: zl.Publisher,
  Subscriber: zl.Subscriber,
  Request: zl.Request,
  Reply: zl.Reply,
  Dealer: zl.Dealer,
  Router: zl.Router,
  Pull: zl.Pull,
  Push: zl.Push,
  XPublisher: zl.XPublisher,
  XSubscriber: zl.XSubscriber,
}
const zmqClasses = {
  Pair: zmq.Pair,
  Publisher: zmq.Publisher,
  Subscriber: zmq.Subscriber,
  Request: zmq.Request,
  Reply: zmq.Reply,
  Dealer: zmq.Dealer,
  Router: zmq.Router,
  Pull: zmq.Pull,
  Push: zmq.Push,
  XPublisher: zmq.XPublisher,
  XSubscriber: zmq.XSubscriber,
}

const readableOptions = [
  "linger",
  "reconnectInterval",
  "reconnectMaxInterval",
  "backlog",
  "maxMessageSize",
  "tcpKeepalive",
  "immediate",
  "ipv6",
  "handshakeInterval",
  "heartbeatInterval",
  "heartbeatTimeToLive",
  "heartbeatTimeout",
  "connectTimeout",
  "sendHighWaterMark",
  "sendTimeout",
  "receiveHighWaterMark",
  "receiveTimeout",
  "type",
  "lastEndpoint",
  "securityMechanism",
  "threadSafe",
  "closed",
  "routingId",
] as const

describe("the zeromq v6 API surface", () => {
  for (const name of classes) {
    it(`${name}: option defaults and type number match the zeromq package`, () => {
      const ours = track(new zlClasses[name]()) as unknown as Record<string, unknown>
      const theirs = track(new zmqClasses[name]()) as unknown as Record<string, unknown>
      for (const option of readableOptions) {
        if (!(option in theirs)) continue
        expect([option, ours[option]]).toEqual([option, theirs[option]])
      }
    })
  }

  it("exports the same runtime names as the zeromq package for the supported sockets", () => {
    for (const name of [...classes, "Context", "Socket", "Observer", "Proxy", "context", "version"]) {
      expect(name in zl, name).toBe(true)
    }
    expect(Object.keys(zl.capability).sort()).toEqual(Object.keys(zmq.capability).sort())
  })

  it("version is the libzmq version zlink matches, the same as the zeromq package reports", () => {
    expect(zl.version).toBe("4.3.5")
    expect(zl.version).toBe(zmq.version)
    expect(zl.zlinkVersion).toMatch(/^\d+\.\d+\.\d+/)
  })

  it("a default import gives the same module, as with the zeromq package", async () => {
    const zlDefault = (await import("../src/index.js")).default
    expect(zlDefault.Dealer).toBe(zl.Dealer)
    expect(zlDefault.version).toBe("4.3.5")
    expect(typeof (await import("zeromq")).default.Dealer).toBe("function")
  })

  for (const [name, impl] of [
    ["zeromq", zmq],
    ["zlink", zl],
  ] as const) {
    it(`${name}: a ROUTER takes a lone frame as a routing id and sends nothing`, async () => {
      const plain = track(new impl.Router())
      await plain.bind("tcp://127.0.0.1:*")
      await expect(plain.send("no-such-peer")).resolves.toBeUndefined()
      // Mandatory with no peer at all, it waits as for any message; at sendTimeout it is done.
      const mandatory = track(new impl.Router({ mandatory: true, sendTimeout: 100 }))
      await mandatory.bind("tcp://127.0.0.1:*")
      const started = Date.now()
      await expect(mandatory.send("lone")).resolves.toBeUndefined()
      expect(Date.now() - started).toBeGreaterThanOrEqual(90)
      // With a peer, a lone frame naming it reaches nothing.
      const dealer = track(new impl.Dealer({ routingId: "D", receiveTimeout: 200 }))
      dealer.connect(mandatory.lastEndpoint!)
      await dealer.send("hi")
      await mandatory.receive()
      await expect(mandatory.send("D")).resolves.toBeUndefined()
      await expect(mandatory.send("nobody")).resolves.toBeUndefined()
      await expect(dealer.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    })
  }

  for (const [name, impl] of [
    ["zeromq", zmq],
    ["zlink", zl],
  ] as const) {
    it(`${name}: messages that arrived before an unsubscribe are not delivered after it`, async () => {
      const pub = track(new impl.Publisher())
      await pub.bind("tcp://127.0.0.1:*")
      const sub = track(new impl.Subscriber({ receiveTimeout: 300 }))
      sub.subscribe("a")
      sub.subscribe("b")
      sub.connect(pub.lastEndpoint!)
      // Past the subscriptions' arrival at the publisher: "b" messages get through.
      const first = sub.receive()
      const repeat = setInterval(() => void pub.send(["b", "probe"]), 10)
      await first
      clearInterval(repeat)
      await new Promise((resolve) => setTimeout(resolve, 50))
      sub.receiveTimeout = 0
      for (;;) {
        try {
          await sub.receive()
        } catch {
          break
        }
      }
      for (let i = 0; i < 3; i++) await pub.send(["a", String(i)])
      await pub.send(["b", "kept"])
      await new Promise((resolve) => setTimeout(resolve, 200))
      sub.unsubscribe("a")
      const got: string[] = []
      for (;;) {
        try {
          got.push((await sub.receive()).map(String).join(" "))
        } catch {
          break
        }
      }
      expect(got).toEqual(["b kept"])
    })
  }

  it("constructor options set properties, in order", () => {
    const dealer = track(new zl.Dealer({ routingId: "abc", linger: 0, sendHighWaterMark: 5 }))
    expect(dealer.routingId).toBe("abc")
    expect(dealer.linger).toBe(0)
    expect(dealer.sendHighWaterMark).toBe(5)
  })

  it("rejects invalid option values with EINVAL and unsupported features with ENOTSUP", () => {
    const dealer = track(new zl.Dealer())
    expect(() => {
      dealer.linger = -2
    }).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => {
      dealer.routingId = ""
    }).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => {
      dealer.plainServer = true
    }).toThrow(expect.objectContaining({ code: "ENOTSUP" }))
    expect(() => {
      dealer.curveServer = true
    }).toThrow(expect.objectContaining({ code: "ENOTSUP" }))
    dealer.plainServer = false
    expect(dealer.plainServer).toBe(false)
    expect(() => zl.curveKeyPair()).toThrow(expect.objectContaining({ code: "ENOTSUP" }))
  })

  it("converts every MessageLike the way the zeromq package does and receives Buffers", async () => {
    const a = track(new zl.Pair())
    const b = track(new zl.Pair())
    await a.bind("inproc://convert")
    b.connect("inproc://convert")
    const view = new Uint16Array([0x0102, 0x0304])
    await a.send(["text", 42, null, new Uint8Array([1, 2]).buffer, view, Buffer.from("buf")])
    const frames = await b.receive()
    expect(frames.every((f) => Buffer.isBuffer(f))).toBe(true)
    expect(frames.map((f) => f.toString("hex"))).toEqual([
      Buffer.from("text").toString("hex"),
      Buffer.from("42").toString("hex"),
      "",
      "0102",
      Buffer.from(view.buffer).toString("hex"),
      Buffer.from("buf").toString("hex"),
    ])
  })

  it("errors carry the zeromq package's codes", async () => {
    const pull = track(new zl.Pull())
    expect(() => pull.connect("bogus://x")).toThrow(expect.objectContaining({ code: "EPROTONOSUPPORT" }))
    expect(() => pull.connect("tcp://no-port")).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => pull.disconnect("tcp://127.0.0.1:1")).toThrow(expect.objectContaining({ code: "ENOENT" }))
    await expect(pull.unbind("tcp://127.0.0.1:1")).rejects.toMatchObject({ code: "ENOENT" })
    pull.receiveTimeout = 0
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    pull.receiveTimeout = -1
    const pending = pull.receive()
    pull.close()
    await expect(pending).rejects.toMatchObject({ code: "EAGAIN" })
    // As with zeromq, operations on a closed socket throw EBADF synchronously.
    expect(() => pull.receive()).toThrow(expect.objectContaining({ code: "EBADF", errno: 9 }))
    expect(() => pull.bind("tcp://127.0.0.1:*")).toThrow(expect.objectContaining({ code: "EBADF" }))
    expect(() => pull.connect("tcp://127.0.0.1:1")).toThrow(expect.objectContaining({ code: "EBADF" }))
  })

  it("queues concurrent receives in call order instead of failing with EBUSY", async () => {
    const push = track(new zl.Push())
    const pull = track(new zl.Pull())
    await pull.bind("inproc://order")
    push.connect("inproc://order")
    const receives = [pull.receive(), pull.receive(), pull.receive()]
    for (const n of ["1", "2", "3"]) await push.send(n)
    expect((await Promise.all(receives)).map(([m]) => m!.toString())).toEqual(["1", "2", "3"])
  })

  it("a ROUTER routes by routing ids given as strings, repeated or alternating", async () => {
    const router = track(new zl.Router())
    const a = track(new zl.Dealer({ routingId: "peer-a" }))
    const b = track(new zl.Dealer({ routingId: "peer-b" }))
    await router.bind("inproc://route-strings")
    a.connect("inproc://route-strings")
    b.connect("inproc://route-strings")
    for (const [to, body] of [
      ["peer-a", "1"],
      ["peer-a", "2"],
      ["peer-b", "3"],
      ["peer-a", "4"],
      ["peer-b", "5"],
    ]) {
      await router.send([to!, body!])
    }
    const bodies = async (dealer: zl.Dealer, n: number) => {
      const out: string[] = []
      for (let i = 0; i < n; i++) out.push((await dealer.receive())[0]!.toString())
      return out
    }
    expect(await bodies(a, 3)).toEqual(["1", "2", "4"])
    expect(await bodies(b, 2)).toEqual(["3", "5"])
    // The id frame of a received message is a Buffer, as from the zeromq package.
    await a.send("up")
    const [id, body] = await router.receive()
    expect(Buffer.isBuffer(id)).toBe(true)
    expect([id!.toString(), body!.toString()]).toEqual(["peer-a", "up"])
  })

  it("async iteration ends when the socket closes", async () => {
    const pull = track(new zl.Pull())
    await pull.bind("inproc://iterate")
    const push = track(new zl.Push())
    push.connect("inproc://iterate")
    await push.send("one")
    const seen: string[] = []
    const loop = (async () => {
      for await (const [m] of pull) {
        seen.push(m!.toString())
        pull.close()
      }
    })()
    await loop
    expect(seen).toEqual(["one"])
  })

  it("reports monitor events with the zeromq package's names", async () => {
    const rep = track(new zl.Reply())
    const events: string[] = []
    const done = (async () => {
      for await (const event of rep.events) {
        events.push(event.type)
        if (event.type === "end") break
      }
    })()
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(new zmq.Request())
    req.connect(rep.lastEndpoint!)
    await req.send("x")
    await rep.receive()
    await rep.send("y")
    await req.receive()
    req.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    rep.close()
    await done
    expect(events).toEqual(["bind", "accept", "handshake", "disconnect", "close", "end"])
  })

  it("Proxy forwards both ways between ROUTER and DEALER until terminated", async () => {
    const proxy = new zl.Proxy(track(new zl.Router()), track(new zl.Dealer()))
    await proxy.frontEnd.bind("inproc://front")
    await proxy.backEnd.bind("inproc://back")
    const running = proxy.run()
    const worker = track(new zl.Reply())
    worker.connect("inproc://back")
    const client = track(new zl.Request())
    client.connect("inproc://front")
    const serve = (async () => {
      const [request] = await worker.receive()
      await worker.send(`${request!.toString()} done`)
    })()
    await client.send("job")
    const [reply] = await client.receive()
    await serve
    expect(reply!.toString()).toBe("job done")
    proxy.terminate()
    await running
  })

  for (const [name, impl] of [
    ["zeromq", zmq],
    ["zlink", zl],
  ] as const) {
    it(`${name}: a running Proxy owns its sockets, and closes them when it ends`, async () => {
      // The two packages' classes have one shape; tsc cannot construct a union of them.
      const z = impl as unknown as typeof zl
      const proxy = new z.Proxy(track(new z.Router()), track(new z.Dealer()))
      await proxy.frontEnd.bind("tcp://127.0.0.1:*")
      await proxy.backEnd.bind("tcp://127.0.0.1:*")
      const running = proxy.run()
      const busy = expect.objectContaining({ code: "EBUSY" })
      expect(() => proxy.backEnd.send("x")).toThrow(busy)
      expect(() => proxy.frontEnd.receive()).toThrow(busy)
      expect(() => proxy.frontEnd.connect("tcp://127.0.0.1:1")).toThrow(busy)
      expect(() => proxy.frontEnd.bind("tcp://127.0.0.1:*")).toThrow(busy)
      // Options stay reachable; a close() waits for the proxy to end.
      proxy.frontEnd.linger = 0
      expect(proxy.frontEnd.linger).toBe(0)
      proxy.frontEnd.close()
      expect([proxy.frontEnd.closed, proxy.backEnd.closed]).toEqual([false, false])
      proxy.terminate()
      await running
      expect([proxy.frontEnd.closed, proxy.backEnd.closed]).toEqual([true, true])
    })
  }
})
