import { describe, expect, it } from "vitest"
import { Decoder, Encoder } from "../src/index.js"

describe("encoder and decoder", () => {
  it("round-trips a multipart message with an empty frame", () => {
    const encoder = new Encoder()
    const frames = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)]
    encoder.message(frames)
    const got: Uint8Array[][] = []
    const decoder = new Decoder({ onMessage: (m) => void got.push(m), onCommand: () => {} })
    for (const chunk of encoder.chunks()) decoder.write(chunk)
    expect(got).toEqual([frames])
  })
})
