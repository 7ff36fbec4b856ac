import { Deque } from "./deque.js"
import { type Pipe, SessionPipe } from "./pipe.js"

/**
 * Process lifetime, as the `zeromq` package has it: sockets, their listeners and connections, and
 * every heartbeat, handshake and reconnect timer leave the process free to exit (the transports
 * and timers are unref'd), while a pending operation keeps it alive: a `send()` or `receive()`
 * that waits, a monitor-event read in progress, a running proxy. zeromq gets this from its poller,
 * whose libuv handle is only active while an operation waits; here one handle per context does the
 * same job, held while anything counts.
 *
 * Closed sockets that are still delivering under `linger` are counted apart: libzmq delivers them
 * in the background and only makes the process wait for them when it terminates its contexts at
 * exit. {@link Hold.awaitLinger} is that wait.
 *
 * Where the runtime's timers have no `ref`/`unref` (a browser), nothing can keep a process alive
 * and the handle is a plain timer that is only running while the count is above 0.
 */
export class Hold {
  private holds = 0
  private lingers = 0
  private lingerHeld = false
  private lingerDone: (() => void) | undefined
  private handle: ReturnType<typeof setInterval> | undefined
  private held = false

  /** Pending operations keeping the process alive. */
  get count(): number {
    return this.holds
  }

  /** Closed sockets' connections still delivering under `linger`. */
  get lingering(): number {
    return this.lingers
  }

  /** True while this hold keeps the process alive (its timer is referenced). */
  get holding(): boolean {
    return this.held
  }

  /** A pending operation starts: the process stays alive until the matching {@link release}. */
  acquire(): void {
    if (this.holds++ === 0) this.update()
  }

  /** A pending operation ended (completed, failed, timed out or withdrawn). */
  release(): void {
    if (this.holds <= 0) return
    if (--this.holds === 0) this.update()
  }

  /** A closed socket keeps delivering (a connection dialled again only to hand over what is queued). */
  lingerBegin(): void {
    this.lingers++
  }

  /** What {@link lingerBegin} started is over: delivered, or given up when `linger` ran out. */
  lingerEnd(): void {
    if (this.lingers <= 0) return
    if (--this.lingers > 0) return
    this.lingerHeld = false
    this.update()
    const done = this.lingerDone
    this.lingerDone = undefined
    done?.()
  }

  /**
   * From now until nothing lingers, lingering keeps the process alive too, as libzmq's context
   * termination waits for its sockets' linger. Returns false when nothing lingers; otherwise `done`
   * is called once the last lingering delivery ended.
   */
  awaitLinger(done?: () => void): boolean {
    if (this.lingers === 0) return false
    this.lingerDone = done
    if (!this.lingerHeld) {
      this.lingerHeld = true
      this.update()
    }
    return true
  }

  /**
   * Lets go of the timer unless something holds (a closed context): a long-lived timer kept only
   * to be referenced again would otherwise stay in the runtime's timer list for good.
   */
  drop(): void {
    if (this.held || this.handle === undefined) return
    clearInterval(this.handle)
    this.handle = undefined
  }

  private update(): void {
    const hold = this.holds > 0 || this.lingerHeld
    if (hold === this.held) return
    this.held = hold
    const handle = this.handle
    if (handle !== undefined && typeof (handle as Refable).ref === "function") {
      // Toggling the reference of one long-lived timer costs tens of nanoseconds; creating and
      // clearing one costs more than half a microsecond, on a path every waiting receive takes.
      if (hold) (handle as Refable).ref()
      else (handle as Refable).unref()
      return
    }
    if (hold) this.handle = setInterval(noop, MAX_TIMER_DELAY)
    else if (handle !== undefined) {
      clearInterval(handle)
      this.handle = undefined
    }
  }
}

interface Refable {
  ref(): unknown
  unref(): unknown
}

/** The longest delay a timer takes (2^31 - 1 ms): the handle never needs to fire. */
const MAX_TIMER_DELAY = 2 ** 31 - 1

function noop(): void {}

/** Lets a timer not keep the process alive, where the runtime's timers can do that. */
export function unrefTimer<T>(timer: T): T {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

/**
 * A queue of waiting operations (a socket's sends, or its receives) that holds its context's
 * {@link Hold} while it is not empty: once per queue, however many wait in it.
 */
export class HeldQueue<T> extends Deque<T> {
  private readonly owner: { readonly context: { readonly hold: Hold } }
  private holding = false
  /** Inside removeWhere, which empties the queue and pushes back what it keeps. */
  private batch = false

  /** `owner.context` is read when the queue first fills: the queue may be built before it is set. */
  constructor(owner: { readonly context: { readonly hold: Hold } }) {
    super()
    this.owner = owner
  }

  override push(item: T): void {
    super.push(item)
    if (!this.holding && !this.batch) this.check()
  }

  override shift(): T | undefined {
    const item = super.shift()
    if (this.holding) this.check()
    return item
  }

  override removeWhere(drop: (item: T) => boolean): number {
    this.batch = true
    let removed: number
    try {
      removed = super.removeWhere(drop)
    } finally {
      this.batch = false
    }
    this.check()
    return removed
  }

  override clear(): T[] {
    const rest = super.clear()
    if (!this.batch) this.check()
    return rest
  }

  private check(): void {
    const waiting = this.length > 0
    if (waiting === this.holding) return
    this.holding = waiting
    if (waiting) this.owner.context.hold.acquire()
    else this.owner.context.hold.release()
  }
}

/**
 * True when messages wait in a pipe for a connection that is not up: what a close with `linger`
 * keeps dialling to deliver, and what libzmq's context termination at exit waits for.
 */
export function hasUndelivered(pipes: readonly Pipe[]): boolean {
  for (const pipe of pipes) if (pipe instanceof SessionPipe && pipe.queued > 0) return true
  return false
}
