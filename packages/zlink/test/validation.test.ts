/**
 * Construction and option validation, as the `zeromq` package 6.8.0 (libzmq 4.3.5) does it: every
 * expected error here (class, code, message) was measured on zeromq; `interop/test/zeromq-api/
 * construction.test.ts` runs the same checks against both. Messages that come from V8 itself
 * ("Cannot add property foo, object is not extensible") are V8's, the same in both.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as zl from "../src/index.js"

const open: { close(): void }[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})
function track<T>(value: T): T {
  const closable = value as { close?: unknown } | null | undefined
  if (typeof closable?.close === "function") open.push(value as { close(): void })
  return value
}

/** What `fn` threw: its class name, message and code (undefined when it returned). */
function thrown(fn: () => unknown): { name: string; message: string; code: unknown } | undefined {
  try {
    track(fn())
  } catch (error) {
    const e = error as Error & { code?: unknown }
    return { name: e.constructor.name, message: e.message, code: e.code }
  }
  return undefined
}

const typeError = (message: string) => ({ name: "TypeError", message, code: undefined })
const EINVAL = { name: "Error", message: "Invalid argument", code: "EINVAL" }
const ENOTSUP = { name: "Error", message: "Operation not supported", code: "ENOTSUP" }
const ENOTSOCK = { name: "Error", message: "Socket operation on non-socket", code: "ENOTSOCK" }

/** `new zmq.Socket(...)` from JavaScript: TypeScript declares the constructor protected, as zeromq. */
const RawSocket = zl.Socket as unknown as new (...args: unknown[]) => zl.Socket
const AnyDealer = zl.Dealer as unknown as new (...args: unknown[]) => zl.Dealer
const AnyContext = zl.Context as unknown as new (...args: unknown[]) => zl.Context

/** The protected methods by number, in reach as a subclass has them. */
type Raw = Record<string, (...args: unknown[]) => unknown>
const raw = (socket: object): Raw => socket as unknown as Raw

describe("constructors called wrongly", () => {
  it("a socket class or Context called without new is a TypeError", () => {
    for (const cls of [zl.Dealer, zl.Socket, zl.Context]) {
      const error = thrown(() => (cls as unknown as () => unknown)())
      expect(error?.name).toBe("TypeError")
      expect(error?.message).toMatch(/cannot be invoked without 'new'/)
    }
  })

  it("new Socket checks the type, the options and the count of arguments, in that order", () => {
    expect(thrown(() => new RawSocket())).toEqual(typeError("Socket type must be a number"))
    expect(thrown(() => new RawSocket("5"))).toEqual(typeError("Socket type must be a number"))
    expect(thrown(() => new RawSocket("5", 1, 2))).toEqual(typeError("Socket type must be a number"))
    expect(thrown(() => new RawSocket(5, 1))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new RawSocket(5, null))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new RawSocket(5, 1, 2))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new RawSocket(5, {}, 1))).toEqual(typeError("Expected 2 arguments but received 3"))
    expect(thrown(() => new RawSocket(5, undefined, 1))).toEqual(
      typeError("Expected 2 arguments but received 3"),
    )
  })

  it("a socket class takes any object (an array, a function) as options, and ignores further arguments", () => {
    expect(thrown(() => new AnyDealer(1))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new AnyDealer("x"))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new AnyDealer(null))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new AnyDealer([]))).toBeUndefined()
    expect(thrown(() => new AnyDealer(() => 1))).toBeUndefined()
    expect(thrown(() => new AnyDealer({}, 1, 2))).toBeUndefined()
  })

  it("a context option that is not a context (even undefined) is Node-API's plain Error, without a code", () => {
    for (const context of [1, null, undefined, {}, "ctx"]) {
      expect(thrown(() => new AnyDealer({ context }))).toEqual({
        name: "Error",
        message: "Invalid argument",
        code: undefined,
      })
    }
    const context = new zl.Context()
    const socket = track(new zl.Dealer(Object.create({ context }) as { context: zl.Context }))
    expect(socket.context).toBe(context)
  })

  it("Context checks its options and the count of arguments", () => {
    expect(thrown(() => new AnyContext(1))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new AnyContext(null))).toEqual(typeError("Options must be an object"))
    expect(thrown(() => new AnyContext({}, 1))).toEqual(typeError("Expected 1 argument but received 2"))
    expect(thrown(() => new AnyContext(undefined))).toBeUndefined()
    expect(thrown(() => new AnyContext([]))).toBeUndefined()
  })

  it("Proxy checks its two sockets and the count of arguments, as zeromq", () => {
    const AnyProxy = zl.Proxy as unknown as new (...args: unknown[]) => zl.Proxy
    const [a, b, c] = [track(new zl.Dealer()), track(new zl.Dealer()), track(new zl.Dealer())]
    expect(thrown(() => new AnyProxy())).toEqual(typeError("Front-end must be a socket object"))
    expect(thrown(() => new AnyProxy(a))).toEqual(typeError("Back-end must be a socket object"))
    expect(thrown(() => new AnyProxy(1, 2))).toEqual(typeError("Front-end must be a socket object"))
    expect(thrown(() => new AnyProxy(a, b, c))).toEqual(typeError("Expected 2 arguments but received 3"))
    // Objects that are not sockets: Node-API's failure to unwrap, a plain Error without a code.
    expect(thrown(() => new AnyProxy({}, {}))).toEqual({
      name: "Error",
      message: "Invalid argument",
      code: undefined,
    })
    expect(thrown(() => new AnyProxy(a, {}))).toEqual({
      name: "Error",
      message: "Invalid argument",
      code: undefined,
    })
    expect(thrown(() => new AnyProxy(a, b))).toBeUndefined()
  })
})

