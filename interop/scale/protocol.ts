/**
 * What the scale run and its child processes say to each other over the Node IPC channel: the
 * operations of the ROUTER process and of a DEALER process, with their arguments and results.
 */

/** The implementation a DEALER process runs: zlink, or libzmq through the `zeromq` package. */
export type DealerImpl = "zlink" | "libzmq"

/** `process.memoryUsage()` after forced collections, bytes. */
export interface Memory {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

/** The ROUTER's monitor events so far. */
export interface PeerCounts {
  /** Connections past their handshake and not disconnected. */
  live: number
  accepts: number
  handshakes: number
  disconnects: number
  /** `accept:error` and every `handshake:error:*` event. */
  errors: number
  /** The first few error events, as text. */
  errorSamples: string[]
}

/** One request as the ROUTER received it: its routing id (hex), the sender's name and sequence number. */
export type Received = [routingIdHex: string, name: string, seq: number]

/** What the ROUTER process received while serving, in receive order. */
export interface RouterLog {
  received: Received[]
  /** Messages whose frames were not `[routing id, "req", name, seq]`. */
  malformed: number
  replies: number
  seconds: number
}

/** Counts of a context, as `Context.resources()` gives them (zlink) . */
export type Resources = Record<string, number>

/** Handles and requests of the process, by kind (`process.getActiveResourcesInfo()`). */
export type Handles = Record<string, number>

export interface CloseReport {
  /** The context's counts once every peer had gone, before the ROUTER closed. */
  beforeClose: Resources
  /** The context's counts after the ROUTER closed. */
  afterClose: Resources
  /** The process's handles before the ROUTER was created, and after it closed. */
  handlesBefore: Handles
  handlesAfter: Handles
}

/** What a DEALER process found in the replies of one group. */
export interface DealerReport {
  dealers: number
  /** Replies carrying this DEALER's own name, in sequence, exactly once. */
  received: number
  /** Replies carrying another DEALER's name (misrouted). */
  foreign: number
  /** Replies with the right name but not the next sequence number (lost, duplicated or reordered). */
  outOfOrder: number
  /** Replies that never came within the time limit. */
  missing: number
  /** Messages that arrived after the last expected reply (duplicates). */
  extra: number
  problems: string[]
}

/** The operations of the ROUTER process: argument and result types. */
export interface RouterOps {
  /** Creates the ROUTER (mandatory routing) and binds it to tcp://127.0.0.1:*. Returns the endpoint. */
  bind: [{ backlog: number }, string]
  /** Waits until `live` connections are up (or down to `live`). */
  peers: [{ live: number; timeoutMs: number }, PeerCounts]
  memory: [null, Memory]
  /** Waits until exactly `count` messages are queued, unread. */
  queued: [{ count: number; timeoutMs: number }, number]
  /** Receives `count` messages and replies to each through the routing id it came with. */
  serve: [{ count: number; timeoutMs: number }, RouterLog]
  /** Waits for the handles to settle, closes the ROUTER, and reports what was left. */
  close: [{ timeoutMs: number }, CloseReport]
}

/** The operations of a DEALER process. */
export interface DealerOps {
  /**
   * Creates `names.length` DEALERs as group `group` and connects each to `endpoint`. Those flagged in
   * `explicit` present their name as routing id; the others let the ROUTER pick one.
   */
  open: [{ group: string; endpoint: string; names: string[]; explicit: boolean[] }, null]
  /** Each DEALER of the group sends `requests` requests `["req", name, seq]`. Returns the number sent. */
  send: [{ group: string; requests: number }, number]
  /** Each DEALER of the group receives its `requests` replies and checks them, then looks for extras. */
  collect: [{ group: string; requests: number; timeoutMs: number; graceMs: number }, DealerReport]
  memory: [null, Memory]
  /** Closes the group's DEALERs (linger 0). */
  close: [{ group: string }, null]
}

export interface RequestMessage {
  id: number
  op: string
  args: unknown
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** The first message of a child, once it has loaded its implementation. */
export interface ReadyMessage {
  ready: true
  pid: number
}
