import { EventEmitter } from "node:events"
import {
  HeldQueue,
  protocolErrorName,
  type SocketBase,
  type SocketEvent,
  type SocketEventListener,
} from "@zl/sockets"
import { protocolError, toZmqError, zmqError } from "./errors.js"
import { coreOf } from "./internal.js"

/** An error with an errno name (`code`) and number (`errno`), as zeromq reports OS and libzmq errors. */
export interface ErrnoError extends Error {
  code: string
  errno: number
}

/**
 * The error of a `handshake:error:auth` event: the ZAP status code that refused the peer. zlink
 * speaks the NULL mechanism without ZAP, so it does not raise this event yet.
 */
export interface AuthError extends Error {
  status: 300 | 400 | 500
}

/**
 * The codes of a `handshake:error:protocol` event's error: libzmq's `ZMQ_PROTOCOL_ERROR_*` names, as
 * the `zeromq` package reports them. What zlink found, with its own finer `ZMTP_ERR_*` code, is the
 * error's `cause`.
 */
export type ProtoErrorCode =
  | "ERR_ZMTP_UNSPECIFIED"
  | "ERR_ZMTP_UNEXPECTED_COMMAND"
  | "ERR_ZMTP_INVALID_SEQUENCE"
  | "ERR_ZMTP_KEY_EXCHANGE"
  | "ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED"
  | "ERR_ZMTP_MALFORMED_COMMAND_MESSAGE"
  | "ERR_ZMTP_MALFORMED_COMMAND_HELLO"
  | "ERR_ZMTP_MALFORMED_COMMAND_INITIATE"
  | "ERR_ZMTP_MALFORMED_COMMAND_ERROR"
  | "ERR_ZMTP_MALFORMED_COMMAND_READY"
  | "ERR_ZMTP_MALFORMED_COMMAND_WELCOME"
  | "ERR_ZMTP_INVALID_METADATA"
  | "ERR_ZMTP_CRYPTOGRAPHIC"
  | "ERR_ZMTP_MECHANISM_MISMATCH"
  | "ERR_ZAP_UNSPECIFIED"
  | "ERR_ZAP_MALFORMED_REPLY"
  | "ERR_ZAP_BAD_REQUEST_ID"
  | "ERR_ZAP_BAD_VERSION"
  | "ERR_ZAP_INVALID_STATUS_CODE"
  | "ERR_ZAP_INVALID_METADATA"

/** The error of a `handshake:error:protocol` event: the peer broke the ZMTP handshake. */
export interface ProtoError extends Error {
  code: ProtoErrorCode
}

/** The endpoint an event is about. */
export interface EventAddress {
  address: string
}

/** The reconnect interval of a `connect:retry` event (ms). */
export interface EventInterval {
  interval: number
}

/** The error of an event that reports a failure. */
export interface EventError<E = ErrnoError> {
  error: E
}

/** One event type: `{ type: T }` with the properties of `D`, as one flat object type. */
export type EventFor<T extends string, D = object> = { type: T } & D extends infer O
  ? { [K in keyof O]: O[K] }
  : never

/**
 * A monitor event, as the `zeromq` package types it: `type`, with `address` and `interval` or
 * `error` where they apply. `unknown` stands for an event libzmq would add in a later version;
 * zlink does not raise it. A `disconnect` may carry the `error` that ended the connection.
 */
export type Event =
  | EventFor<"accept", EventAddress>
  | EventFor<"accept:error", EventAddress & EventError>
  | EventFor<"bind", EventAddress>
  | EventFor<"bind:error", EventAddress & EventError>
  | EventFor<"connect", EventAddress>
  | EventFor<"connect:delay", EventAddress>
  | EventFor<"connect:retry", EventAddress & EventInterval>
  | EventFor<"close", EventAddress>
  | EventFor<"close:error", EventAddress & EventError>
  | EventFor<"disconnect", EventAddress & Partial<EventError>>
  | EventFor<"end">
  | EventFor<"handshake", EventAddress>
  | EventFor<"handshake:error:protocol", EventAddress & EventError<ProtoError>>
  | EventFor<"handshake:error:auth", EventAddress & EventError<AuthError>>
  | EventFor<"handshake:error:other", EventAddress & EventError>
  | EventFor<"unknown">

/** The type of every event, `Event["type"]`. */
export type EventType = Event["type"]

/** The event of one type: `EventOfType<"connect:retry">` has `address` and `interval`. */
export type EventOfType<E extends EventType = EventType> = Extract<Event, { type: E }>

/**
 * Listening to events: `on(type, listener)` and `off(type, listener)`, with the listener's event
 * typed after `type`. `socket.events` is one.
 */
export interface EventSubscriber {
  /** Calls `listener` for every event of `type`; switches the observer to event-emitter mode. */
  on<E extends EventType>(type: E, listener: (data: EventOfType<E>) => void): EventSubscriber
  /** Removes a listener added with `on`. */
  off<E extends EventType>(type: E, listener: (data: EventOfType<E>) => void): EventSubscriber
}

/**
 * Events kept for an application that does not read them, as libzmq's monitor socket keeps at most
 * its high-water mark of 1,000: further events are dropped, except the last one, `end`. Peers that
 * connect and go away keep producing events; nobody reading them must not cost memory without bound.
 */
export const MAX_QUEUED_EVENTS = 1000

const EMITTER_MODE =
  "Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive()."

/**
 * An event as zeromq reports it: errors shaped as zeromq's (a failed handshake's protocol error named
 * by libzmq's `ERR_ZMTP_*` code, with zlink's finding as its `cause`), and the address of `bind:error` without its `tcp://` (or other transport) prefix, as libzmq
 * reports the address it failed to bind.
 */
function asZmqEvent(event: SocketEvent): Event {
  if (event.type === "end") return event
  if (event.type === "bind:error") {
    const at = event.address.indexOf("://")
    return {
      type: event.type,
      address: at < 0 ? event.address : event.address.slice(at + 3),
      error: toZmqError(event.error) as ErrnoError,
    }
  }
  if (event.type === "handshake:error:protocol") {
    // The socket reports only the faults libzmq names; any other would be libzmq's UNSPECIFIED.
    const name = (protocolErrorName(event.error) ?? "ERR_ZMTP_UNSPECIFIED") as ProtoErrorCode
    return { ...event, error: protocolError(name, event.error) as ProtoError }
  }
  if ("error" in event && event.error !== undefined) {
    return { ...event, error: toZmqError(event.error) } as Event
  }
  return event as Event
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
export class Observer implements EventSubscriber {
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
