import { describe, expect, it } from "vitest"
import { TransportError } from "../src/index.js"

describe("TransportError", () => {
  it("carries a code, a name and a cause", () => {
    const cause = new Error("inner")
    const error = new TransportError("EINVAL", "bad", { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(TransportError)
    expect(error.code).toBe("EINVAL")
    expect(error.name).toBe("TransportError")
    expect(error.cause).toBe(cause)
    expect(error.message).toBe("bad")
  })

  it("has the zlink.error marker that @zl/codec's ZlError.isInstance checks", () => {
    const error = new TransportError("EINVAL", "bad")
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for("zlink.error")]).toBe(true)
    expect(Object.hasOwn(error, Symbol.for("zlink.error"))).toBe(false)
  })

  it("recognises a copy from another module instance by its marker", () => {
    const foreign = Object.create(Error.prototype, {
      [Symbol.for("zlink.transport-error")]: { value: true },
      code: { value: "EIO" },
    })
    expect(TransportError.isInstance(foreign)).toBe(true)
    expect(foreign instanceof TransportError).toBe(true)
    expect(TransportError.isInstance(new Error("x"))).toBe(false)
    expect(TransportError.isInstance(null)).toBe(false)
    expect(TransportError.isInstance("EIO")).toBe(false)
  })

  it("wraps system errors keeping their errno code", () => {
    const system = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
    const error = TransportError.from(system)
    expect(error.code).toBe("ECONNREFUSED")
    expect(error.cause).toBe(system)
    expect(error.message).toBe(system.message)
    expect(TransportError.from(error)).toBe(error)
    expect(TransportError.from(new Error("plain")).code).toBe("EIO")
    expect(TransportError.from("text", "EPIPE")).toMatchObject({ code: "EPIPE", message: "text" })
    expect(TransportError.from(Object.assign(new Error("n"), { code: 5 })).code).toBe("EIO")
  })
})