describe("new Socket(type) with a libzmq socket type number", () => {
  it("gives a socket of each type zlink has, with the options every socket has", () => {
    for (let type = 0; type <= 10; type++) {
      const socket = track(new RawSocket(type, { linger: 5 }))
      expect([socket.type, socket.linger, socket instanceof zl.Socket]).toEqual([type, 5, true])
      expect(Object.getPrototypeOf(socket)).toBe(zl.Socket.prototype)
      const { send, receive } = socket as unknown as Record<string, unknown>
      expect([typeof send, typeof receive]).toEqual(["function", "function"])
    }
  })

  it("converts the type as ToInt32: 5.5 is 5, NaN and Infinity are 0, 2^32 + 5 is 5", () => {
    expect(
      [5.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32 + 5, -0].map((t) => track(new RawSocket(t)).type),
    ).toEqual([5, 0, 0, 5, 0])
  })

  it("has only the base options as properties (zeromq installs the others on the classes)", () => {
    const socket = track(new RawSocket(5)) as unknown as Record<string, unknown>
    expect([socket.routingId, socket.sendHighWaterMark]).toEqual([undefined, undefined])
    expect(
      thrown(() => {
        socket.sendHighWaterMark = 5
      }),
    ).toEqual(typeError("Cannot add property sendHighWaterMark, object is not extensible"))
    expect(thrown(() => new RawSocket(5, { routingId: "x" }))).toEqual(
      typeError("Cannot add property routingId, object is not extensible"),
    )
  })

  it("reaches the options of its type by number, as zmq_setsockopt does", () => {
    const dealer = raw(track(new RawSocket(5)))
    dealer.setStringOption!(5, "id")
    expect(dealer.getStringOption!(5)).toBe("id")
    const router = raw(track(new RawSocket(6)))
    expect(thrown(() => router.setBoolOption!(33, true))).toBeUndefined()
    const sub = raw(track(new RawSocket(2)))
    expect(thrown(() => sub.setStringOption!(6, "topic"))).toBeUndefined()
    expect(thrown(() => raw(track(new RawSocket(10))).setStringOption!(6, "a"))).toEqual(EINVAL)
  })

  it("a type that cannot send or receive fails its send or receive with ENOTSUP", async () => {
    const pull = track(new RawSocket(7)) as unknown as { send(m: string): Promise<void> }
    await expect(pull.send("x")).rejects.toMatchObject({
      code: "ENOTSUP",
      message: "Operation not supported",
    })
  })

  it("STREAM (11) and the draft types (12 to 20) are ENOTSUP; other numbers EINVAL, as zmq_socket", () => {
    for (const type of [11, 12, 20]) {
      const error = thrown(() => new RawSocket(type))
      expect(error).toEqual(ENOTSUP)
    }
    try {
      new RawSocket(11)
    } catch (error) {
      expect(String((error as Error).cause)).toMatch(/the STREAM socket type is not supported by zlink/)
    }
    for (const type of [-1, 21, 99]) expect(thrown(() => new RawSocket(type))).toEqual(EINVAL)
  })

  it("a subclass of Socket picks its type", () => {
    class Mine extends zl.Socket {
      constructor() {
        super(zl.SocketType.Dealer)
      }
    }
    const socket = track(new Mine())
    expect([socket.type, socket instanceof zl.Socket]).toEqual([5, true])
  })
})

