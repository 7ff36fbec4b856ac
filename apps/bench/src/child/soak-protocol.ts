/**
 * The mixed soak's processes and what they say to each other over the Node IPC channel: the hub (the
 * zlink process whose memory and handles are measured) and its peers (zlink or libzmq through the
 * `zeromq` package), their operations, and the counters they report. Like the rest of `src/child/`,
 * it imports nothing but Node.
 */
import type { Impl, RssSample } from "./protocol.js"

export type SoakTransport = "tcp" | "ipc"

/** The hub's bound sockets, each bound once per transport. */
export interface HubEndpoints {
  pull: Record<SoakTransport, string>
  pub: Record<SoakTransport, string>
  rep: Record<SoakTransport, string>
  router: Record<SoakTransport, string>
}

/** A peer's bound sockets, which the hub's connecting sockets connect to. */
export interface PeerEndpoints {
  pull: string
  rep: string
  router: string
  pub: string
}

/** Counters of one flow (a socket's loop), summed over its sockets' lives. */
export interface FlowStats {
  sent: number
  received: number
  /** Broken promises: a message lost within one connection, duplicated, reordered, corrupted, misrouted or unfiltered. */
  violations: number
  /** Operations that failed for a reason other than the socket closing. */
  errors: number
  /** Requests given up after a timeout, their peer gone (not a violation: nothing promised them). */
  timeouts: number
  /** Replies that came after their request was given up. */
  late: number
  /** A subscriber received a topic it had cancelled: the message had arrived before the cancellation. */
  afterUnsubscribe: number
  /** Sockets closed and created again. */
  restarts: number
  problems: string[]
}

export type Flows = Record<string, FlowStats>

/** What a process says when asked how it is doing. */
export interface Report {
  flows: Flows
  /** `process.memoryUsage()` after forced collections, once a second (hub and the stable zlink peer). */
  samples: RssSample[]
}

/** What the hub found when it stopped. */
export interface HubFinal extends Report {
  /** `process.getActiveResourcesInfo()` counts before the first socket, and after the last closed. */
  handlesBefore: Record<string, number>
  handlesAfter: Record<string, number>
  /** `context.resources()` before the first socket. */
  resourcesBefore: Record<string, number>
  /** With every peer gone and every endpoint disconnected, the sockets still open. */
  resourcesQuiet: Record<string, number>
  /** After every socket closed. */
  resourcesAfter: Record<string, number>
}

export interface PeerStart {
  /** Names this peer's messages: `zeromq-ipc-stable`. */
  tag: string
  impl: Impl
  transport: SoakTransport
  hub: HubEndpoints
  ipcDir: string
  /** Messages per second of each paced flow. */
  rate: number
  /** Close and create one of its connecting sockets this often (0: never). */
  restartEveryMs: number
  /** Sample memory after gc once a second. */
  sample: boolean
}

export interface HubOps {
  /** Binds the hub's sockets and starts their flows. */
  start: [{ ipcDir: string; rate: number; reqRecreateMs: number }, HubEndpoints]
  /** A peer is up: the hub's connecting sockets connect to it. */
  peerUp: [{ tag: string; endpoints: PeerEndpoints }, null]
  /** A peer is gone: they disconnect from it. */
  peerDown: [{ tag: string }, null]
  report: [null, Report]
  /** Stops sending, waits until every peer is gone, disconnects, closes everything, reports. */
  stop: [{ timeoutMs: number }, HubFinal]
}

export interface PeerOps {
  start: [PeerStart, PeerEndpoints]
  report: [null, Report]
  /** Closes every socket and reports (the stable peers at the end). */
  stop: [null, Report]
}

export interface RequestMessage {
  id: number
  op: string
  args: unknown
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = "code" in error ? ` [${String(error.code)}]` : ""
  return `${error.name}${code}: ${error.message}`
}

/** Serves `handlers` over the IPC channel, then says ready (`{ ready, pid, version }`). */
export function serveOps(handlers: Record<string, (args: never) => unknown>, version: string): void {
  process.on("message", (message: RequestMessage) => {
    const reply = (m: ReplyMessage) => process.send?.(m)
    const handler = handlers[message.op]
    if (handler === undefined) {
      reply({ id: message.id, ok: false, error: `unknown operation ${message.op}` })
      return
    }
    Promise.resolve()
      .then(() => handler(message.args as never))
      .then(
        (value) => reply({ id: message.id, ok: true, value: value ?? null }),
        (error: unknown) => reply({ id: message.id, ok: false, error: describe(error) }),
      )
  })
  // The runner is gone: nothing else to do.
  process.on("disconnect", () => process.exit(0))
  process.send?.({ ready: true, pid: process.pid, version })
}
