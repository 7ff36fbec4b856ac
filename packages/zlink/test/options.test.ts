/**
 * Options by libzmq number: the protected methods subclasses use to reach further options, side by
 * side with the `zeromq` package, whose subclasses call `zmq_getsockopt` / `zmq_setsockopt` with them.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zl from "../src/index.js"

const ZMQ_LINGER = 17
const ZMQ_ROUTING_ID = 5
const ZMQ_IMMEDIATE = 39
const ZMQ_MAXMSGSIZE = 22
const ZMQ_TYPE = 16

/** What a subclass can call: the protected methods, made public. */
interface Raw {
  getBoolOption(option: number): boolean
  setBoolOption(option: number, value: boolean): void
  getInt32Option(option: number): number
  setInt32Option(option: number, value: number): void
  getInt64Option(option: number): number
  setInt64Option(option: number, value: number): void
  getStringOption(option: number): string | null
  setStringOption(option: number, value: string | Buffer | null): void
  close(): void
  linger: number
  immediate: boolean
  maxMessageSize: number
  routingId: string | null
}

/**
 * A Dealer with its protected option methods in reach: they live on the prototype (what a subclass
 * calls); `protected` is only a compile-time restriction.
 */
function rawDealer(impl: typeof zmq | typeof zl): Raw {
  return new impl.Dealer() as unknown as Raw
}

const open: Raw[] = []
afterEach(() => {
  for (const socket of open.splice(0)) socket.close()
})

for (const [name, impl] of [
  ["libzmq", zmq],
  ["zlink", zl],
] as const) {
  describe(`options by number on ${name}`, () => {
    function socket(): Raw {
      const s = rawDealer(impl)
      open.push(s)
      return s
    }

    it("reads and writes the same option as the property does", () => {
      const s = socket()
      s.setInt32Option(ZMQ_LINGER, 250)
      expect(s.linger).toBe(250)
      expect(s.getInt32Option(ZMQ_LINGER)).toBe(250)
      s.setBoolOption(ZMQ_IMMEDIATE, true)
      expect(s.immediate).toBe(true)
      expect(s.getBoolOption(ZMQ_IMMEDIATE)).toBe(true)
      s.setInt64Option(ZMQ_MAXMSGSIZE, 4096)
      expect(s.maxMessageSize).toBe(4096)
      s.setStringOption(ZMQ_ROUTING_ID, "worker")
      expect(s.routingId).toBe("worker")
      expect(s.getStringOption(ZMQ_ROUTING_ID)).toBe("worker")
      expect(s.getInt32Option(ZMQ_TYPE)).toBe(5)
    })

    it("an option of another C size, or a number the socket does not know, fails with EINVAL", () => {
      const s = socket()
      expect(() => s.getInt64Option(ZMQ_LINGER)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(() => s.setInt32Option(ZMQ_MAXMSGSIZE, 1)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(() => s.setInt32Option(9999, 1)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    })

    it("values libzmq refuses fail with EINVAL", () => {
      const s = socket()
      expect(() => s.setInt32Option(ZMQ_LINGER, -2)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(s.linger).not.toBe(-2)
    })
  })
}
