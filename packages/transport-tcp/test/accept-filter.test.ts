/**
 * `tcpAcceptFilter`: the address masks (parsed and matched as libzmq 4.3.5's tcp_address_mask_t),
 * and a listener that closes a peer no mask matches before anything reaches it.
 */
import { connect, type Socket } from "node:net"
import { createTransportContext, type Listener, parseEndpoint } from "@zl/transport"
import { afterEach, describe, expect, it } from "vitest"
import { matchesTcpAddressMask, parseTcpAddressMask, tcp } from "../src/index.js"
import { hasIpv6Loopback } from "./helpers.js"

const ipv6 = await hasIpv6Loopback()

let listeners: Listener[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(listeners.map((listener) => listener.close()))
  listeners = []
})

describe("parseTcpAddressMask", () => {
  it.each([
    ["127.0.0.1", 4, [127, 0, 0, 1], 32],
    ["10.1.2.3/8", 4, [10, 1, 2, 3], 8],
    ["127.0.0.1/0", 4, [127, 0, 0, 1], 0],
    ["127.1", 4, [127, 0, 0, 1], 32],
    ["1.2.3", 4, [1, 2, 0, 3], 32],
    ["0x7f.1", 4, [127, 0, 0, 1], 32],
    ["017.0.0.1", 4, [15, 0, 0, 1], 32],
    ["2130706433", 4, [127, 0, 0, 1], 32],
    ["0.0.0.0", 4, [0, 0, 0, 0], 32],
    ["::ffff:127.0.0.1", 4, [127, 0, 0, 1], 32],
    ["127.0.0.1/24abc", 4, [127, 0, 0, 1], 24],
    ["127.0.0.1/ 8", 4, [127, 0, 0, 1], 8],
    ["127.0.0.1/+8", 4, [127, 0, 0, 1], 8],
  ])("reads %s without ipv6 as libzmq does", (text, family, bytes, prefix) => {
    expect(parseTcpAddressMask(text)).toEqual({ family, bytes: new Uint8Array(bytes), prefix })
  })

  it.each([
    "",
    "127.0.0.1/",
    "127.0.0.1/00",
    "127.0.0.1/33",
    "1.2.3.4/-1",
    "1.2.3.4/4294967328",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1/120",
    "localhost",
    "eth0",
    "*",
    " 127.0.0.1",
    "127.0.0.1 ",
    "127.0.0.1 x",
    "127.0.0.256",
    "127.0.0.1:80",
    "0x",
    "fe80::1%lo",
  ])("refuses %j without ipv6 with EINVAL", (text) => {
    expect(() => parseTcpAddressMask(text)).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })

  it("reads IPv6 with ipv6, and IPv4 as its IPv4-mapped address", () => {
    const loopback = new Uint8Array(16)
    loopback[15] = 1
    expect(parseTcpAddressMask("::1", { ipv6: true })).toEqual({ family: 6, bytes: loopback, prefix: 128 })
    expect(parseTcpAddressMask("[::1]/64", { ipv6: true })).toEqual({
      family: 6,
      bytes: loopback,
      prefix: 64,
    })
    expect(parseTcpAddressMask("::1%lo", { ipv6: true }).prefix).toBe(128)
    expect(parseTcpAddressMask("::1%1", { ipv6: true }).prefix).toBe(128)
    const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]
    expect(parseTcpAddressMask("127.0.0.1", { ipv6: true })).toEqual({
      family: 6,
      bytes: new Uint8Array(mapped),
      prefix: 128,
    })
    expect(parseTcpAddressMask("2001:db8::7:8/48", { ipv6: true }).bytes).toEqual(
      new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8]),
    )
    for (const text of ["::1/129", "::1%", "::1%0", "::1%nosuchinterface0", "1::2::3", ":::"]) {
      expect(() => parseTcpAddressMask(text, { ipv6: true }), text).toThrow(
        expect.objectContaining({ code: "EINVAL" }),
      )
    }
  })
})

