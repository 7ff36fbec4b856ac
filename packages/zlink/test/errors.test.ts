import { afterEach, describe, expect, it } from "vitest"
import { toZmqError, zmqError } from "../src/errors.js"
import * as zl from "../src/index.js"

const open: { close(): void }[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})
function track<T extends { close(): void }>(socket: T): T {
  open.push(socket)
  return socket
}

describe("errors at the API boundary", () => {
  it("are plain Errors with zeromq's errno, code, message and address, keeping zlink's error as cause", () => {
    const original = new zl.ZlError("EADDRINUSE", "tcp://127.0.0.1:5555 is in use")
    const error = toZmqError(original, "tcp://127.0.0.1:5555") as Error & Record<string, unknown>
    expect(error.constructor).toBe(Error)
    expect({ ...error }).toEqual({ errno: 98, code: "EADDRINUSE", address: "tcp://127.0.0.1:5555" })
    expect(error.message).toBe("Address already in use")
    expect(error.cause).toBe(original)
    expect(zl.ZlError.isInstance(error)).toBe(true)
    expect(error instanceof zl.ZlError).toBe(true)
  })

  it("use libzmq's own numbers and texts for its codes", () => {
    expect(zmqError("EFSM")).toMatchObject({
      errno: 156384763,
      message: "Operation cannot be accomplished in current state",
    })
    expect(zmqError("ETERM")).toMatchObject({ errno: 156384765, message: "Context was terminated" })
    expect(zmqError("EHOSTUNREACH")).toMatchObject({ errno: 113, message: "Host unreachable" })
  })

  it("leave protocol errors, errors without a code, and mapped errors as they are", () => {
    const protocol = new zl.ZlError("ZMTP_ERR_BAD_SIGNATURE", "not a ZMTP peer")
    expect(toZmqError(protocol)).toBe(protocol)
    const type = new TypeError("Option value must be a number")
    expect(toZmqError(type)).toBe(type)
    const mapped = zmqError("EAGAIN")
    expect(toZmqError(mapped)).toBe(mapped)
  })

  it("are thrown synchronously where zeromq throws them", async () => {
    const dealer = track(new zl.Dealer())
    const binding = dealer.bind("tcp://127.0.0.1:*")
    expect(() => dealer.connect("tcp://127.0.0.1:1")).toThrow(
      expect.objectContaining({ code: "EBUSY", message: "Socket is blocked by a bind or unbind operation" }),
    )
    await binding
    dealer.close()
    expect(() => dealer.send("x")).toThrow(
      expect.objectContaining({ code: "EBADF", message: "Socket is closed" }),
    )
    expect(() => dealer.linger).toThrow(expect.objectContaining({ code: "ENOTSOCK", errno: 88 }))
  })

  it("reject unsupported features with ENOTSUP, naming the option in the cause", () => {
    const dealer = track(new zl.Dealer())
    let error: unknown
    try {
      dealer.plainServer = true
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: "ENOTSUP", errno: 95, message: "Operation not supported" })
    expect((error as Error).cause).toMatchObject({
      message: "the plainServer option is not supported by zlink yet",
    })
  })
})

describe("sockets", () => {
  it("are sealed, and type-check option values as zeromq does", () => {
    const pull = track(new zl.Pull()) as unknown as Record<string, unknown>
    expect(() => {
      pull.sendHighWaterMark = 5
    }).toThrow(TypeError)
    expect(() => {
      pull.receiveHighWaterMark = "5"
    }).toThrow(new TypeError("Option value must be a number"))
    expect(Object.keys(pull)).toEqual([])
  })

  it("convert numeric option values as Node-API does", () => {
    const dealer = track(new zl.Dealer())
    dealer.linger = 1.9
    expect(dealer.linger).toBe(1)
    dealer.linger = 2 ** 32 + 5
    expect(dealer.linger).toBe(5)
    dealer.maxMessageSize = Number.NaN
    expect(dealer.maxMessageSize).toBe(0)
    dealer.heartbeatTimeToLive = 150
    expect(dealer.heartbeatTimeToLive).toBe(100)
  })
})
