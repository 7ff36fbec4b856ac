/**
 * The churn cells' client and server (`src/child/churn.ts`): the client's reading of a ROUTER's
 * greeting and READY, against the bytes libzmq 4.3.5 sends, and short runs of the client against a
 * zlink and a zeromq ROUTER in this process, with the verification's counts.
 */
import { createServer, type Server } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as zeromq from "zeromq"
import * as zlink from "zlink"
import {
  ChurnServer,
  echoArrived,
  frameAt,
  readyCommand,
  readyProperties,
  runChurn,
  serverReady,
} from "../src/child/churn.js"

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex")

/** What a libzmq 4.3.5 ROUTER sends on a NULL connection, as captured from the `zeromq` package. */
const LIBZMQ_GREETING = hex(`ff00000000000000017f 0301 4e554c4c ${"00".repeat(16)} 00 ${"00".repeat(31)}`)
const LIBZMQ_READY = hex(
  "0429 05 5245414459 0b 536f636b65742d54797065 00000006 524f55544552 08 4964656e74697479 00000000",
)

describe("the churn client's reading of the server", () => {
  it("encodes our READY as a short COMMAND frame", () => {
    expect(readyCommand([["Socket-Type", "DEALER"]]).toString("hex")).toBe(
      "041c055245414459" + "0b536f636b65742d54797065" + "00000006" + "4445414c4552",
    )
  })

  it("finds where libzmq's READY ends, at every split of its output", () => {
    const all = Buffer.concat([LIBZMQ_GREETING, LIBZMQ_READY])
    expect(all).toHaveLength(64 + 43)
    for (let cut = 0; cut < all.length; cut++) expect(serverReady(all.subarray(0, cut))).toBeUndefined()
    expect(serverReady(all)).toBe(107)
    const frame = frameAt(all, 64)!
    expect(frame.flags).toBe(0x04)
    expect([...readyProperties(frame.body)]).toEqual([
      ["Socket-Type", "ROUTER"],
      ["Identity", ""],
    ])
  })

  it("reads a long frame's 8-octet size", () => {
    const long = Buffer.concat([hex("06 0000000000000003"), Buffer.from("abc")])
    expect(frameAt(long, 0)).toMatchObject({ flags: 0x06, end: 12 })
    expect(frameAt(long.subarray(0, 11), 0)).toBeUndefined()
  })

  it("refuses what a ROUTER would not send", () => {
    expect(() => serverReady(hex("00"))).toThrow(/signature/)
    const dealer = Buffer.from(LIBZMQ_READY)
    dealer.write("DEALER", 24, "latin1")
    expect(() => serverReady(Buffer.concat([LIBZMQ_GREETING, dealer]))).toThrow(/Socket-Type is DEALER/)
    const plain = Buffer.from(LIBZMQ_GREETING)
    plain.write("PLAI", 12, "latin1")
    expect(() => serverReady(plain)).toThrow(/not NULL/)
    const message = Buffer.from(LIBZMQ_READY)
    message[0] = 0x00
    expect(() => serverReady(Buffer.concat([LIBZMQ_GREETING, message]))).toThrow(/before its READY/)
  })

  it("checks the echoed message", () => {
    const echo = Buffer.concat([hex("000e"), Buffer.from("zlb-churn-echo")])
    expect(echoArrived(echo, 0)).toBe(true)
    expect(echoArrived(echo.subarray(0, 10), 0)).toBe(false)
    expect(() => echoArrived(Buffer.concat([hex("000e"), Buffer.from("zlb-churn-ECHO")]), 0)).toThrow(
      /differs/,
    )
  })
})

let plain: Server | undefined

afterEach(async () => {
  await new Promise<void>((resolve) => (plain ? plain.close(() => resolve()) : resolve()))
  plain = undefined
})

describe("the churn client against a ROUTER in this process", () => {
  for (const [name, zmq] of [
    ["zlink", zlink],
    ["zeromq", zeromq],
  ] as const) {
    for (const variant of ["handshake", "connect"] as const) {
      it(`${name}, ${variant}: every connection is counted by the server's monitor, the echo comes back`, async () => {
        const server = new ChurnServer(zmq as never, { monitor: true })
        const endpoint = await server.serve()
        const run = await runChurn({
          endpoint,
          variant,
          concurrency: 4,
          count: 30,
          durationMs: 0,
          echo: true,
        })
        const handshakes = variant === "handshake" ? 30 : 0
        const stop = await server.stop({ accepts: 30, handshakes })
        expect(run.connections).toBe(30)
        expect(run.echoed).toBe(variant === "handshake")
        expect(stop).toMatchObject({ accepts: 30, handshakes, leftover: {} })
        expect(stop.cpu.user + stop.cpu.system).toBeGreaterThan(0)
      })
    }
  }

  it("fails on a server that is not ZMTP", async () => {
    // Reads on (resume), so that it sees the client's end and closes.
    plain = createServer((socket) => socket.resume().end("HTTP/1.1 400 Bad Request\r\n\r\n"))
    await new Promise<void>((resolve) => plain!.listen(0, "127.0.0.1", resolve))
    const port = (plain.address() as { port: number }).port
    await expect(
      runChurn({
        endpoint: `tcp://127.0.0.1:${port}`,
        variant: "handshake",
        concurrency: 1,
        count: 3,
        durationMs: 0,
        echo: false,
      }),
    ).rejects.toThrow(/signature/)
  })

  it("stops opening connections at the deadline when no count is given", async () => {
    const server = new ChurnServer(zlink as never, { monitor: false })
    const endpoint = await server.serve()
    const run = await runChurn({ endpoint, variant: "connect", concurrency: 2, durationMs: 100, echo: false })
    await server.stop({ accepts: 0, handshakes: 0 })
    expect(run.connections).toBeGreaterThan(0)
    expect(run.seconds).toBeGreaterThanOrEqual(0.1)
    expect(run.seconds).toBeLessThan(5)
  })

  it("goes on past the deadline until minConnections have been opened", async () => {
    const server = new ChurnServer(zlink as never, { monitor: true })
    const endpoint = await server.serve()
    const run = await runChurn({
      endpoint,
      variant: "connect",
      concurrency: 4,
      durationMs: 0,
      minConnections: 50,
      echo: false,
    })
    // Four lanes each start one more only while fewer than 50 were started: exactly 50.
    expect(run.connections).toBe(50)
    expect(await server.stop({ accepts: 50, handshakes: 0 })).toMatchObject({ accepts: 50, handshakes: 0 })
  })
})
