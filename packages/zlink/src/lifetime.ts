import type { Context as CoreContext, SocketBase } from "@zl/sockets"

/**
 * The two ends of a process's life that the `zeromq` package manages for its users, done the same
 * way here (the rest, what keeps a process alive while it runs, is `@zl/sockets`' `Hold`):
 *
 * - A socket that has become unreachable is closed, as zeromq's garbage collection closes it (with
 *   its `linger`). This works because nothing the socket runs (listeners, connections, timers,
 *   pending operations, the observer) refers to the API object: they refer to its core socket, which
 *   the finalizer closes.
 * - When the event loop has nothing left to do (`beforeExit`), zeromq terminates its contexts, and
 *   libzmq's termination waits for every socket's `linger`: an open socket with messages queued for
 *   a peer that is not connected is closed then, and the process stays until what is lingering was
 *   delivered or its `linger` ran out (forever with the default of -1, as zeromq), with zeromq's
 *   warning on stderr once the wait passes half a second. `blocky = false` gives new sockets
 *   `linger` 0, so they never wait.
 *
 * One difference remains: zeromq waits after the `exit` event, where JavaScript no longer runs;
 * zlink delivers from JavaScript, so it waits before `exit`. A process ended with `process.exit()`
 * does not wait at all.
 */

/** Closes the core socket of an API socket nobody can reach any more. */
const unreachable = new FinalizationRegistry<SocketBase>((core) => {
  try {
    core.close()
  } catch (err) {
    core.context.reportError(err)
  }
})

/** @internal Closes `core` once `socket` (the API object around it) is garbage collected. */
export function closeWhenUnreachable(socket: object, core: SocketBase): void {
  unreachable.register(socket, core)
}

/** Every zlink context, weakly: a context nobody holds is not kept for its exit. */
const contexts = new Set<WeakRef<CoreContext & { readonly blocky: boolean }>>()
let exitHooked = false
/** Dead references are swept whenever the set doubled since the last sweep. */
const SWEEP_AT = 64
let sweepAt = SWEEP_AT
/** How long the wait at exit lasts before zeromq warns about it. */
const WARN_AFTER = 500

/** @internal Lets `context`'s sockets deliver what they promised when the process is about to exit. */
export function lingerAtExit(context: CoreContext & { readonly blocky: boolean }): void {
  contexts.add(new WeakRef(context))
  if (contexts.size >= sweepAt) {
    // A program that makes context after context must not keep a reference for each of them.
    for (const ref of contexts) if (ref.deref() === undefined) contexts.delete(ref)
    sweepAt = Math.max(SWEEP_AT, contexts.size * 2)
  }
  if (exitHooked) return
  exitHooked = true
  process.on("beforeExit", beforeExit)
}

function beforeExit(): void {
  const waiting: (CoreContext & { readonly blocky: boolean })[] = []
  for (const ref of contexts) {
    const context = ref.deref()
    if (context === undefined) {
      contexts.delete(ref)
      continue
    }
    for (const socket of context.openSockets()) {
      if (socket.options.linger !== 0 && socket.undelivered) socket.close()
    }
    if (context.hold.awaitLinger()) waiting.push(context)
  }
  if (waiting.length === 0) return
  const warn = setTimeout(() => {
    const still = waiting.filter((context) => context.hold.lingering > 0)
    if (still.length === 0) return
    const hint = still.some((context) => context.blocky)
      ? " Set 'context.blocky = false' to change this behaviour."
      : ""
    // The wording and form of zeromq's own warning, which it writes straight to stderr.
    process.stderr.write(
      `(node:${process.pid}) WARNING: Waiting for queued ZeroMQ messages to be delivered.${hint}\n`,
    )
  }, WARN_AFTER)
  // The wait itself is what the lingering holds; the warning is no reason to stay.
  warn.unref()
}
