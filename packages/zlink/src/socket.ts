import { SENT, type SocketBase, type SocketOptions } from "@zl/sockets"
import { parseEndpoint } from "@zl/transport"
import { Context, context as defaultContext } from "./context.js"
import { toZmqError, zmqError } from "./errors.js"
import { registerState, SocketState, stateOf, toBytesOption } from "./internal.js"
import { closeWhenUnreachable } from "./lifetime.js"
import { type MessageLike, toBuffers, toFrame, toFrames } from "./message.js"
import { Observer } from "./observer.js"
import {
  defineOptions,
  type OptionKind,
  type Options,
  readableOptions,
  readRow,
  rowById,
  socketOptions,
  type WritableRow,
  writableOptions,
  writeRow,
} from "./options.js"

/** The numeric socket types of libzmq, which `socket.type` reports as the `zeromq` package does. */
export const SocketType = {
  Pair: 0,
  Publisher: 1,
  Subscriber: 2,
  Request: 3,
  Reply: 4,
  Dealer: 5,
  Router: 6,
  Pull: 7,
  Push: 8,
  XPublisher: 9,
  XSubscriber: 10,
} as const
export type SocketType = (typeof SocketType)[keyof typeof SocketType]

type IfEquals<X, Y, A, B = never> =
  (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? A : B

/** The keys of the properties of `T` that can be assigned: its options. */
type WritableKeys<T> = {
  [P in keyof T]-?: T[P] extends (...args: never[]) => unknown
    ? never
    : IfEquals<{ [Q in P]: T[P] }, { -readonly [Q in P]: T[P] }, P>
}[keyof T]

/** Options accepted by socket constructors: any writable socket property, plus `context`. */
export type SocketConstructorOptions<S> = { context?: Context } & Partial<Pick<S, WritableKeys<S>>>

function checkAddress(address: unknown): asserts address is string {
  if (typeof address !== "string") throw new TypeError("Address must be a string")
}

/**
 * As libzmq's unbind and disconnect, which parse the endpoint and check its protocol before looking
 * it up: `EINVAL` for a malformed endpoint, `EPROTONOSUPPORT` for an unknown transport.
 */
function checkProtocol(state: SocketState, address: string): void {
  const { scheme } = parseEndpoint(address)
  if (scheme !== "inproc") state.context.transports.get(scheme)
}

/**
 * The base of every socket, with the `zeromq` v6 API: `bind`, `connect`, `send`, `receive`, async
 * iteration, options as properties and monitor `events`. As in zeromq, sockets are sealed: assigning
 * a property a socket does not have throws a `TypeError`.
 *
 * One deliberate difference: where the `zeromq` package rejects a second concurrent `send()` or
 * `receive()` with `EBUSY`, zlink queues it and serves it in call order, within the high-water marks.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the rows of socketOptions install on the prototype.
export abstract class Socket {
  protected constructor(
    type: SocketType,
    make: (context: Context, options: Partial<SocketOptions>) => SocketBase,
    options?: unknown,
  ) {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError("Options must be an object")
    }
    const { context: given, ...assign } = (options ?? {}) as { context?: unknown }
    const context = given ?? defaultContext
    if (!(context instanceof Context)) throw new TypeError("Context must be a context object")
    if (context.closed) throw zmqError("ETERM")
    const core = make(context, { ...(context.blocky ? {} : { linger: 0 }), ipv6: context.ipv6 })
    registerState(this, new SocketState(core, context, type))
    closeWhenUnreachable(this, core)
    Object.seal(this)
    try {
      Object.assign(this, assign)
    } catch (err) {
      core.close()
      throw err
    }
  }

  /** Monitor events of this socket; the same observer every time. */
  get events(): Observer {
    const state = stateOf(this)
    if (state.closed) throw zmqError("ENOTSOCK")
    state.observer ??= new Observer(this)
    return state.observer as Observer
  }

  /** The context this socket belongs to. */
  get context(): Context {
    return stateOf(this).context
  }

  /** True once the socket is closed (a `close()` during a bind or unbind takes effect when it ends). */
  get closed(): boolean {
    return stateOf(this).closed
  }

  /** True when a message can be received at once. */
  get readable(): boolean {
    const state = stateOf(this)
    return !state.closed && state.core.readable
  }

  /** True when a message can be sent at once. */
  get writable(): boolean {
    const state = stateOf(this)
    return !state.closed && state.core.writable
  }

  /**
   * Binds to an endpoint: `tcp://127.0.0.1:5555`, `tcp://*:*`, `ipc:///tmp/feed`, `inproc://name`.
   * While the bind is in progress, other operations on the socket throw `EBUSY`.
   *
   * @example
   * ```ts
   * await socket.bind("tcp://127.0.0.1:*")
   * console.log(socket.lastEndpoint)
   * ```
   */
  bind(address: string): Promise<void> {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    state.block()
    return settle(state, address, 1, () => state.core.bind(address))
  }

  /** Stops listening on an endpoint. While the unbind is in progress, other operations throw `EBUSY`. */
  unbind(address: string): Promise<void> {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    state.block()
    return settle(state, address, -1, () => {
      checkProtocol(state, address)
      return state.core.unbind(address)
    })
  }

  /** Connects to an endpoint; reconnects when the connection drops. */
  connect(address: string): void {
    connectTo(this, address, undefined)
  }

  /** Stops connecting to an endpoint. */
  disconnect(address: string): void {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    try {
      checkProtocol(state, address)
      state.core.disconnect(address)
    } catch (err) {
      throw toZmqError(err, address)
    }
    state.endpoints -= 1
  }

  /** Closes the socket; see `linger`. During a bind or unbind, closes when that operation ends. */
  close(): void {
    const state = stateOf(this)
    if (state.lifecycle === "blocked") state.closeRequested = true
    else if (state.lifecycle !== "closed") state.close()
  }

  // ---- options by libzmq number, for subclasses (as zeromq's protected methods) -------------------

  /** Reads a boolean option by its libzmq number; `EINVAL` for an option this class does not have. */
  protected getBoolOption(option: number): boolean {
    return Boolean(readRow(this, rowById(this, option, INT_SIZED)))
  }
  /** Sets a boolean option by its libzmq number. */
  protected setBoolOption(option: number, value: boolean): void {
    setByNumber(this, option, INT_SIZED, value)
  }
  /** Reads a 32-bit signed option by its libzmq number. */
  protected getInt32Option(option: number): number {
    return Number(readRow(this, rowById(this, option, INT_SIZED)))
  }
  /** Sets a 32-bit signed option by its libzmq number. */
  protected setInt32Option(option: number, value: number): void {
    setByNumber(this, option, INT_SIZED, value)
  }
  /** Reads a 32-bit unsigned option by its libzmq number. */
  protected getUint32Option(option: number): number {
    return Number(readRow(this, rowById(this, option, INT_SIZED))) >>> 0
  }
  /** Sets a 32-bit unsigned option by its libzmq number. */
  protected setUint32Option(option: number, value: number): void {
    setByNumber(this, option, INT_SIZED, value)
  }
  /** Reads a 64-bit signed option by its libzmq number. */
  protected getInt64Option(option: number): number {
    return readRow(this, rowById(this, option, LONG_SIZED)) as number
  }
  /** Sets a 64-bit signed option by its libzmq number. */
  protected setInt64Option(option: number, value: number): void {
    setByNumber(this, option, LONG_SIZED, value)
  }
  /** Reads a 64-bit unsigned option by its libzmq number. */
  protected getUint64Option(option: number): number {
    return readRow(this, rowById(this, option, LONG_SIZED)) as number
  }
  /** Sets a 64-bit unsigned option by its libzmq number. */
  protected setUint64Option(option: number, value: number): void {
    setByNumber(this, option, LONG_SIZED, value)
  }
  /** Reads a string option by its libzmq number. */
  protected getStringOption(option: number): string | null {
    return readRow(this, rowById(this, option, ["string"])) as string | null
  }
  /** Sets a string option by its libzmq number. */
  protected setStringOption(option: number, value: string | Buffer | null): void {
    setByNumber(this, option, ["string"], value)
  }
}

