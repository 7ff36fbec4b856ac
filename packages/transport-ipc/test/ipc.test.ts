import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { lstat, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type Connection,
  createTransportContext,
  isTransport,
  type Listener,
  parseEndpoint,
  TransportRegistry,
} from "@zl/transport"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { IpcTransport, ipc } from "../src/index.js"
import { Recorder } from "./helpers.js"

const linux = process.platform === "linux"

let dir: string
let listeners: Listener[] = []
let connections: Connection[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "zl-ipc-"))
})

afterEach(async () => {
  for (const connection of connections) connection.destroy()
  await Promise.all(listeners.map((listener) => listener.close()))
  listeners = []
  connections = []
  await rm(dir, { recursive: true, force: true })
})

const transport = () => ipc()(createTransportContext())

async function listen(
  address: string,
  t = transport(),
): Promise<{ listener: Listener; accepted: Connection[] }> {
  const accepted: Connection[] = []
  const listener = await t.listen(address, (connection) => {
    connections.push(connection)
    accepted.push(connection)
  })
  listeners.push(listener)
  return { listener, accepted }
}

async function dial(address: string, t = transport()): Promise<Connection> {
  const connection = await t.dial(address)
  connections.push(connection)
  return connection
}

/** Runs a process that listens on `path` and is then killed, leaving its socket file behind. */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("ready"))`],
    { stdio: ["ignore", "pipe", "inherit"] },
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve())
    child.once("exit", (code) => reject(new Error(`listener process exited early (${code})`)))
  })
  child.removeAllListeners("exit")
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGKILL")
  await exited
}

/** Sends `text` from `from` and waits for it at `to`. */
async function roundTrip(from: Connection, to: Connection, text: string): Promise<void> {
  new Recorder(from).start()
  const b = new Recorder(to).start()
  expect(from.writeSome([Buffer.from(text)]).written).toBe(text.length)
  await b.until(() => b.received >= text.length, text)
  expect(Buffer.from(b.bytes()).toString()).toBe(text)
}

describe("ipc transport", () => {
  it("is a transport for ipc:// with stream framing", () => {
    const t = transport()
    expect(isTransport(t)).toBe(true)
    expect(t.schemes).toEqual(["ipc"])
    expect(t.framing).toBe("stream")
    expect(t.specVersion).toBe(1)
    expect(Object.prototype.toString.call(t)).toBe("[object IpcTransport]")
    expect(new TransportRegistry(createTransportContext(), [ipc()]).get("ipc")).toBeInstanceOf(IpcTransport)
  })

  it("listens on a socket file, reports the path as endpoint and peer address, and removes the file on close", async () => {
    const path = join(dir, "a.sock")
    const { listener, accepted } = await listen(path)
    expect(listener.endpoint).toBe(`ipc://${path}`)
    expect((await lstat(path)).isSocket()).toBe(true)
    const client = await dial(parseEndpoint(listener.endpoint).address)
    await expect.poll(() => accepted.length).toBe(1)
    expect(client.peerAddress).toBe(path)
    expect(accepted[0]!.peerAddress).toBe(path)
    await roundTrip(client, accepted[0]!, "hello over ipc")
    await listener.close()
    expect(existsSync(path)).toBe(false)
  })

  it("replaces a stale socket file left by a dead process", async () => {
    const path = join(dir, "stale.sock")
    await leaveStaleSocket(path)
    expect((await lstat(path)).isSocket()).toBe(true)
    await expect(dial(path)).rejects.toMatchObject({ code: "ECONNREFUSED" })
    const { accepted } = await listen(path)
    const client = await dial(path)
    await expect.poll(() => accepted.length).toBe(1)
    await roundTrip(client, accepted[0]!, "fresh")
  })

  it("takes over a path on which a live listener answers, as libzmq does", async () => {
    const path = join(dir, "live.sock")
    const first = await listen(path)
    const second = await listen(path)
    // New connections reach the newest listener; the first one no longer owns the path.
    const client = await dial(path)
    await expect.poll(() => second.accepted.length).toBe(1)
    expect(first.accepted.length).toBe(0)
    await roundTrip(client, second.accepted[0]!, "the new owner")
  })

  it("refuses a path that holds a file of another kind, and leaves it alone", async () => {
    const path = join(dir, "plain-file")
    await writeFile(path, "data")
    await expect(transport().listen(path, () => {})).rejects.toMatchObject({ code: "EADDRINUSE" })
    expect((await lstat(path)).isFile()).toBe(true)
  })

  it("rejects a dial to a missing file with ENOENT", async () => {
    await expect(dial(join(dir, "missing.sock"))).rejects.toMatchObject({
      code: "ENOENT",
      name: "TransportError",
    })
  })

  it("rejects a bind in a missing directory with ENOENT, as libzmq does", async () => {
    await expect(transport().listen(join(dir, "no", "such.sock"), () => {})).rejects.toMatchObject({
      code: "ENOENT",
    })
  })

  it.skipIf(!linux)("accepts a path of 107 octets and rejects 108 with ENAMETOOLONG", async (context) => {
    // A temporary directory with a very long name (TMPDIR) leaves no room for the test's file name.
    if (dir.length > 100) context.skip()
    const fit = join(dir, "x".repeat(107 - dir.length - 1))
    expect(Buffer.byteLength(fit)).toBe(107)
    const { accepted } = await listen(fit)
    const client = await dial(fit)
    await expect.poll(() => accepted.length).toBe(1)
    await roundTrip(client, accepted[0]!, "long path")
    const tooLong = `${fit}y`
    await expect(transport().listen(tooLong, () => {})).rejects.toMatchObject({ code: "ENAMETOOLONG" })
    await expect(transport().dial(tooLong)).rejects.toMatchObject({ code: "ENAMETOOLONG" })
  })

  it("rejects a path longer than any sun_path with ENAMETOOLONG", async () => {
    await expect(transport().listen(join(dir, "z".repeat(200)), () => {})).rejects.toMatchObject({
      code: "ENAMETOOLONG",
    })
  })

  it.each(["", "*", "@"])("rejects the address %j with EINVAL", async (address) => {
    await expect(transport().listen(address, () => {})).rejects.toMatchObject({ code: "EINVAL" })
    await expect(transport().dial(address)).rejects.toMatchObject({ code: "EINVAL" })
  })

  it("rejects an invalid backlog with EINVAL", async () => {
    expect(() => ipc({ backlog: -1 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    await expect(
      transport().listen(join(dir, "b.sock"), () => {}, { options: { backlog: "x" } }),
    ).rejects.toMatchObject({ code: "EINVAL" })
  })

  describe.runIf(linux)("abstract sockets", () => {
    const name = () => `@zl-test-${process.pid}-${Math.random().toString(36).slice(2)}`

    it("listens and connects without a file", async () => {
      const address = name()
      const cwdBefore = existsSync(address)
      const { listener, accepted } = await listen(address)
      expect(listener.endpoint).toBe(`ipc://${address}`)
      expect(existsSync(address)).toBe(cwdBefore)
      const client = await dial(address)
      await expect.poll(() => accepted.length).toBe(1)
      expect(client.peerAddress).toBe(address)
      await roundTrip(client, accepted[0]!, "abstract")
    })

    it("refuses a name in use, and frees it on close", async () => {
      const address = name()
      const { listener } = await listen(address)
      await expect(transport().listen(address, () => {})).rejects.toMatchObject({ code: "EADDRINUSE" })
      await listener.close()
      await expect(dial(address)).rejects.toMatchObject({ code: "ECONNREFUSED" })
      await listen(address)
    })

    it("accepts a name of 107 octets and rejects 108 with ENAMETOOLONG", async () => {
      const fit = `@${"n".repeat(107)}`
      await listen(fit)
      await expect(transport().listen(`${fit}n`, () => {})).rejects.toMatchObject({ code: "ENAMETOOLONG" })
    })
  })

  it.skipIf(linux)("rejects abstract names off Linux with EINVAL", async () => {
    await expect(transport().listen("@name", () => {})).rejects.toMatchObject({ code: "EINVAL" })
  })
})
