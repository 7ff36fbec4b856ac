import { EventEmitter } from "node:events"
import { HeldQueue, type SocketBase, type SocketEvent, type SocketEventListener } from "@zl/sockets"
import { toZmqError, zmqError } from "./errors.js"
import { coreOf } from "./internal.js"

/** A monitor event, as the `zeromq` package reports it: `type`, `address`, and `interval` or `error` where they apply. */
export type Event = SocketEvent
export type EventType = SocketEvent["type"]
export type EventOfType<E extends EventType = EventType> = Extract<SocketEvent, { type: E }>

/**
 * Events kept for an application that does not read them, as libzmq's monitor socket keeps at most
 * its high-water mark of 1,000: further events are dropped, except the last one, `end`. Peers that
 * connect and go away keep producing events; nobody reading them must not cost memory without bound.
 */
export const MAX_QUEUED_EVENTS = 1000

const EMITTER_MODE =
  "Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive()."

/**
 * An event as zeromq reports it: errors shaped as zeromq's (protocol errors keep their `ZMTP_ERR_*`
 * code), and the address of `bind:error` without its `tcp://` (or other transport) prefix, as libzmq
 * reports the address it failed to bind.
 */
function asZmqEvent(event: SocketEvent): Event {
  if (event.type === "end") return event
  if (event.type === "bind:error") {
    const at = event.address.indexOf("://")
    return {
      type: event.type,
      address: at < 0 ? event.address : event.address.slice(at + 3),
      error: toZmqError(event.error) as typeof event.error,
    }
  }
  if ("error" in event && event.error !== undefined) {
    return { ...event, error: toZmqError(event.error) as typeof event.error }
  }
  return event
}

interface Waiter {
  resolve(event: Event): void
  reject(error: unknown): void
}

/**
 * Monitor events of one socket (`socket.events`): read them with `receive()` or `for await`, or
 * listen with `on(type, listener)` (event-emitter mode, after which `receive()` is not allowed).
 * The last event is `end`, after the socket closed; once it was read the observer is closed.
 *
 * @example
 * ```ts
 * for await (const event of socket.events) console.log(event.type, "address" in event ? event.address : "")
 * ```
 */
export class Observer {
  readonly #socket: SocketBase
  readonly #queue: Event[] = []
  /** Receives in progress: while there is one, the process stays alive, as with zeromq. */
  readonly #waiting: HeldQueue<Waiter>
  #emitter: EventEmitter | undefined
  /** Closed for the application: `close()` was called, or `end` was delivered. */
  #closed = false
  /** No longer listening to the socket (it ended, or the observer was closed). */
  #detached = false
  #draining = false
  /** In event-emitter mode and not closed: holding the process, as zeromq's receive loop does. */
  #listening = false
  readonly #listener: SocketEventListener = (event) => this.#push(asZmqEvent(event))

  /** Observes `socket`; `socket.events` gives the socket's own observer. */
  constructor(socket: object) {
    const core = coreOf(socket)
    if (core === undefined) throw new TypeError("Socket must be a socket object")
    if (socket !== null && (socket as { closed?: unknown }).closed === true) throw zmqError("ENOTSOCK")
    this.#socket = core
    this.#waiting = new HeldQueue<Waiter>(core)
    core.addEventListener(this.#listener)
  }

  /** True once `close()` was called or the `end` event was read. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * The next event. Throws `EBADF` once the observer is closed; a receive pending when `close()` is
   * called rejects with `ENOTSOCK`. Concurrent receives are served in call order.
   */
  receive(): Promise<Event> {
    if (this.#emitter !== undefined) throw new Error(EMITTER_MODE)
    if (this.#closed) throw zmqError("EBADF")
    const next = this.#queue.shift()
    if (next !== undefined) {
      if (next.type === "end") this.#finish()
      return Promise.resolve(next)
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  /** Calls `listener` for every event of `type`; switches the observer to event-emitter mode. */
  on<E extends EventType>(type: E, listener: (event: EventOfType<E>) => void): this {
    this.#emitterMode().on(type, listener)
    return this
  }

  /** Removes a listener added with `on`. */
  off<E extends EventType>(type: E, listener: (event: EventOfType<E>) => void): this {
    this.#emitter?.off(type, listener)
    return this
  }

  /** Stops observing. */
  close(): void {
    if (this.#closed) return
    this.#finish()
    // As zeromq: a receive pending on the observer's (now closed) monitor socket fails with ENOTSOCK.
    for (const waiter of this.#waiting.clear()) waiter.reject(zmqError("ENOTSOCK"))
  }

  [Symbol.asyncIterator](): AsyncIterator<Event, undefined> {
    return {
      next: async (): Promise<IteratorResult<Event, undefined>> => {
        if (this.#closed) return { done: true, value: undefined }
        try {
          return { done: false, value: await this.receive() }
        } catch (err) {
          if (this.#closed && (err as { code?: unknown }).code === "EAGAIN")
            return { done: true, value: undefined }
          throw err
        }
      },
    }
  }

  #finish(): void {
    this.#closed = true
    this.#detach()
    if (this.#listening) {
      this.#listening = false
      this.#socket.context.hold.release()
    }
  }

  #detach(): void {
    if (this.#detached) return
    this.#detached = true
    this.#socket.removeEventListener(this.#listener)
  }

  #emitterMode(): EventEmitter {
    if (this.#emitter === undefined) {
      this.#emitter = new EventEmitter()
      // zeromq's event-emitter mode is a receive loop that runs until the end: it keeps the process
      // alive as a pending receive does.
      if (!this.#closed) {
        this.#listening = true
        this.#socket.context.hold.acquire()
      }
      // As zeromq, events that came before go to the listeners registered now, a little later.
      if (this.#queue.length > 0) this.#drain()
    }
    return this.#emitter
  }

  #drain(): void {
    this.#draining = true
    queueMicrotask(() => {
      this.#draining = false
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift())
        this.#emit(event)
    })
  }

  #emit(event: Event): void {
    if (this.#closed) return
    if (event.type === "end") this.#finish()
    // Each listener on its own: one that throws neither silences the others nor reaches the
    // engine or timer the event came from.
    for (const listener of this.#emitter!.rawListeners(event.type)) {
      try {
        ;(listener as (event: Event) => void).call(this.#emitter, event)
      } catch (err) {
        this.#socket.context.reportError(err)
      }
    }
  }

  #push(event: Event): void {
    if (this.#closed) return
    // Nothing comes after the end.
    if (event.type === "end") this.#detach()
    if (this.#emitter !== undefined) {
      if (this.#draining) this.#queue.push(event)
      else this.#emit(event)
      return
    }
    const waiter = this.#waiting.shift()
    if (waiter === undefined) {
      if (this.#queue.length < MAX_QUEUED_EVENTS || event.type === "end") this.#queue.push(event)
      return
    }
    if (event.type === "end") this.#finish()
    waiter.resolve(event)
  }
}
