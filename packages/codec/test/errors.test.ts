/**
 * Error identity (STYLE rule 17): a `Symbol.for("zlink.error")` marker, so that errors from a second copy
 * of the package still pass `isInstance` and `instanceof ZlError`.
 */
import { describe, expect, it } from "vitest"
import { Decoder, ZlError, ZmtpError, ZmtpErrorCode } from "../src/index.js"
import { caught, fromHex, Recorder } from "./helpers.js"

const MARKER = Symbol.for("zlink.error")

/** An error class from "another copy" of zlink: unrelated prototype chain, same marker. */
class ForeignError extends Error {
  readonly code = "EAGAIN"
}
Object.defineProperty(ForeignError.prototype, MARKER, { value: true })

describe("ZlError", () => {
  it("carries code, name, message and cause", () => {
    const cause = new Error("root")
    const err = new ZlError("EINVAL", "bad argument", { cause })
    expect(err.code).toBe("EINVAL")
    expect(err.name).toBe("ZlError")
    expect(err.message).toBe("bad argument")
    expect(err.cause).toBe(cause)
    expect(err).toBeInstanceOf(Error)
    expect(err).toBeInstanceOf(ZlError)
    expect(ZlError.isInstance(err)).toBe(true)
  })

  it("keeps the marker on the prototype, not on each instance", () => {
    const err = new ZlError("EINVAL", "x")
    expect(Object.hasOwn(err, MARKER)).toBe(false)
    expect(Object.hasOwn(ZlError.prototype, MARKER)).toBe(true)
    expect(Object.getOwnPropertySymbols(err)).not.toContain(MARKER)
  })

  it("recognises a foreign object whose prototype carries the marker", () => {
    const foreign = new ForeignError("from another copy")
    expect(ZlError.isInstance(foreign)).toBe(true)
    expect(foreign instanceof ZlError).toBe(true)
    // Subclasses keep their own identity: a foreign error is not one of our ZmtpErrors.
    expect(foreign instanceof ZmtpError).toBe(false)
  })

  it("does not recognise a plain Error, non-objects, or a marker that is not true", () => {
    const values: unknown[] = [
      new Error("plain"),
      Object.assign(new Error("coded"), { code: "EINVAL" }),
      { [MARKER]: "yes" },
      null,
      undefined,
      "ZlError",
      42,
    ]
    for (const value of values) {
      expect(ZlError.isInstance(value)).toBe(false)
      expect(value instanceof ZlError).toBe(false)
    }
  })

  it("recognises errors made by a second instance of the errors module", async () => {
    // A query string makes vite load the module again: a separate class with the same marker.
    const path = "../src/errors.js?second-copy"
    const copy = (await import(/* @vite-ignore */ path)) as typeof import("../src/errors.js")
    expect(copy.ZlError).not.toBe(ZlError)
    const theirs = new copy.ZmtpError(ZmtpErrorCode.BAD_SIZE, "from the copy")
    expect(ZlError.isInstance(theirs)).toBe(true)
    expect(theirs instanceof ZlError).toBe(true)
    expect(theirs instanceof ZmtpError).toBe(false)
    const ours = new ZmtpError(ZmtpErrorCode.BAD_SIZE, "from here")
    expect(ours instanceof copy.ZlError).toBe(true)
    expect(copy.ZlError.isInstance(ours)).toBe(true)
  })
})

describe("ZmtpError", () => {
  it("is a ZlError and an Error, with its own name", () => {
    const err = new ZmtpError(ZmtpErrorCode.BAD_FLAGS, "x")
    expect(err).toBeInstanceOf(ZmtpError)
    expect(err).toBeInstanceOf(ZlError)
    expect(err).toBeInstanceOf(Error)
    expect(ZlError.isInstance(err)).toBe(true)
    expect(err.name).toBe("ZmtpError")
    expect(err.code).toBe("ZMTP_ERR_BAD_FLAGS")
  })

  it("a plain ZlError is not a ZmtpError", () => {
    expect(new ZlError("EINVAL", "x") instanceof ZmtpError).toBe(false)
  })

  it("is what the decoder throws, with a stack trace", () => {
    const err = caught(() => new Decoder(new Recorder()).write(fromHex("05 00")))
    expect(err).toBeInstanceOf(ZmtpError)
    expect(err).toMatchObject({ code: ZmtpErrorCode.BAD_FLAGS, name: "ZmtpError" })
    expect(typeof (err as Error).stack).toBe("string")
  })
})