/** Ends a bind or unbind: unblocks the socket (closing it if asked meanwhile), then settles. */
function settle(
  state: SocketState,
  address: string,
  endpoints: number,
  run: () => Promise<unknown>,
): Promise<void> {
  let operation: Promise<unknown>
  try {
    operation = run()
  } catch (err) {
    operation = Promise.reject(err)
  }
  return operation.then(
    () => {
      state.unblock(endpoints)
    },
    (err: unknown) => {
      state.unblock(endpoints)
      throw toZmqError(err, address)
    },
  )
}

/** @internal `connect`, with the routing id of `Router.connect`. */
export function connectTo(socket: Socket, address: unknown, routingId: Uint8Array | undefined): void {
  checkAddress(address)
  const state = stateOf(socket)
  state.validateOpen()
  try {
    state.core.connect(address, routingId)
  } catch (err) {
    throw toZmqError(err, address)
  }
  state.endpoints += 1
}

/** @internal `send` of every writable socket; `routed` for a ROUTER, whose first frame picks the peer. */
export function sendOn(socket: Socket, message: unknown, routed = false): Promise<void> {
  if (message === undefined) throw new TypeError("Message must be present")
  const state = stateOf(socket)
  state.validateOpen()
  let frames: Uint8Array[]
  if (routed && Array.isArray(message) && typeof message[0] === "string") {
    frames = toFrames(message, 1)
    if (message[0] !== state.routeText) {
      state.routeText = message[0]
      state.routeBytes = toFrame(message[0])
    }
    frames[0] = state.routeBytes!
  } else frames = toFrames(message as MessageLike | MessageLike[])
  // zeromq sends the parts of an empty array: none.
  if (frames.length === 0) return Promise.resolve()
  const core = state.core
  try {
    if (core.sendNow(frames)) return SENT
  } catch (err) {
    return Promise.reject(toZmqError(err))
  }
  return new Promise((resolve, reject) => core.sendLater(frames, resolve, (err) => reject(toZmqError(err))))
}

