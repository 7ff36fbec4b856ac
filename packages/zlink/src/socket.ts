import { SENT } from "@zl/sockets"
import { parseEndpoint } from "@zl/transport"
import { Context, context as defaultContext } from "./context.js"
import { toZmqError, zmqError } from "./errors.js"
import {
  isNumber,
  isOptionalObject,
  registerState,
  SocketState,
  socketTypes,
  stateOf,
  toBytesOption,
  toNumber,
  unsupported,
  validateArguments,
} from "./internal.js"
import { closeWhenUnreachable } from "./lifetime.js"
import { type Message, type MessageLike, toBuffers, toFrame, toFrames } from "./message.js"
import { Observer } from "./observer.js"
import {
  defineOptions,
  getByNumber,
  type Options,
  readableOptions,
  setByNumber,
  socketHost,
  socketNumberedOptions,
  socketOptions,
  writableOptions,
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

/**
 * The options a socket constructor takes, `new Dealer({ ... })`: every option of socket type `S`
 * that can be set, plus `context`, all optional; read-only options are left out.
 */
export type SocketOptions<S extends Socket> =
  Partial<{ context: Context } & Pick<S, WritableKeys<S>>> extends infer O ? { [K in keyof O]: O[K] } : never

/** {@link SocketOptions} under the name of earlier zlink releases. */
export type SocketConstructorOptions<S extends Socket> = SocketOptions<S>

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

/** Socket types libzmq 4.3.5 has (STREAM, and the draft types up to CHANNEL) that zlink does not. */
const MISSING_TYPES: Readonly<Record<number, string>> = {
  11: "STREAM",
  12: "SERVER",
  13: "CLIENT",
  14: "RADIO",
  15: "DISH",
  16: "GATHER",
  17: "SCATTER",
  18: "DGRAM",
  19: "PEER",
  20: "CHANNEL",
}

const CONSTRUCTOR_ARGUMENTS = [
  [isNumber, "Socket type must be a number"],
  [isOptionalObject, "Options must be an object"],
] as const

/**
 * The base of every socket, with the `zeromq` v6 API: `bind`, `connect`, `send`, `receive`, async
 * iteration, options as properties and monitor `events`. As in zeromq, sockets are sealed: assigning
 * a property a socket does not have throws a `TypeError`, and so does a subclass's own field (a
 * subclass adds options as accessors, which live on its prototype).
 *
 * `new Socket(type, options)` takes a libzmq socket type number (`ZMQ_PAIR` 0 to `ZMQ_XSUB` 10) and
 * gives a socket with the options every socket has; by number (`setInt32Option`...) it has the
 * options of its type. `ZMQ_STREAM` (11) and the draft types fail with `ENOTSUP`, other numbers
 * with `EINVAL`, as `zmq_socket` fails.
 *
 * One deliberate difference: where the `zeromq` package rejects a second concurrent `send()` or
 * `receive()` with `EBUSY`, zlink queues it and serves it in call order, within the high-water marks.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the rows of socketOptions install on the prototype.
export abstract class Socket {
  protected constructor(type: SocketType, options?: object) {
    // zeromq's native constructor: the argument checks, the context, `zmq_socket`, sealing, and
    // then the options, assigned one by one as properties.
    // biome-ignore lint/complexity/noArguments: the count of arguments is checked, as zeromq does.
    validateArguments(arguments, CONSTRUCTOR_ARGUMENTS)
    const given = (options ?? {}) as { context?: unknown }
    let context = defaultContext
    let assign: object = given
    if ("context" in given) {
      const { context: chosen, ...rest } = given
      // Node-API's failure to unwrap a native object: a plain Error, without a code.
      if (!(chosen instanceof Context)) throw new Error("Invalid argument")
      context = chosen
      assign = rest
    }
    if (context.closed) throw zmqError("ETERM")
    const number = toNumber("int32", type)
    const entry = socketTypes.get(number)
    if (entry === undefined) {
      const missing = MISSING_TYPES[number]
      if (missing !== undefined) unsupported(missing, "socket type")
      throw zmqError("EINVAL")
    }
    const core = entry.make(context, { ...(context.blocky ? {} : { linger: 0 }), ipv6: context.ipv6 })
    registerState(this, new SocketState(core, context, number))
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

  /**
   * The synchronous bind of the `zeromq` package, which blocks the thread until libzmq has bound.
   * zlink cannot: Node's event loop has no synchronous listen, so this throws `ENOTSUP` (after
   * checking the address and the socket as `bind` does). Use `await socket.bind(address)`.
   */
  bindSync(address: string): void {
    syncUnsupported(this, address, "bindSync", "bind")
  }

  /**
   * The synchronous unbind of the `zeromq` package. As {@link bindSync}, this throws `ENOTSUP`; use
   * `await socket.unbind(address)`.
   */
  unbindSync(address: string): void {
    syncUnsupported(this, address, "unbindSync", "unbind")
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
  // Each checks its arguments as zeromq does (their count included), then works as libzmq's
  // `zmq_getsockopt` / `zmq_setsockopt` with a C value of its size: see `getByNumber`.
  /* biome-ignore-start lint/complexity/noArguments: the count of arguments is checked, as zeromq does. */

  /** Reads a boolean option (a C int) by its libzmq number; `EINVAL` for an option this type does not have. */
  protected getBoolOption(_option: number): boolean {
    return getByNumber(socketHost, this, "Bool", arguments) as boolean
  }
  /** Sets a boolean option (a C int) by its libzmq number. */
  protected setBoolOption(_option: number, _value: boolean): void {
    setByNumber(socketHost, this, "Bool", arguments)
  }
  /** Reads a 32-bit signed option by its libzmq number. */
  protected getInt32Option(_option: number): number {
    return getByNumber(socketHost, this, "Int32", arguments) as number
  }
  /** Sets a 32-bit signed option by its libzmq number. */
  protected setInt32Option(_option: number, _value: number): void {
    setByNumber(socketHost, this, "Int32", arguments)
  }
  /** Reads a 32-bit unsigned option by its libzmq number. */
  protected getUint32Option(_option: number): number {
    return getByNumber(socketHost, this, "Uint32", arguments) as number
  }
  /** Sets a 32-bit unsigned option by its libzmq number. */
  protected setUint32Option(_option: number, _value: number): void {
    setByNumber(socketHost, this, "Uint32", arguments)
  }
  /** Reads a 64-bit signed option by its libzmq number. */
  protected getInt64Option(_option: number): number {
    return getByNumber(socketHost, this, "Int64", arguments) as number
  }
  /** Sets a 64-bit signed option by its libzmq number. */
  protected setInt64Option(_option: number, _value: number): void {
    setByNumber(socketHost, this, "Int64", arguments)
  }
  /** Reads a 64-bit unsigned option by its libzmq number. */
  protected getUint64Option(_option: number): number {
    return getByNumber(socketHost, this, "Uint64", arguments) as number
  }
  /** Sets a 64-bit unsigned option by its libzmq number. */
  protected setUint64Option(_option: number, _value: number): void {
    setByNumber(socketHost, this, "Uint64", arguments)
  }
  /** Reads a string option by its libzmq number. */
  protected getStringOption(_option: number): string | null {
    return getByNumber(socketHost, this, "String", arguments) as string | null
  }
  /** Sets a string option by its libzmq number. */
  protected setStringOption(_option: number, _value: string | Buffer | null): void {
    setByNumber(socketHost, this, "String", arguments)
  }
  /* biome-ignore-end lint/complexity/noArguments: the count of arguments is checked, as zeromq does. */
}

/**
 * `bindSync` and `unbindSync`: the checks of zeromq's native methods, in its order (`TypeError` for
 * an address that is not a string, `EBADF` once closed, `EBUSY` during a bind), then `ENOTSUP`.
 */
function syncUnsupported(socket: Socket, address: unknown, method: string, instead: string): never {
  checkAddress(address)
  stateOf(socket).validateOpen()
  throw zmqError("ENOTSUP", {
    message: `${method}() is not supported: Node.js has no synchronous listen; use await socket.${instead}()`,
  })
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

// The options every socket has: properties from the rows of `socketOptions`.
export interface Socket extends Options<typeof socketOptions> {}
defineOptions([Socket], socketOptions, socketHost)
defineOptions([Socket], socketNumberedOptions, socketHost, { properties: false })

// As in zeromq, a socket made with `new Socket(type)` has `send`, `receive` and async iteration (a
// type that cannot send or receive fails with `ENOTSUP`); the classes below have those of their type.
Object.defineProperties(Socket.prototype, {
  send: {
    configurable: true,
    writable: true,
    value: function send(this: Socket, message: MessageLike | MessageLike[]): Promise<void> {
      return sendOn(this, message)
    },
  },
  receive: {
    configurable: true,
    writable: true,
    value: function receive(this: Socket): Promise<Buffer[]> {
      return receiveOn(this)
    },
  },
  [Symbol.asyncIterator]: {
    configurable: true,
    writable: true,
    value: function asyncIterator(this: Socket): AsyncIterator<Buffer[], undefined> {
      return messages(this as Socket & Pick<Readable, "receive">)
    },
  },
})

/**
 * Sockets that send: `send(message)` with one frame or an array of frames, and the send options.
 *
 * @typeParam M What `send` takes: one frame or an array of frames, or a fixed shape of frames.
 * @typeParam O Further arguments of `send`, for socket types that take options with a message
 *   (none of the sockets zlink has).
 */
export interface Writable<
  M extends MessageLike | MessageLike[] = MessageLike | MessageLike[],
  O extends [...object[]] = [],
> extends Options<typeof writableOptions> {
  /**
   * Sends a message (one frame, or an array of frames). Resolves once queued; waits while the
   * high-water mark is reached, up to `sendTimeout`. Concurrent sends are served in call order.
   */
  send(message: M, ...options: O): Promise<void>
}

/** What the `receive()` of `T` resolves with. */
type ReceiveType<T> = T extends { receive(): Promise<infer U> } ? U : never

/**
 * Sockets that receive: `receive()`, `for await`, and the receive options.
 *
 * @typeParam M What `receive` resolves with: the frames of a message.
 */
export interface Readable<M extends object[] = Message[]> extends Options<typeof readableOptions> {
  /** Receives the next message. Concurrent receives are served in call order. */
  receive(): Promise<M>
  /** The messages, one by one; ends when the socket is closed. */
  [Symbol.asyncIterator](): AsyncIterator<ReceiveType<this>, undefined>
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
  [Symbol.asyncIterator](): AsyncIterator<ReceiveType<this>, undefined> {
    return messages(this) as AsyncIterator<ReceiveType<this>, undefined>
  }
}

/** @internal The base of the sockets that send and receive. */
export abstract class DuplexSocket extends ReceivingSocket {
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return sendOn(this, message)
  }
}

defineOptions([SendingSocket, DuplexSocket], writableOptions, socketHost)
defineOptions([ReceivingSocket], readableOptions, socketHost)

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
