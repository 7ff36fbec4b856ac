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

/** What a call did: returned, or threw which kind of error with which code and message. */
function outcome(run: () => unknown): string {
  try {
    run()
    return "ok"
  } catch (err) {
    const { code, message } = err as { code?: string; message: string }
    return `${(err as Error).constructor.name} ${code ?? "-"} ${message}`
  }
}

describe("bindSync and unbindSync", () => {
  it("check the address and the socket as zeromq's do, in the same order, with the same errors", async () => {
    for (const [name, make] of [
      ["zeromq", () => new zmq.Pull()],
      ["zlink", () => new zl.Pull()],
    ] as const) {
      const socket = track(make()) as unknown as {
        bindSync(a: unknown): void
        unbindSync(a: unknown): void
        bind(a: string): Promise<void>
        close(): void
      }
      for (const method of ["bindSync", "unbindSync"] as const) {
        expect(
          outcome(() => socket[method](5)),
          `${name} ${method}(5)`,
        ).toBe("TypeError - Address must be a string")
        expect(
          outcome(() => socket[method](undefined)),
          `${name} ${method}()`,
        ).toBe("TypeError - Address must be a string")
      }
      const binding = socket.bind("tcp://127.0.0.1:*")
      for (const method of ["bindSync", "unbindSync"] as const) {
        expect(
          outcome(() => socket[method]("tcp://127.0.0.1:*")),
          `${name} ${method} during bind`,
        ).toBe("Error EBUSY Socket is blocked by a bind or unbind operation")
      }
      await binding
      socket.close()
      for (const method of ["bindSync", "unbindSync"] as const) {
        expect(
          outcome(() => socket[method]("tcp://127.0.0.1:*")),
          `${name} ${method} closed`,
        ).toBe("Error EBADF Socket is closed")
      }
    }
  })

  it("throw ENOTSUP on an open socket, binding and unbinding nothing: Node has no synchronous listen", async () => {
    const pull = track(new zl.Pull())
    const error = (() => {
      try {
        pull.bindSync("tcp://127.0.0.1:*")
      } catch (err) {
        return err
      }
      return undefined
    })() as { code: string; errno: number; message: string }
    expect(error).toMatchObject({ code: "ENOTSUP", errno: 95 })
    expect(error.message).toBe(
      "bindSync() is not supported: Node.js has no synchronous listen; use await socket.bind()",
    )
    expect(pull.lastEndpoint).toBe(null)
    expect(outcome(() => pull.bindSync("inproc://sync"))).toMatch(/^Error ENOTSUP bindSync\(\)/)
    // The inproc name was not taken: an asynchronous bind to it succeeds.
    await pull.bind("inproc://sync")
    expect(pull.lastEndpoint).toBe("inproc://sync")
    expect(outcome(() => pull.unbindSync("inproc://sync"))).toBe(
      "Error ENOTSUP unbindSync() is not supported: Node.js has no synchronous listen; use await socket.unbind()",
    )
    // Still bound: a PUSH connected to the name delivers.
    const push = track(new zl.Push())
    push.connect("inproc://sync")
    await push.send("still bound")
    const [message] = await pull.receive()
    expect(message?.toString()).toBe("still bound")
  })
})

