/**
 * What the runner and its child processes say to each other over the Node IPC channel: the cell
 * descriptions, the operations a child performs, and what each returns. This file and the rest of
 * `src/child/` import nothing outside `src/child/` but Node, `zlink` and `zeromq`, because the runner
 * transpiles this folder to plain JavaScript and starts children with `node` alone (no tsx loader:
 * that costs a second per process, and a full run starts over a thousand of them).
 */

export type Impl = "zlink" | "zeromq"
/** What a child loads: an implementation, or `net` for the churn client, which uses `node:net` alone. */
export type Loads = Impl | "net"
export type Pattern = "PAIR" | "PUBSUB" | "DEALER_DEALER" | "DEALER_ROUTER" | "ROUTER_ROUTER" | "PUSH_PULL"
export type Transport = "tcp" | "ipc" | "inproc"

/** Sequence number of a probe, sent until the path is known to work (connection up, subscription in place). */
export const PROBE_SEQ = 0xffffffff
/** Sequence number of the end marker; the next four bytes hold the number of data messages sent before it. */
export const END_SEQ = 0xfffffffe
/** Bytes of header at the start of every payload: sequence number (u32 LE), then the count in an end marker. */
export const HEADER_BYTES = 8

/** One timed transfer, as the runner asks for it. */
export interface TransferSpec {
  pattern: Pattern
  transport: Transport
  size: number
  /** Exact number of data messages (or round trips); when absent, `durationMs` decides. */
  count?: number
  durationMs: number
  /** Latency: at least this many round trips, however long they take (the warm-up's JIT tiering). */
  minTrips?: number
  /** Compare every byte of every message with what was sent (used by the verification pass). */
  verify: boolean
  /** Sample RSS once a second (the soak run). */
  sampleRss?: boolean
}

export interface CpuTime {
  /** User CPU time in microseconds, all threads of the process. */
  user: number
  /** System CPU time in microseconds, all threads of the process. */
  system: number
}

export interface RssSample {
  /** Seconds since the transfer started. */
  t: number
  /** Resident set size in bytes. */
  rss: number
  /** V8 heap reserved and in use, and memory held by ArrayBuffers (Buffers), bytes (`process.memoryUsage()`). */
  heapTotal: number
  heapUsed: number
  arrayBuffers: number
  /** The part of the V8 heap's reservation that is resident (`v8.getHeapStatistics().total_physical_size`). */
  heapPhysical?: number
}

export interface ReceiveResult {
  /** Data messages received, in order, each checked. */
  received: number
  /** From the first data message to the end marker. */
  seconds: number
  cpu: CpuTime
  rss?: RssSample[]
}

export interface SendResult {
  /** Data messages sent (as announced in the end marker). */
  sent: number
  /** The send loop alone, first `send()` to the resolution of the end marker's `send()`. */
  loopSeconds: number
  /** Probes sent before the path was known to work. */
  probes: number
}

export interface FinishResult {
  /** CPU time from the start of the send loop to this call (which comes once everything was received). */
  cpu: CpuTime
  rss?: RssSample[]
}

export interface LatencyResult {
  /** Timed round trips. */
  trips: number
  /** One-way latency (round trip / 2) in microseconds. */
  avgUs: number
  p50Us: number
  p99Us: number
  minUs: number
  maxUs: number
  /** Client CPU time over the timed round trips. */
  cpu: CpuTime
  probes: number
}

export interface EchoResult {
  /** Messages echoed since the echo side was prepared (probes, verification and warm-up included). */
  echoed: number
  cpu: CpuTime
}

/**
 * The churn cells: `handshake` connections do the whole ZMTP 3.1 NULL handshake as a DEALER, then
 * close; `connect` connections connect and close at once (a port scanner, a load balancer's check).
 */
export type ChurnVariant = "handshake" | "connect"

/** What the churn server (a ROUTER) is asked to do. */
export interface ChurnServeSpec {
  /** Count the socket's `accept` and `handshake` monitor events (the verification pass). */
  monitor: boolean
}

/** One repetition of the churn client. */
export interface ChurnSpec {
  endpoint: string
  variant: ChurnVariant
  /** Connections kept in flight at once. */
  concurrency: number
  /** Exact number of connections; when absent, `durationMs` decides when to stop opening new ones. */
  count?: number
  durationMs: number
  /** Without `count`: at least this many connections, however long they take (the warm-up's JIT tiering). */
  minConnections?: number
  /** The first connection sends one message after the handshake and checks that it comes back. */
  echo: boolean
}

export interface ChurnClientResult {
  /** Connections completed: opened, handshake done where asked, closed by both sides. */
  connections: number
  /** From the first connect to the close of the last connection. */
  seconds: number
  cpu: CpuTime
  /** Median and 99th percentile of one connection's time, connect to both sides closed, microseconds. */
  p50Us: number
  p99Us: number
  /** The echo connection got its message back (only when asked). */
  echoed: boolean
}

export interface ChurnServerResult {
  /** CPU time from the end of `churn.serve` until every connection was released. */
  cpu: CpuTime
  /** Monitor events counted (when `monitor` was set). */
  accepts: number
  handshakes: number
  /**
   * Node resources (`process.getActiveResourcesInfo()`) the process held, by kind, beyond what it
   * held before the first connection, once every connection had closed (after a grace period).
   */
  leftover: Record<string, number>
}

export interface ChildStatus {
  pid: number
  phase: string
  sent: number
  received: number
  echoed: number
}

/** The operations of a child: argument and result types. */
export interface Ops {
  /** Creates the receiving socket, binds it, starts receiving. Returns the endpoint to connect to. */
  "recv.prepare": [TransferSpec, string]
  /** Resolves once the first probe arrived. */
  "recv.synced": [null, null]
  /** Resolves when the end marker arrived, with the checked count and the timed window. */
  "recv.result": [null, ReceiveResult]
  "recv.close": [null, null]
  /** Creates the sending socket, connects it and starts sending probes. */
  "send.prepare": [TransferSpec & { endpoint: string }, null]
  /** Stops probing, sends the data messages and the end marker. */
  "send.run": [null, SendResult]
  /** Stops the CPU clock and closes the sending socket. */
  "send.finish": [null, FinishResult]
  /** Creates the echo side's socket(s) and binds them. Returns the endpoints for the client. */
  "echo.prepare": [TransferSpec, string[]]
  "echo.finish": [null, EchoResult]
  /** Connects, probes, verifies, warms up, then times round trips. */
  "client.run": [TransferSpec & { endpoints: string[] }, LatencyResult]
  /** Binds a ROUTER that echoes what it receives, starts the CPU clock. Returns its endpoint. */
  "churn.serve": [ChurnServeSpec, string]
  /**
   * Waits (bounded) for the monitor counts to reach what is expected and for the connections to be
   * released, stops the CPU clock and closes the ROUTER.
   */
  "churn.stop": [{ accepts: number; handshakes: number }, ChurnServerResult]
  /** Opens and closes connections from plain `node:net` sockets (the same client for both implementations). */
  "churn.run": [ChurnSpec, ChurnClientResult]
  status: [null, ChildStatus]
  /** Peak resident set size of the process in bytes (VmHWM; see worker.ts). */
  rss: [null, number]
}

export type Op = keyof Ops

export interface RequestMessage {
  id: number
  op: Op
  args: unknown
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** The first message of a child, once it has loaded its implementation. */
export interface ReadyMessage {
  ready: true
  pid: number
  version: string
}
