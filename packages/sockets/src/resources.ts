/**
 * What a socket holds, counted. A ZeroMQ socket is long-lived while its peers come and go: once they
 * are gone and the application has taken what arrived, every count but `bindings` and `connecters`
 * is back to 0, and after `close()` the socket leaves its context's count. Soak and scale runs compare
 * these counts before and after, next to the process's own handles and timers.
 */
export interface SocketResources {
  /** Peers attached: handshaken connections, inproc links, and each `connect()`'s pipe. */
  pipes: number
  /** ZMTP engines running: accepted connections and the current connection of each `connect()`. */
  engines: number
  /** Messages that arrived and wait for the application. */
  queued: number
  /** Per-peer queues kept by fair-queuing (one per attached peer that has sent something). */
  sources: number
  /** `send()` calls waiting for room or for the pattern to allow sending. */
  pendingSends: number
  /** `receive()` calls waiting for a message. */
  pendingReceives: number
  /** Endpoints bound. */
  bindings: number
  /** Endpoints connected. */
  connecters: number
  /** Monitor-event listeners. */
  eventListeners: number
}

/** The counts of every open socket of a context, summed, and the context's own tables. */
export interface ContextResources extends SocketResources {
  /** Sockets created and not closed yet. */
  sockets: number
  /** `inproc://` names bound. */
  inprocBindings: number
  /** Sockets that connected to an `inproc://` name nobody has bound yet. */
  inprocPending: number
}

/** All zero: what a context holds before its first socket and after its last one closed. */
export function emptyResources(): ContextResources {
  return {
    sockets: 0,
    inprocBindings: 0,
    inprocPending: 0,
    pipes: 0,
    engines: 0,
    queued: 0,
    sources: 0,
    pendingSends: 0,
    pendingReceives: 0,
    bindings: 0,
    connecters: 0,
    eventListeners: 0,
  }
}