/** @internal `receive` of every readable socket. */
export function receiveOn(socket: Socket): Promise<Buffer[]> {
  const state = stateOf(socket)
  state.validateOpen()
  const core = state.core
  const frames = core.receiveNow()
  if (frames !== undefined) return Promise.resolve(toBuffers(frames))
  return new Promise((resolve, reject) =>
    core.receiveLater(
      (received) => resolve(toBuffers(received)),
      (err) => reject(toZmqError(err)),
    ),
  )
}

/**
 * @internal The routing id `Router.connect` gives the peer (`ZMQ_CONNECT_ROUTING_ID`), checked as
 * zeromq sets it: like an option that takes effect on the next connect.
 */
export function connectRoutingId(socket: Socket, value: unknown): Uint8Array {
  return toBytesOption(socket, value, (bytes) => bytes !== null && bytes.length > 0) as Uint8Array
}

/** Options the raw-number methods take through a 4-octet C int: booleans and 32-bit numbers. */
const INT_SIZED: readonly OptionKind[] = ["bool", "int32"]
/** Options the raw-number methods take through an 8-octet C integer. */
const LONG_SIZED: readonly OptionKind[] = ["int64", "uint64"]

/** Sets an option by its libzmq number, converting between C ints and booleans as libzmq does. */
function setByNumber(socket: Socket, id: number, kinds: readonly OptionKind[], value: unknown): void {
  const row = rowById(socket, id, kinds)
  if (row.set === undefined) throw zmqError("EINVAL")
  let converted = value
  if (row.kind === "bool" && typeof value === "number") converted = value !== 0
  else if (row.kind === "int32" && typeof value === "boolean") converted = value ? 1 : 0
  writeRow(socket, row as WritableRow<unknown>, converted)
}

// The options every socket has: properties from the rows of `socketOptions`.
export interface Socket extends Options<typeof socketOptions> {}
defineOptions([Socket], socketOptions)

/** Sockets that send: `send(message)` with one frame or an array of frames, and the send options. */
export interface Writable extends Options<typeof writableOptions> {
  /**
   * Sends a message (one frame, or an array of frames). Resolves once queued; waits while the
   * high-water mark is reached, up to `sendTimeout`. Concurrent sends are served in call order.
   */
  send(message: MessageLike | MessageLike[]): Promise<void>
}

/** Sockets that receive: `receive()`, `for await`, and the receive options. */
export interface Readable extends Options<typeof readableOptions> {
  /** Receives the next message. Concurrent receives are served in call order. */
  receive(): Promise<Buffer[]>
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined>
}

/** @internal The base of the sockets that only send (PUB, PUSH). */
export abstract class SendingSocket extends Socket {
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
}

/** @internal The base of the sockets that receive, and of those that also send. */
export abstract class ReceivingSocket extends Socket {
  receive(): Promise<Buffer[]> {
    return receiveOn(this)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return messages(this)
  }
}

/** @internal The base of the sockets that send and receive. */
export abstract class DuplexSocket extends ReceivingSocket {
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
}

defineOptions([SendingSocket, DuplexSocket], writableOptions)
defineOptions([ReceivingSocket], readableOptions)

/** The async iterator of readable sockets: ends when the socket is closed. */
export function messages(socket: Socket & Pick<Readable, "receive">): AsyncIterator<Buffer[], undefined> {
  return {
    next: async (): Promise<IteratorResult<Buffer[], undefined>> => {
      if (socket.closed) return { done: true, value: undefined }
      try {
        return { done: false, value: await socket.receive() }
      } catch (err) {
        if (socket.closed && (err as { code?: unknown }).code === "EAGAIN")
          return { done: true, value: undefined }
        throw err
      }
    },
  }
}