describe("the context's thread options", () => {
  const values: unknown[] = [0, 1, 99, 1.5, -0.5, Number.NaN, 2 ** 31, -1, -5, "1", null, true]

  it("accept and refuse the values zeromq accepts and refuses, with the same errors", () => {
    const ours = new zl.Context()
    const theirs = new zmq.Context()
    for (const key of ["threadPriority", "threadSchedulingPolicy"] as const) {
      for (const value of values) {
        const zeromq = outcome(() => {
          ;(theirs as unknown as Record<string, unknown>)[key] = value
        })
        const zlink = outcome(() => {
          ;(ours as unknown as Record<string, unknown>)[key] = value
        })
        expect(zlink, `${key} = ${String(value)}`).toBe(zeromq)
      }
      expect(outcome(() => new zl.Context({ [key]: -1 }))).toBe("Error EINVAL Invalid argument")
      expect(outcome(() => new zmq.Context({ [key]: -1 }))).toBe("Error EINVAL Invalid argument")
    }
  })

  it("are write-only as in zeromq: set with the checks, read back undefined", () => {
    const context = new zl.Context({ threadPriority: 5, threadSchedulingPolicy: 0 })
    const theirs = new zmq.Context({ threadPriority: 5, threadSchedulingPolicy: 0 })
    for (const key of ["threadPriority", "threadSchedulingPolicy"] as const) {
      expect(context[key] as unknown, key).toBe(undefined)
      expect(theirs[key] as unknown, key).toBe(undefined)
    }
    expect(() => {
      context.threadPriority = -2
    }).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})

describe("the context's options", () => {
  const names = ["blocky", "ioThreads", "maxMessageSize", "maxSockets", "ipv6"] as const
  const values: unknown[] = [0, 1, 2, 7, -1, 1.5, 65_535, 65_536, 2 ** 31, true, false, "1", null]

  it("read zeromq's defaults, and accept and refuse each value as zeromq does", () => {
    const ours = new zl.Context() as unknown as Record<string, unknown>
    const theirs = new zmq.Context() as unknown as Record<string, unknown>
    for (const name of [...names, "maxSocketsLimit"]) expect(ours[name], name).toBe(theirs[name])
    for (const name of names) {
      for (const value of values) {
        const zeromq = outcome(() => {
          theirs[name] = value
        })
        const zlink = outcome(() => {
          ours[name] = value
        })
        expect(zlink, `${name} = ${String(value)}`).toBe(zeromq)
        expect(ours[name], `${name} after ${String(value)}`).toBe(theirs[name])
      }
    }
  })

  it("given to the constructor, are set with the same checks", () => {
    for (const options of [
      { ioThreads: -1 },
      { maxSockets: 0 },
      { blocky: 1 },
      { ipv6: true, maxSockets: 9 },
    ]) {
      const zeromq = outcome(() => new zmq.Context(options as never))
      expect(
        outcome(() => new zl.Context(options as never)),
        JSON.stringify(options),
      ).toBe(zeromq)
    }
    const context = new zl.Context({ ipv6: true, maxSockets: 9, blocky: false })
    expect([context.ipv6, context.maxSockets, context.blocky]).toEqual([true, 9, false])
  })

  it("can be read and written by libzmq number from a subclass, as with zeromq", () => {
    const raw = (base: typeof zl.Context | typeof zmq.Context) => {
      // biome-ignore lint/suspicious/noExplicitAny: the protected methods of either package's class.
      const C = class extends (base as any) {
        call(method: string, ...args: unknown[]): string {
          return outcome(() =>
            (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
          )
        }
        read(method: string, option: unknown): string {
          try {
            return JSON.stringify(
              (this as unknown as Record<string, (o: unknown) => unknown>)[method]!(option),
            )
          } catch (err) {
            return outcome(() => {
              throw err
            })
          }
        }
      }
      return new C() as unknown as {
        call(method: string, ...args: unknown[]): string
        read(method: string, option: unknown): string
        ioThreads: number
        blocky: boolean
        threadPriority: number
      }
    }
    const ours = raw(zl.Context)
    const theirs = raw(zmq.Context)
    const reads: [string, unknown][] = [
      ["getInt32Option", 1],
      ["getInt32Option", 2],
      ["getInt32Option", 3],
      ["getInt32Option", 5],
      ["getInt32Option", 42],
      ["getInt32Option", 70],
      ["getInt32Option", 99],
      ["getInt32Option", "1"],
      ["getBoolOption", 70],
      ["getBoolOption", 42],
      ["getBoolOption", 99],
    ]
    for (const [method, option] of reads) {
      expect(ours.read(method, option), `${method}(${String(option)})`).toBe(theirs.read(method, option))
    }
    const writes: [string, number, unknown][] = [
      ["setInt32Option", 1, 4],
      ["setInt32Option", 5, -1],
      ["setInt32Option", 99, 1],
      ["setInt32Option", 1, "x"],
      ["setBoolOption", 70, false],
      ["setBoolOption", 70, 1],
      ["setInt32Option", 4, 2],
      ["setInt32Option", 3, 7],
    ]
    for (const [method, option, value] of writes) {
      const label = `${method}(${option}, ${String(value)})`
      expect(ours.call(method, option, value), label).toBe(theirs.call(method, option, value))
    }
    expect([ours.ioThreads, ours.blocky]).toEqual([theirs.ioThreads, theirs.blocky])
    expect([ours.ioThreads, ours.blocky]).toEqual([4, false])
    // Number 3 writes the thread priority (write-only) and reads the socket limit, in both.
    expect(ours.threadPriority as unknown).toBe(theirs.threadPriority as unknown)
    expect(ours.read("getInt32Option", 3)).toBe("65535")
    expect(ours.read("getInt32Option", 4)).toBe("2")
    expect(theirs.read("getInt32Option", 4)).toBe("2")
  })
})