describe("sockets and contexts are sealed", () => {
  it("assigning a misspelled option throws instead of keeping it, in strict code", () => {
    const socket = track(new zl.Dealer()) as unknown as Record<string, unknown>
    expect(
      thrown(() => {
        socket.sendHighWatermark = 1
      }),
    ).toEqual(typeError("Cannot add property sendHighWatermark, object is not extensible"))
    expect(thrown(() => Object.defineProperty(socket, "x", { value: 1 }))).toEqual(
      typeError("Cannot define property x, object is not extensible"),
    )
    expect([Object.isExtensible(socket), Object.isSealed(socket), Reflect.ownKeys(socket)]).toEqual([
      false,
      true,
      [],
    ])
  })

  it("in sloppy code, as with any sealed object, the assignment is ignored", () => {
    const socket = track(new zl.Dealer())
    const assign = new Function("s", "s.fooBar = 1; return s.fooBar") as (s: unknown) => unknown
    expect(assign(socket)).toBeUndefined()
  })

  it("an unknown or read-only constructor option throws", () => {
    expect(thrown(() => new AnyDealer({ linger: 5, foo: 1 }))).toEqual(
      typeError("Cannot add property foo, object is not extensible"),
    )
    expect(thrown(() => new AnyDealer({ type: 5 }))).toEqual(
      typeError("Cannot set property type of #<Socket> which has only a getter"),
    )
    expect(thrown(() => new AnyDealer({ [Symbol.iterator]: 5 }))).toEqual(
      typeError("Cannot add property Symbol(Symbol.iterator), object is not extensible"),
    )
  })

  it("read-only options and properties throw when assigned", () => {
    const socket = track(new zl.Dealer()) as unknown as Record<string, unknown>
    for (const name of [
      "securityMechanism",
      "type",
      "lastEndpoint",
      "threadSafe",
      "closed",
      "readable",
      "events",
      "context",
    ]) {
      expect(
        thrown(() => {
          socket[name] = 1
        }),
      ).toEqual(typeError(`Cannot set property ${name} of #<Socket> which has only a getter`))
    }
  })

  it("a subclass's own field throws, as zeromq's sealed native socket does; accessors and #private work", () => {
    class WithField extends zl.Dealer {
      foo = 1
    }
    expect(thrown(() => new WithField())).toEqual(
      typeError("Cannot define property foo, object is not extensible"),
    )
    class WithAssignment extends zl.Dealer {
      constructor() {
        super()
        ;(this as unknown as Record<string, unknown>).foo = 1
      }
    }
    expect(thrown(() => new WithAssignment())).toEqual(
      typeError("Cannot add property foo, object is not extensible"),
    )
    class WithOption extends zl.Dealer {
      #reads = 0
      get lingerMs(): number {
        this.#reads++
        return this.getInt32Option(17)
      }
      set lingerMs(value: number) {
        this.setInt32Option(17, value)
      }
      get reads(): number {
        return this.#reads
      }
    }
    const socket = track(new WithOption({ lingerMs: 42 } as never))
    expect([socket.lingerMs, socket.linger, socket.reads]).toEqual([42, 42, 1])
    class ContextWithField extends zl.Context {
      foo = 1
    }
    expect(thrown(() => new ContextWithField())).toEqual(
      typeError("Cannot define property foo, object is not extensible"),
    )
  })

  it("a context: unknown properties and options throw, maxSocketsLimit is read-only", () => {
    const context = new zl.Context() as unknown as Record<string, unknown>
    expect([Object.isExtensible(context), Object.isExtensible(zl.context)]).toEqual([false, false])
    expect(
      thrown(() => {
        context.foo = 1
      }),
    ).toEqual(typeError("Cannot add property foo, object is not extensible"))
    expect(
      thrown(() => {
        context.maxSocketsLimit = 1
      }),
    ).toEqual(typeError("Cannot set property maxSocketsLimit of #<Context> which has only a getter"))
    expect(thrown(() => new AnyContext({ foo: 1 }))).toEqual(
      typeError("Cannot add property foo, object is not extensible"),
    )
  })
})

