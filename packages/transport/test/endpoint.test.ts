import { describe, expect, it } from "vitest"
import { formatTcpEndpoint, parseEndpoint, parseIpcAddress, parseTcpAddress } from "../src/index.js"

const bind = { bind: true }
const connect = { bind: false }

describe("parseEndpoint", () => {
  it("splits scheme and address", () => {
    expect(parseEndpoint("tcp://127.0.0.1:5555")).toEqual({ scheme: "tcp", address: "127.0.0.1:5555" })
    expect(parseEndpoint("ipc:///tmp/a.sock")).toEqual({ scheme: "ipc", address: "/tmp/a.sock" })
    expect(parseEndpoint("TCP://h:1")).toEqual({ scheme: "tcp", address: "h:1" })
    expect(parseEndpoint("ws://h:1/path://x")).toEqual({ scheme: "ws", address: "h:1/path://x" })
  })

  it.each(["127.0.0.1:5555", "tcp:/x", "://x", "tcp://", "1tcp://x", "t cp://x", ""])(
    "rejects %j with EINVAL",
    (endpoint) => {
      expect(() => parseEndpoint(endpoint)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    },
  )
})

describe("parseTcpAddress", () => {
  it.each([
    ["127.0.0.1:5555", bind, { host: "127.0.0.1", port: 5555 }],
    ["127.0.0.1:5555", connect, { host: "127.0.0.1", port: 5555 }],
    ["*:5555", bind, { host: "", port: 5555 }],
    ["*:*", bind, { host: "", port: 0 }],
    ["*:0", bind, { host: "", port: 0 }],
    ["127.0.0.1:*", bind, { host: "127.0.0.1", port: 0 }],
    ["127.0.0.1:0", bind, { host: "127.0.0.1", port: 0 }],
    ["[::1]:5555", connect, { host: "::1", port: 5555 }],
    ["[::1]:*", bind, { host: "::1", port: 0 }],
    ["[::]:*", bind, { host: "::", port: 0 }],
    ["::1:5555", connect, { host: "::1", port: 5555 }],
    ["[fe80::1%eth0]:5555", connect, { host: "fe80::1%eth0", port: 5555 }],
    ["[::ffff:127.0.0.1]:1", connect, { host: "::ffff:127.0.0.1", port: 1 }],
    ["localhost:80", connect, { host: "localhost", port: 80 }],
    ["my-host.example.org:65535", connect, { host: "my-host.example.org", port: 65535 }],
    ["example.org.:1", connect, { host: "example.org.", port: 1 }],
    ["_svc.example:1", connect, { host: "_svc.example", port: 1 }],
  ] as const)("parses %j (%o)", (address, options, expected) => {
    expect(parseTcpAddress(address, options)).toEqual(expected)
  })

  it.each([
    ["127.0.0.1", bind, "no port"],
    ["127.0.0.1:", bind, "empty port"],
    [":5555", bind, "empty host"],
    ["127.0.0.1:65536", bind, "port too large"],
    ["127.0.0.1:99999", connect, "port too large"],
    ["127.0.0.1:-1", bind, "negative port"],
    ["127.0.0.1:12a", bind, "port not a number"],
    ["127.0.0.1:123456", bind, "port too long"],
    ["127.0.0.1: 80", bind, "space in port"],
    ["*:5555", connect, "wildcard host on connect"],
    ["127.0.0.1:*", connect, "wildcard port on connect"],
    ["127.0.0.1:0", connect, "port 0 on connect"],
    ["[::1:5555", connect, "unbalanced bracket"],
    ["::1]:5555", connect, "unbalanced bracket"],
    ["[127.0.0.1]:5555", connect, "bracketed IPv4"],
    ["[*]:5555", bind, "bracketed wildcard"],
    ["[]:5555", bind, "empty brackets"],
    ["[zz::1]:5555", connect, "invalid IPv6"],
    ["256.1.1.1:80", connect, "invalid IPv4"],
    ["host name:80", connect, "space in host"],
    ["-bad.example:80", connect, "label starting with a dash"],
    ["a..b:80", connect, "empty label"],
    [`${"a".repeat(64)}.example:80`, connect, "label too long"],
    ["src;dst:80", connect, "source address syntax"],
  ] as const)("rejects %j (%o: %s) with EINVAL", (address, options, _why) => {
    expect(() => parseTcpAddress(address, options)).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})

describe("formatTcpEndpoint", () => {
  it("brackets IPv6 hosts only", () => {
    expect(formatTcpEndpoint("tcp", "127.0.0.1", 5555)).toBe("tcp://127.0.0.1:5555")
    expect(formatTcpEndpoint("tcp", "::1", 5555)).toBe("tcp://[::1]:5555")
    expect(formatTcpEndpoint("tls", "::", 1)).toBe("tls://[::]:1")
    expect(formatTcpEndpoint("tcp", "example.org", 80)).toBe("tcp://example.org:80")
  })

  it("round-trips through parseTcpAddress", () => {
    for (const [host, port] of [
      ["::1", 1],
      ["10.0.0.1", 65535],
      ["fe80::1%lo", 7],
    ] as const) {
      const { address } = parseEndpoint(formatTcpEndpoint("tcp", host, port))
      expect(parseTcpAddress(address, connect)).toEqual({ host, port })
    }
  })
})

describe("parseIpcAddress", () => {
  it("parses paths and abstract names", () => {
    expect(parseIpcAddress("/tmp/x.sock")).toEqual({ path: "/tmp/x.sock", abstract: false })
    expect(parseIpcAddress("relative.sock")).toEqual({ path: "relative.sock", abstract: false })
    expect(parseIpcAddress("@name")).toEqual({ path: "\0name", abstract: true })
  })

  it.each(["", "@", "*", "/tmp/a\0b"])("rejects %j with EINVAL", (address) => {
    expect(() => parseIpcAddress(address)).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})
