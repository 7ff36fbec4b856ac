/**
 * A ZeroMQ peer in a process of its own, for the process-fault tests, which stop it (SIGSTOP),
 * resume it and kill it. Started by `fork()` with
 * `node --import tsx --import ./sources.mjs peer.ts <libzmq|zlink> <options as JSON>`; it reports to
 * the test, and takes its commands, over the IPC channel.
 *
 * Roles:
 * - `sink`: binds a PULL or a ROUTER and receives until killed, reporting every 20 ms the sequence
 *   numbers of the messages that arrived (`sequenced` frames of messages.ts, checked here; -1 for one
 *   that is not intact).
 * - `peer`: binds a DEALER and, on command, receives messages (reporting each frame's length and
 *   first octets) or sends one.
 */

/**
 * What the test asks a `peer` to do: receive `count` messages, or until one whose first frame is
 * `until`; or send a message.
 */
export type Command =
  | { readonly cmd: "receive"; readonly count?: number; readonly until?: string }
  | { readonly cmd: "send"; readonly frames: FrameSpec[] }

/** A frame to send: a text, or `size` octets of `fill`. */
export type FrameSpec = { readonly text: string } | { readonly size: number; readonly fill: number }

/** What a frame that arrived looked like. */
export interface FrameInfo {
  readonly length: number
  /** The first 24 octets, as latin1. */
  readonly head: string
}

/** What the peer tells the test. */
export type Report =
  | { readonly type: "ready"; readonly endpoint: string }
  | { readonly type: "received"; readonly seqs: number[] }
  | { readonly type: "got"; readonly messages: FrameInfo[][] }
  | { readonly type: "sent" }
  | { readonly type: "failed"; readonly message: string }

export interface PeerOptions {
  readonly role: "sink" | "peer"
  /** The sink's socket type. */
  readonly type?: "pull" | "router"
  /** What to bind: `tcp://127.0.0.1:*`, or the endpoint of a peer this one replaces. */
  readonly endpoint: string
  readonly receiveHighWaterMark?: number
}

type Zmq = typeof import("zeromq")

function report(message: Report): void {
  process.send?.(message)
}

/** The sequence number of a `sequenced(seq, size)` frame, or -1 if the frame is not intact. */
function sequenceOf(frame: Buffer | undefined): number {
  if (frame === undefined || frame.length < 8) return -1
  const seq = frame.readUInt32BE(0)
  if (frame.readUInt32BE(frame.length - 4) !== ~seq >>> 0) return -1
  if (frame.length > 8 && frame[4] !== seq % 251) return -1
  return seq
}

function build(spec: readonly FrameSpec[]): Buffer[] {
  return spec.map((f) => ("text" in f ? Buffer.from(f.text) : Buffer.alloc(f.size, f.fill)))
}

async function sink(zmq: Zmq, options: PeerOptions): Promise<void> {
  const hwm = { receiveHighWaterMark: options.receiveHighWaterMark ?? 1000 }
  const socket = options.type === "router" ? new zmq.Router(hwm) : new zmq.Pull(hwm)
  await socket.bind(options.endpoint)
  report({ type: "ready", endpoint: socket.lastEndpoint ?? "" })
  let batch: number[] = []
  setInterval(() => {
    if (batch.length === 0) return
    report({ type: "received", seqs: batch })
    batch = []
  }, 20)
  for (;;) {
    const frames = await socket.receive()
    batch.push(sequenceOf(frames[frames.length - 1]))
  }
}

async function peer(zmq: Zmq, options: PeerOptions): Promise<void> {
  const socket = new zmq.Dealer({ receiveHighWaterMark: options.receiveHighWaterMark ?? 1000 })
  await socket.bind(options.endpoint)
  report({ type: "ready", endpoint: socket.lastEndpoint ?? "" })
  let queue = Promise.resolve()
  process.on("message", (command: Command) => {
    queue = queue.then(async () => {
      if (command.cmd === "send") {
        await socket.send(build(command.frames))
        report({ type: "sent" })
        return
      }
      const messages: FrameInfo[][] = []
      for (let i = 0; i < (command.count ?? Number.POSITIVE_INFINITY); i += 1) {
        const frames = await socket.receive()
        messages.push(frames.map((f) => ({ length: f.length, head: f.subarray(0, 24).toString("latin1") })))
        if (command.until !== undefined && frames[0]?.toString("latin1") === command.until) break
      }
      report({ type: "got", messages })
    })
    queue.catch((error: unknown) => report({ type: "failed", message: String(error) }))
  })
}

const [implementation, json] = process.argv.slice(2)
const options = JSON.parse(json ?? "{}") as PeerOptions
const zmq: Zmq =
  implementation === "zlink" ? ((await import("zlink")) as unknown as Zmq) : await import("zeromq")
await (options.role === "sink" ? sink(zmq, options) : peer(zmq, options)).catch((error: unknown) => {
  report({ type: "failed", message: String(error) })
  process.exit(1)
})