describe("option values", () => {
  it("a value of the wrong JavaScript type is a TypeError naming the type, closed socket or not", () => {
    const socket = track(new zl.Dealer()) as unknown as Record<string, unknown>
    for (const value of ["5", 5n, null, undefined, new Number(5)]) {
      expect(
        thrown(() => {
          socket.linger = value
        }),
      ).toEqual(typeError("Option value must be a number"))
    }
    for (const value of [0, null, new Boolean(true)]) {
      expect(
        thrown(() => {
          socket.immediate = value
        }),
      ).toEqual(typeError("Option value must be a boolean"))
    }
    for (const value of [5, undefined, new ArrayBuffer(2)]) {
      expect(
        thrown(() => {
          socket.routingId = value
        }),
      ).toEqual(typeError("Option value must be a string or buffer"))
    }
    ;(socket as unknown as zl.Dealer).close()
    expect(
      thrown(() => {
        socket.linger = "x"
      }),
    ).toEqual(typeError("Option value must be a number"))
    expect(
      thrown(() => {
        socket.linger = 5
      }),
    ).toEqual(ENOTSOCK)
  })

  it("a string option takes any typed array; a DataView fails as zeromq's buffer conversion does", () => {
    const socket = track(new zl.Dealer()) as unknown as Record<string, unknown>
    socket.routingId = new Uint16Array([0x6261])
    expect(socket.routingId).toBe("ab")
    expect(
      thrown(() => {
        socket.routingId = new DataView(new ArrayBuffer(2))
      }),
    ).toEqual({ name: "Error", message: "Invalid argument", code: undefined })
  })

  it("a string option reads up to its first NUL, as zeromq makes a string of a C string", () => {
    const socket = track(new zl.Dealer())
    socket.routingId = "a\u0000b"
    expect(socket.routingId).toBe("a")
  })

  it("typeOfService as a C int: negatives and values past 2^31 are EINVAL", () => {
    const socket = track(new zl.Dealer())
    for (const value of [-1, 2 ** 31, 2 ** 32 - 1]) {
      expect(
        thrown(() => {
          socket.typeOfService = value
        }),
      ).toEqual(EINVAL)
    }
    socket.typeOfService = 256
    expect(socket.typeOfService).toBe(256)
  })

  it("context options: libzmq's defaults, ranges and types", () => {
    const context = new zl.Context()
    expect([
      context.blocky,
      context.ioThreads,
      context.ipv6,
      context.maxMessageSize,
      context.maxSockets,
      context.maxSocketsLimit,
      context.threadPriority,
      context.threadSchedulingPolicy,
    ]).toEqual([true, 1, false, 2_147_483_647, 1023, 65_535, undefined, undefined])
    const set = (name: string, value: unknown) =>
      thrown(() => {
        ;(context as unknown as Record<string, unknown>)[name] = value
      })
    expect([
      set("ioThreads", -1),
      set("ioThreads", 2 ** 31),
      set("maxSockets", 0),
      set("maxMessageSize", -1),
    ]).toEqual([EINVAL, EINVAL, EINVAL, EINVAL])
    expect([set("threadPriority", -1), set("threadSchedulingPolicy", -1)]).toEqual([EINVAL, EINVAL])
    expect([set("ioThreads", "1"), set("ioThreads", true)]).toEqual([
      typeError("Option value must be a number"),
      typeError("Option value must be a number"),
    ])
    expect([set("blocky", 0), set("blocky", null), set("ipv6", 1)]).toEqual([
      typeError("Option value must be a boolean"),
      typeError("Option value must be a boolean"),
      typeError("Option value must be a boolean"),
    ])
    expect([set("ioThreads", 1.5), set("maxSockets", 100_000), set("maxMessageSize", 2 ** 33)]).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    expect([context.ioThreads, context.maxSockets, context.maxMessageSize]).toEqual([1, 100_000, 0])
    expect(set("threadPriority", 1)).toBeUndefined()
    expect(context.threadPriority).toBeUndefined()
    expect(thrown(() => new AnyContext({ ioThreads: -1 }))).toEqual(EINVAL)
    expect(thrown(() => new AnyContext({ ioThreads: 2, blocky: 1 }))).toEqual(
      typeError("Option value must be a boolean"),
    )
  })

  it("new sockets start with the blocky and ipv6 of their context, set before or after it was made", () => {
    const context = new zl.Context({ ipv6: true })
    context.blocky = false
    const socket = track(new zl.Dealer({ context }))
    expect([socket.ipv6, socket.linger]).toEqual([true, 0])
  })
})

