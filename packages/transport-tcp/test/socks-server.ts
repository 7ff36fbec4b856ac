import { connect, createServer, type Server, type Socket } from "node:net"

/** How the test proxy answers: relay (a working SOCKS5 proxy), or one of the ways a proxy fails. */
export type SocksBehaviour =
  | "relay"
  /** Answers the CONNECT with reply code 5 (connection refused). */
  | "refuse"
  /** Closes the connection once it has read the greeting. */
  | "close-after-greeting"
  /** Sends the first three octets of its reply to the CONNECT, then closes. */
  | "close-mid-reply"
  /** Reads and never answers. */
  | "silent"
  /** Chooses method 0xff: none of the offered methods is acceptable. */
  | "no-method"
  /** Chooses username/password and accepts any credentials, then relays. */
  | "ask-credentials"
  /** Relays, and its reply names a bound host by name (address type 3) in two separate writes. */
  | "relay-named"
  /** Relays, and sends its reply and the upstream's first octets in one write. */
  | "relay-coalesced"

/**
 * A SOCKS5 proxy (RFC 1928) for tests, on node:net: it records what each client sent (greeting,
 * credentials, request), and answers as `behaviour` says. In relay modes it connects to the
 * requested IPv4 address, IPv6 address or name and pipes both ways.
 */
export class SocksServer {
  behaviour: SocksBehaviour
  /** The greeting, credentials (if asked) and request of each connection, in arrival order. */
  readonly greetings: Buffer[] = []
  readonly credentials: Buffer[] = []
  readonly requests: Buffer[] = []
  /** Connections accepted so far. */
  accepted = 0
  private readonly server: Server
  private readonly sockets = new Set<Socket>()

  private constructor(behaviour: SocksBehaviour) {
    this.behaviour = behaviour
    this.server = createServer((client) => this.serve(client))
  }

  static async start(behaviour: SocksBehaviour = "relay"): Promise<SocksServer> {
    const proxy = new SocksServer(behaviour)
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve))
    return proxy
  }

  get port(): number {
    return (this.server.address() as { port: number }).port
  }

  /** `host:port`, as `socksProxy` takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket)
    socket.on("close", () => this.sockets.delete(socket))
    socket.on("error", () => {})
    return socket
  }

  private serve(client: Socket): void {
    this.accepted++
    this.track(client)
    const behaviour = this.behaviour
    let input = Buffer.alloc(0)
    let stage: "greeting" | "credentials" | "request" | "done" = "greeting"
    const onData = (chunk: Buffer): void => {
      input = Buffer.concat([input, chunk])
      if (stage === "greeting") {
        if (input.length < 2 || input.length < 2 + input[0 + 1]!) return
        const length = 2 + input[1]!
        this.greetings.push(input.subarray(0, length))
        input = input.subarray(length)
        if (behaviour === "close-after-greeting") return void client.destroy()
        if (behaviour === "silent") return
        if (behaviour === "no-method") return void client.write(Buffer.from([5, 0xff]))
        stage = behaviour === "ask-credentials" ? "credentials" : "request"
        client.write(Buffer.from([5, behaviour === "ask-credentials" ? 2 : 0]))
      }
      if (stage === "credentials") {
        if (input.length < 2) return
        const user = input[1]!
        if (input.length < 3 + user || input.length < 3 + user + input[2 + user]!) return
        const length = 3 + user + input[2 + user]!
        this.credentials.push(input.subarray(0, length))
        input = input.subarray(length)
        client.write(Buffer.from([1, 0]))
        stage = "request"
      }
      if (stage === "request") {
        const target = parseRequest(input)
        if (target === undefined) return
        this.requests.push(input.subarray(0, target.length))
        input = input.subarray(target.length)
        stage = "done"
        client.off("data", onData)
        if (behaviour === "refuse") return void client.write(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))
        if (behaviour === "close-mid-reply") {
          client.write(Buffer.from([5, 0, 0]))
          return void client.end()
        }
        this.relay(client, target.host, target.port, input, behaviour)
      }
    }
    client.on("data", onData)
  }

  private relay(client: Socket, host: string, port: number, early: Buffer, behaviour: SocksBehaviour): void {
    client.pause()
    // Every test target listens on 127.0.0.1: a name ("localhost") goes there, never to ::1 first.
    const upstream = this.track(connect({ host, port, family: 4 }))
    upstream.once("error", () => client.destroy())
    upstream.once("connect", () => {
      const reply =
        behaviour === "relay-named"
          ? Buffer.from([5, 0, 0, 3, 9, ...Buffer.from("localhost"), port >> 8, port & 0xff])
          : Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff])
      const start = (): void => {
        if (early.length > 0) upstream.write(early)
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      }
      if (behaviour === "relay-coalesced") {
        // Hold the upstream's first octets back and send them with the reply, in one write.
        upstream.once("data", (first: Buffer) => {
          client.write(Buffer.concat([reply, first]))
          upstream.pipe(client)
        })
        if (early.length > 0) upstream.write(early)
        client.pipe(upstream)
        client.resume()
        return
      }
      if (behaviour === "relay-named") {
        client.write(reply.subarray(0, 6))
        setTimeout(() => {
          client.write(reply.subarray(6))
          start()
        }, 20)
        return
      }
      client.write(reply)
      start()
    })
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
  }
}

/** The target of a CONNECT request, once it is complete. */
function parseRequest(input: Buffer): { host: string; port: number; length: number } | undefined {
  if (input.length < 5) return undefined
  const type = input[3]
  let host: string
  let at: number
  if (type === 1) {
    at = 8
    host = [...input.subarray(4, 8)].join(".")
  } else if (type === 4) {
    at = 20
    const groups: string[] = []
    for (let i = 4; i < 20 && i + 1 < input.length; i += 2) groups.push(input.readUInt16BE(i).toString(16))
    host = groups.join(":")
  } else {
    at = 5 + input[4]!
    host = input.subarray(5, at).toString()
  }
  if (input.length < at + 2) return undefined
  return { host, port: input.readUInt16BE(at), length: at + 2 }
}
