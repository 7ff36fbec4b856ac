import { describe, expect, it } from "vitest"
import {
  createTransportContext,
  memory,
  type Transport,
  type TransportFactory,
  TransportRegistry,
  transportSymbol,
} from "../src/index.js"

function fake(schemes: string[], extra: Partial<Record<string, unknown>> = {}): TransportFactory {
  return () =>
    ({
      [Symbol.toStringTag]: "FakeTransport",
      [transportSymbol]: true,
      specVersion: 1,
      schemes,
      framing: "stream",
      listen: async () => {
        throw new Error("no")
      },
      dial: async () => {
        throw new Error("no")
      },
      ...extra,
    }) as unknown as Transport
}

describe("TransportRegistry", () => {
  it("serves the schemes its factories declare", () => {
    const registry = new TransportRegistry(createTransportContext(), [memory(), fake(["tcp", "tcp4"])])
    expect(registry.schemes()).toEqual(["memory", "tcp", "tcp4"])
    expect(registry.get("memory").schemes).toEqual(["memory"])
    expect(registry.get("TCP")).toBe(registry.get("tcp4"))
    expect(registry.has("tcp")).toBe(true)
    expect(registry.has("ipc")).toBe(false)
  })

  it("throws EPROTONOSUPPORT for an unknown scheme", () => {
    const registry = new TransportRegistry(createTransportContext())
    expect(() => registry.get("tcp")).toThrow(expect.objectContaining({ code: "EPROTONOSUPPORT" }))
  })

  it("hands each factory its context", () => {
    const context = createTransportContext()
    let seen: unknown
    const registry = new TransportRegistry(context)
    registry.register((ctx) => {
      seen = ctx
      return fake(["x"])(ctx)
    })
    expect(seen).toBe(context)
    expect(registry.context).toBe(context)
  })

  it("lets a later registration replace a scheme", () => {
    const registry = new TransportRegistry(createTransportContext(), [fake(["tcp"])])
    const replacement = registry.register(fake(["tcp"]))
    expect(registry.get("tcp")).toBe(replacement)
  })

  it("keeps registries apart", () => {
    const a = new TransportRegistry(createTransportContext(), [memory()])
    const b = new TransportRegistry(createTransportContext())
    expect(a.has("memory")).toBe(true)
    expect(b.has("memory")).toBe(false)
  })

  it.each([
    ["a non-transport", (() => ({ schemes: ["x"] })) as unknown as TransportFactory],
    ["undefined", (() => undefined) as unknown as TransportFactory],
    ["an unknown spec version", fake(["x"], { specVersion: 2 })],
    ["no schemes", fake([])],
    ["an invalid scheme", fake(["tcp://"])],
    ["an upper-case scheme", fake(["TCP"])],
  ])("rejects a factory returning %s with EINVAL", (_, factory) => {
    const registry = new TransportRegistry(createTransportContext())
    expect(() => registry.register(factory)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(registry.schemes()).toEqual([])
  })

  it("rejects a non-function with EINVAL", () => {
    const registry = new TransportRegistry(createTransportContext())
    expect(() => registry.register({} as unknown as TransportFactory)).toThrow(
      expect.objectContaining({ code: "EINVAL" }),
    )
  })

  it("fills a context with a no-op log and a monotonic clock", () => {
    const context = createTransportContext()
    expect(() => context.log("info", "zl:test", "hello")).not.toThrow()
    expect(typeof context.now()).toBe("number")
    const now = () => 42
    expect(createTransportContext({ now }).now()).toBe(42)
  })
})