describe("options by number (the protected methods)", () => {
  const kinds = ["Bool", "Int32", "Uint32", "Int64", "Uint64", "String"] as const
  const valueError: Record<(typeof kinds)[number], string> = {
    Bool: "Option value must be a boolean",
    Int32: "Option value must be a number",
    Uint32: "Option value must be a number",
    Int64: "Option value must be a number",
    Uint64: "Option value must be a number",
    String: "Option value must be a string or buffer",
  }

  it("check the identifier, the value and the count of arguments", () => {
    const s = raw(track(new zl.Dealer()))
    for (const kind of kinds) {
      const get = s[`get${kind}Option`]!.bind(s)
      const set = s[`set${kind}Option`]!.bind(s)
      expect(thrown(() => get())).toEqual(typeError("Identifier must be a number"))
      expect(thrown(() => get("17"))).toEqual(typeError("Identifier must be a number"))
      expect(thrown(() => get(17, 1))).toEqual(typeError("Expected 1 argument but received 2"))
      expect(thrown(() => get(9999))).toEqual(EINVAL)
      expect(thrown(() => set())).toEqual(typeError("Identifier must be a number"))
      expect(thrown(() => set("17", 1))).toEqual(typeError("Identifier must be a number"))
      expect(thrown(() => set(17))).toEqual(typeError(valueError[kind]))
      const good = kind === "Bool" ? true : kind === "String" ? "x" : 0
      expect(thrown(() => set(9999, good))).toEqual(EINVAL)
      expect(thrown(() => set(9999, good, 2))).toEqual(typeError("Expected 2 arguments but received 3"))
    }
    expect(thrown(() => s.setBoolOption!(9999, 0))).toEqual(typeError("Option value must be a boolean"))
    expect(thrown(() => s.setInt32Option!(9999, true))).toEqual(typeError("Option value must be a number"))
    expect(thrown(() => s.setStringOption!(9999, 0))).toEqual(
      typeError("Option value must be a string or buffer"),
    )
    expect(thrown(() => s.setStringOption!(5, undefined))).toEqual(
      typeError("Option value must be a string or buffer"),
    )
  })

  it("convert the identifier as ToInt32, as the binding does", () => {
    const s = raw(track(new zl.Dealer()))
    s.setInt32Option!(17.9, 7)
    expect(s.getInt32Option!(17)).toBe(7)
    s.setInt32Option!(2 ** 32 + 17, 8)
    expect([s.getInt32Option!(2 ** 32 + 17), s.getInt32Option!(17.9)]).toEqual([8, 8])
    expect(thrown(() => s.getInt32Option!(Number.NaN))).toEqual(EINVAL)
  })

  it("fail with ENOTSOCK once closed, before EINVAL for an unknown number; type errors come first", () => {
    const s = raw(new zl.Dealer())
    ;(s as unknown as zl.Dealer).close()
    expect(thrown(() => s.getInt32Option!(17))).toEqual(ENOTSOCK)
    expect(thrown(() => s.setInt32Option!(9999, 1))).toEqual(ENOTSOCK)
    expect(thrown(() => s.getInt32Option!("x"))).toEqual(typeError("Identifier must be a number"))
    expect(thrown(() => s.setInt32Option!(17, "x"))).toEqual(typeError("Option value must be a number"))
  })

  it("read-only options cannot be set: EINVAL", () => {
    const s = raw(track(new zl.Dealer()))
    expect(thrown(() => s.setInt32Option!(16, 1))).toEqual(EINVAL)
    expect(thrown(() => s.setStringOption!(32, "x"))).toEqual(EINVAL)
    expect(thrown(() => s.setBoolOption!(81, true))).toEqual(EINVAL)
    expect(thrown(() => s.setInt32Option!(43, 1))).toEqual(EINVAL)
    expect([
      s.getInt32Option!(43),
      s.getBoolOption!(81),
      s.getInt32Option!(13),
      s.getInt32Option!(15),
    ]).toEqual([0, false, 0, 0])
  })

  it("pass a C value of the method's size: a C int where libzmq takes one, EINVAL for another size", () => {
    const s = raw(track(new zl.Dealer()))
    expect(s.getBoolOption!(17)).toBe(true) // linger -1
    s.setBoolOption!(17, true)
    expect(s.getInt32Option!(17)).toBe(1)
    expect(s.getUint32Option!(17)).toBe(1)
    s.setInt32Option!(17, -1)
    expect(s.getUint32Option!(17)).toBe(4_294_967_295)
    s.setInt32Option!(17, 1.7)
    expect(s.getInt32Option!(17)).toBe(1)
    expect([thrown(() => s.getInt64Option!(17)), thrown(() => s.getStringOption!(17))]).toEqual([
      EINVAL,
      EINVAL,
    ])
    expect([thrown(() => s.getInt32Option!(22)), thrown(() => s.setInt64Option!(17, 1))]).toEqual([
      EINVAL,
      EINVAL,
    ])
    expect([s.getInt64Option!(22), s.getUint64Option!(22)]).toEqual([-1, 18_446_744_073_709_552_000])
    s.setInt64Option!(4, -3)
    expect((s as unknown as zl.Dealer).affinity).toBe(18_446_744_073_709_552_000)
    s.setUint64Option!(4, 3)
    expect((s as unknown as zl.Dealer).affinity).toBe(3)
    // A string of 4 octets is a C int; a number is the octets of its C value, little-endian.
    s.setStringOption!(17, "abcd")
    expect(s.getInt32Option!(17)).toBe(0x64636261)
    s.setStringOption!(17, Buffer.from([5, 0, 0, 0]))
    expect(s.getInt32Option!(17)).toBe(5)
    expect(thrown(() => s.setStringOption!(17, "ab"))).toEqual(EINVAL)
    s.setInt32Option!(5, 1)
    expect(s.getStringOption!(5)).toBe("\u0001")
    expect(s.getInt32Option!(5)).toBe(1)
    expect(thrown(() => s.setStringOption!(5, null))).toEqual(EINVAL)
  })

  it("a boolean option takes a C int as libzmq does: strict 0/1, any value, or any but negatives", () => {
    const dealer = raw(track(new zl.Dealer()))
    for (const id of [39, 42]) {
      for (const value of [2, -1, 2 ** 31])
        expect(thrown(() => dealer.setInt32Option!(id, value))).toEqual(EINVAL)
      dealer.setInt32Option!(id, 1)
      expect(dealer.getBoolOption!(id)).toBe(true)
      dealer.setInt32Option!(id, 0)
    }
    // ZMQ_CONFLATE is strict, and libzmq reads it back.
    expect(thrown(() => dealer.setInt32Option!(54, 2))).toEqual(EINVAL)
    dealer.setInt32Option!(54, 1)
    expect(dealer.getBoolOption!(54)).toBe(true)
    expect((dealer as unknown as zl.Dealer).conflate).toBe(true)
    // ZMQ_PLAIN_SERVER is strict too: an invalid value is EINVAL before the feature is found missing.
    expect(thrown(() => dealer.setInt32Option!(44, 2))).toEqual(EINVAL)
    expect(thrown(() => dealer.setInt32Option!(44, 1))).toEqual(ENOTSUP)
    dealer.setInt32Option!(94, -1)
    expect(dealer.getInt32Option!(94)).toBe(1)
    const xpub = raw(track(new zl.XPublisher()))
    xpub.setInt32Option!(74, 2 ** 31)
    expect(xpub.getBoolOption!(74)).toBe(true)
    const router = raw(track(new zl.Router()))
    for (const id of [33, 56]) {
      expect(thrown(() => router.setInt32Option!(id, -1))).toEqual(EINVAL)
      router.setInt32Option!(id, 2)
      // libzmq has no getter for the options of one socket type.
      expect(thrown(() => router.getBoolOption!(id))).toEqual(EINVAL)
    }
    expect([(router as unknown as zl.Router).mandatory, (router as unknown as zl.Router).handover]).toEqual([
      true,
      true,
    ])
    expect(thrown(() => router.setInt32Option!(51, -1))).toEqual(EINVAL)
    expect(thrown(() => router.setInt32Option!(51, 0))).toBeUndefined()
  })

  it("XPUB's ZMQ_XPUB_VERBOSE and ZMQ_XPUB_VERBOSER set verbosity", () => {
    const xpub = raw(track(new zl.XPublisher()))
    const verbosity = () => (xpub as unknown as zl.XPublisher).verbosity
    xpub.setBoolOption!(40, true)
    expect(verbosity()).toBe("allSubs")
    xpub.setInt32Option!(78, 1)
    expect(verbosity()).toBe("allSubsUnsubs")
    xpub.setBoolOption!(78, false)
    expect(verbosity()).toBeNull()
    expect(thrown(() => xpub.setInt32Option!(40, -1))).toEqual(EINVAL)
    expect(thrown(() => xpub.getBoolOption!(40))).toEqual(EINVAL)
  })

  it("SUB's ZMQ_SUBSCRIBE and ZMQ_UNSUBSCRIBE, which subscribe() and unsubscribe() set", () => {
    const sub = track(new zl.Subscriber())
    const s = raw(sub)
    expect([s.setStringOption!(6, "a"), s.setStringOption!(6, null), s.setStringOption!(7, "b")]).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    expect(thrown(() => s.setInt32Option!(6, 1))).toBeUndefined()
    expect(thrown(() => s.getStringOption!(6))).toEqual(EINVAL)
    expect(thrown(() => (sub.subscribe as (p: unknown) => void)(1))).toEqual(
      typeError("Option value must be a string or buffer"),
    )
    expect(thrown(() => (sub.subscribe as (p: unknown) => void)(undefined))).toEqual(
      typeError("Option value must be a string or buffer"),
    )
    sub.close()
    expect(thrown(() => sub.subscribe("a"))).toEqual(ENOTSOCK)
  })

  it("a context has the Bool and Int32 methods, on zmq_ctx_get / zmq_ctx_set", () => {
    const c = raw(new zl.Context())
    expect([1, 2, 3, 5, 42, 70].map((id) => c.getInt32Option!(id))).toEqual([
      1, 1023, 65_535, 2_147_483_647, 0, 1,
    ])
    expect([c.getBoolOption!(70), c.getBoolOption!(1)]).toEqual([true, true])
    c.setInt32Option!(70, 2)
    expect((c as unknown as zl.Context).blocky).toBe(true)
    expect(thrown(() => c.setInt32Option!(70, -1))).toEqual(EINVAL)
    c.setInt32Option!(42, 5)
    expect((c as unknown as zl.Context).ipv6).toBe(true)
    c.setBoolOption!(1, true)
    expect((c as unknown as zl.Context).ioThreads).toBe(1)
    // Number 3 reads ZMQ_SOCKET_LIMIT and sets ZMQ_THREAD_PRIORITY.
    c.setInt32Option!(3, 5)
    expect(c.getInt32Option!(3)).toBe(65_535)
    c.setInt32Option!(1.7, 3)
    expect((c as unknown as zl.Context).ioThreads).toBe(3)
    expect(thrown(() => c.getInt32Option!())).toEqual(typeError("Identifier must be a number"))
    expect(thrown(() => c.getInt32Option!(1, 2))).toEqual(typeError("Expected 1 argument but received 2"))
    expect(thrown(() => c.getInt32Option!(9999))).toEqual(EINVAL)
    expect(thrown(() => c.setBoolOption!(1, 1))).toEqual(typeError("Option value must be a boolean"))
    expect(thrown(() => c.setInt32Option!(1, true))).toEqual(typeError("Option value must be a number"))
    expect(thrown(() => c.setInt32Option!(1, 1, 1))).toEqual(typeError("Expected 2 arguments but received 3"))
    expect(thrown(() => c.setInt32Option!(9999, 1))).toEqual(EINVAL)
    expect([typeof c.getUint32Option, typeof c.getStringOption]).toEqual(["undefined", "undefined"])
  })
})