describe("matchesTcpAddressMask", () => {
  it("compares the leading bits of the same family only", () => {
    const net24 = parseTcpAddressMask("192.168.1.77/24")
    expect(matchesTcpAddressMask(net24, "192.168.1.1")).toBe(true)
    expect(matchesTcpAddressMask(net24, "192.168.2.1")).toBe(false)
    const odd = parseTcpAddressMask("10.0.0.128/25")
    expect(matchesTcpAddressMask(odd, "10.0.0.200")).toBe(true)
    expect(matchesTcpAddressMask(odd, "10.0.0.127")).toBe(false)
    const all4 = parseTcpAddressMask("1.2.3.4/0")
    expect(matchesTcpAddressMask(all4, "8.8.8.8")).toBe(true)
    expect(matchesTcpAddressMask(all4, "::1")).toBe(false)
    // A dual-stack listener reports IPv4 peers as IPv4-mapped: an IPv4 mask does not match them,
    // the mask read with ipv6 does.
    expect(matchesTcpAddressMask(parseTcpAddressMask("127.0.0.1"), "::ffff:127.0.0.1")).toBe(false)
    expect(matchesTcpAddressMask(parseTcpAddressMask("127.0.0.1", { ipv6: true }), "::ffff:127.0.0.1")).toBe(
      true,
    )
    expect(matchesTcpAddressMask(parseTcpAddressMask("fe80::/10", { ipv6: true }), "fe80::1%eth0")).toBe(true)
  })
})

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Resolves with the first bytes `socket` receives, within 2 s. */
function firstData(socket: Socket): Promise<Buffer> {
  return within(2000, new Promise<Buffer>((resolve) => socket.once("data", resolve)), "the first byte")
}

/** Connects a raw client from `localAddress`; `closed` resolves with what it received, within 2 s. */
function probe(port: number, localAddress: string, host = "127.0.0.1") {
  const socket = connect({ port, host, localAddress })
  sockets.push(socket)
  const chunks: Buffer[] = []
  socket.on("data", (chunk) => chunks.push(chunk))
  socket.on("error", () => {})
  const closed = within(
    2000,
    new Promise<Buffer>((resolve) => socket.on("close", () => resolve(Buffer.concat(chunks)))),
    `the close of a connection from ${localAddress}`,
  )
  return { socket, closed }
}

async function listen(options: Record<string, unknown>, address = "127.0.0.1:*") {
  const accepted: string[] = []
  const listener = await tcp()(createTransportContext()).listen(
    address,
    (connection) => {
      accepted.push(connection.peerAddress)
      connection.start({ onData: () => true, onDrain: () => {}, onClose: () => {} })
      connection.writeSome([Buffer.from([0xff])])
    },
    { options },
  )
  listeners.push(listener)
  return { accepted, port: Number(parseEndpoint(listener.endpoint).address.split(":").pop()) }
}

describe.runIf(process.platform === "linux")("a listener with an accept filter", () => {
  it("closes a peer no entry matches before a byte is written, and serves one that matches", async () => {
    const { accepted, port } = await listen({ tcpAcceptFilter: [parseTcpAddressMask("127.0.0.2")] })
    const refused = probe(port, "127.0.0.1")
    expect((await refused.closed).length).toBe(0)
    const allowed = probe(port, "127.0.0.2")
    expect(await firstData(allowed.socket)).toEqual(Buffer.from([0xff]))
    expect(accepted).toEqual(["127.0.0.2"])
  })

  it("matches any entry of the list; CIDR entries given as text are parsed at the bind", async () => {
    const { accepted, port } = await listen({ tcpAcceptFilter: ["10.0.0.0/8", "127.0.0.4/31"] })
    for (const from of ["127.0.0.3", "127.0.0.6"]) expect((await probe(port, from).closed).length).toBe(0)
    for (const from of ["127.0.0.4", "127.0.0.5"]) {
      const allowed = probe(port, from)
      expect(await firstData(allowed.socket)).toEqual(Buffer.from([0xff]))
    }
    expect(accepted).toEqual(["127.0.0.4", "127.0.0.5"])
  })

  it.runIf(ipv6)("on a dual-stack listener, matches IPv4 peers with masks read with ipv6", async () => {
    const { accepted, port } = await listen(
      { ipv6: true, tcpAcceptFilter: ["127.0.0.2"] }, // parsed with ipv6: ::ffff:127.0.0.2
      "*:*",
    )
    expect((await probe(port, "127.0.0.1").closed).length).toBe(0)
    const allowed = probe(port, "127.0.0.2")
    expect(await firstData(allowed.socket)).toEqual(Buffer.from([0xff]))
    expect(accepted).toEqual(["::ffff:127.0.0.2"])
  })

  it("refuses a malformed filter at the bind with EINVAL", async () => {
    const t = tcp()(createTransportContext())
    for (const tcpAcceptFilter of [
      ["nonsense"],
      "127.0.0.1",
      [{ family: 4, bytes: new Uint8Array(4), prefix: 33 }],
    ]) {
      await expect(t.listen("127.0.0.1:*", () => {}, { options: { tcpAcceptFilter } })).rejects.toMatchObject(
        {
          code: "EINVAL",
        },
      )
    }
  })
})
