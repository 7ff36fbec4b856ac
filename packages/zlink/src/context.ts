import { Context as CoreContext, type SocketBase } from "@zl/sockets"
import type { TransportFactory } from "@zl/transport"
import { ipc } from "@zl/transport-ipc"
import { tcp } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"
import { warnNoEffect } from "./warnings.js"

/** Options of a zlink {@link Context}, with the `zeromq` package's names. */
export interface ContextOptions {
  /** `ZMQ_BLOCKY`: when false, new sockets get `linger` 0. Default true. */
  blocky?: boolean
  /**
   * `ZMQ_IO_THREADS`: 0 or more; read back, without effect (warned once when not 1): zlink runs on
   * Node's event loop and has no I/O threads.
   */
  ioThreads?: number
  /**
   * `ZMQ_MAX_MSGSZ`: 0 or more; read back, without effect, as in libzmq 4.3.5, which stores it and
   * uses it nowhere. The socket option `maxMessageSize` is the one that bounds messages.
   */
  maxMessageSize?: number
  /**
   * `ZMQ_MAX_SOCKETS`: the most sockets open at once in this context, 1 or more; creating one more
   * fails with `EMFILE`. As in libzmq, the value in force when the first socket is created stays
   * the limit for the context's lifetime. Default 1023.
   */
  maxSockets?: number
  /** `ZMQ_IPV6`: new sockets get `ipv6` set. */
  ipv6?: boolean
  /** `ZMQ_THREAD_PRIORITY`: accepted, without effect (see {@link Context.threadPriority}). */
  threadPriority?: number
  /** `ZMQ_THREAD_SCHED_POLICY`: accepted, without effect (see {@link Context.threadSchedulingPolicy}). */
  threadSchedulingPolicy?: number
  /** Transports besides tcp:// and ipc:// (and inproc://, always there). */
  transports?: readonly TransportFactory[]
}

/**
 * A context: the transports and the `inproc://` address space its sockets share. zlink's contexts
 * come with `tcp://` and `ipc://`; more transports are added with the `transports` option.
 *
 * @example
 * ```ts
 * const context = new zmq.Context({ blocky: false })
 * const socket = new zmq.Dealer({ context })
 * ```
 */
export class Context extends CoreContext {
  readonly #values = {
    [IO_THREADS]: 1,
    [MAX_SOCKETS]: 1023,
    [THREAD_PRIORITY]: -1,
    [THREAD_SCHED_POLICY]: -1,
    [MAX_MSGSZ]: 2_147_483_647,
    [IPV6]: 0,
    [BLOCKY]: 1,
  } as Record<number, number>
  /** libzmq sizes its socket table when the first socket is created: the limit from then on. */
  #socketSlots: number | undefined = undefined
  readonly #openSockets = new Set<SocketBase>()

  constructor(options: ContextOptions = {}) {
    super({
      transports: [tcp(), ipc(), ...(options.transports ?? [])],
      allocate: (size) => Buffer.allocUnsafeSlow(size),
    })
    // As zeromq: each option given is set in turn, with the checks of its setter.
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && OPTION_NAMES.has(name))
        (this as unknown as Record<string, unknown>)[name] = value
    }
  }

  /** `ZMQ_BLOCKY`: when false, new sockets get `linger` 0. Default true. */
  get blocky(): boolean {
    return this.#values[BLOCKY] !== 0
  }
  set blocky(value: boolean) {
    this.#set(BLOCKY, boolValue(value))
  }

  /**
   * `ZMQ_IO_THREADS`: accepted and checked (0 or more), read back as set, without effect: zlink runs
   * on Node's event loop and has no I/O threads. Default 1.
   */
  get ioThreads(): number {
    return this.#values[IO_THREADS]!
  }
  set ioThreads(value: number) {
    this.#set(IO_THREADS, intValue(value))
    if (this.#values[IO_THREADS] !== 1)
      warnNoEffect("ioThreads", "zlink runs every socket on Node's event loop and has no I/O threads")
  }

  /** `ZMQ_MAX_MSGSZ`: accepted and checked (0 or more), read back as set, without effect. Default 2^31 - 1. */
  get maxMessageSize(): number {
    return this.#values[MAX_MSGSZ]!
  }
  set maxMessageSize(value: number) {
    this.#set(MAX_MSGSZ, intValue(value))
  }

  /** `ZMQ_MAX_SOCKETS`: see {@link ContextOptions.maxSockets}. Default 1023. */
  get maxSockets(): number {
    return this.#values[MAX_SOCKETS]!
  }
  set maxSockets(value: number) {
    this.#set(MAX_SOCKETS, intValue(value))
  }

  /** `ZMQ_SOCKET_LIMIT`: the largest `maxSockets` libzmq allows. */
  get maxSocketsLimit(): number {
    return SOCKET_LIMIT
  }

  /** `ZMQ_IPV6`: new sockets get `ipv6` set. */
  get ipv6(): boolean {
    return this.#values[IPV6] !== 0
  }
  set ipv6(value: boolean) {
    this.#set(IPV6, boolValue(value))
  }

  /**
   * `ZMQ_THREAD_PRIORITY`: the scheduling priority of libzmq's I/O threads. Accepted and checked as
   * libzmq checks it (`EINVAL` below 0), read back as set, without effect: zlink runs on Node's event
   * loop and has no I/O thread pool to prioritise. -1 until set, libzmq's default. (The `zeromq`
   * package can set it but reads back `undefined`; its type says a number, which this returns.)
   */
  get threadPriority(): number {
    return this.#values[THREAD_PRIORITY]!
  }
  set threadPriority(value: number) {
    this.#set(THREAD_PRIORITY, intValue(value))
  }

  /**
   * `ZMQ_THREAD_SCHED_POLICY`: the scheduling policy of libzmq's I/O threads. As
   * {@link threadPriority}: checked, read back as set, without effect. -1 until set.
   */
  get threadSchedulingPolicy(): number {
    return this.#values[THREAD_SCHED_POLICY]!
  }
  set threadSchedulingPolicy(value: number) {
    this.#set(THREAD_SCHED_POLICY, intValue(value))
  }

  /** @internal Called by each socket it creates: `EMFILE` past `maxSockets`, as `zmq_socket`. */
  override register(socket: SocketBase): void {
    this.#socketSlots ??= this.#values[MAX_SOCKETS]!
    if (this.#openSockets.size >= this.#socketSlots) throw zmqError("EMFILE")
    this.#openSockets.add(socket)
    super.register(socket)
  }

  /** @internal Called by each socket when it closes: its slot is free at once. */
  override unregister(socket: SocketBase): void {
    this.#openSockets.delete(socket)
    super.unregister(socket)
  }

  // ---- options by libzmq number, for subclasses (as zeromq's protected methods) -------------------

  /** Reads a context option by its libzmq number as a boolean; `EINVAL` for an unknown one. */
  protected getBoolOption(option: number): boolean {
    return this.#get(option) !== 0
  }
  /** Sets a context option by its libzmq number from a boolean. */
  protected setBoolOption(option: number, value: boolean): void {
    this.#set(optionId(option), boolValue(value))
  }
  /** Reads a context option by its libzmq number; `EINVAL` for an unknown one. */
  protected getInt32Option(option: number): number {
    return this.#get(option)
  }
  /** Sets a context option by its libzmq number. */
  protected setInt32Option(option: number, value: number): void {
    this.#set(optionId(option), intValue(value))
  }

  /** `zmq_ctx_get`: number 3 reads `ZMQ_SOCKET_LIMIT` (and writes `ZMQ_THREAD_PRIORITY`). */
  #get(option: unknown): number {
    const id = optionId(option)
    if (id === SOCKET_LIMIT_GET) return SOCKET_LIMIT
    const value = this.#values[id]
    if (value === undefined) throw zmqError("EINVAL")
    return value
  }

  /**
   * `zmq_ctx_set`: libzmq refuses negative values and a `maxSockets` below 1 (it clips `maxSockets`
   * to the socket limit only where it polls with select(), not on Linux).
   */
  #set(id: number, value: number): void {
    if (this.#values[id] === undefined || value < 0) throw zmqError("EINVAL")
    if (id === MAX_SOCKETS && value < 1) throw zmqError("EINVAL")
    this.#values[id] = value
  }
}

// libzmq's context option numbers.
const IO_THREADS = 1
const MAX_SOCKETS = 2
/** `ZMQ_SOCKET_LIMIT` when read, `ZMQ_THREAD_PRIORITY` when written: libzmq gives both the number 3. */
const SOCKET_LIMIT_GET = 3
const THREAD_PRIORITY = 3
const THREAD_SCHED_POLICY = 4
const MAX_MSGSZ = 5
const IPV6 = 42
const BLOCKY = 70
const SOCKET_LIMIT = 65_535
const OPTION_NAMES = new Set([
  "blocky",
  "ioThreads",
  "maxMessageSize",
  "maxSockets",
  "ipv6",
  "threadPriority",
  "threadSchedulingPolicy",
])

function optionId(option: unknown): number {
  if (typeof option !== "number") throw new TypeError("Identifier must be a number")
  return option
}

/**
 * A number option's value as zeromq passes it to `zmq_ctx_set`: a JavaScript number (`TypeError`
 * otherwise) converted to a C int (ECMAScript ToInt32).
 */
function intValue(value: unknown): number {
  if (typeof value !== "number") throw new TypeError("Option value must be a number")
  return value | 0
}

/** A boolean option's value as zeromq passes it: a boolean (`TypeError` otherwise), as 0 or 1. */
function boolValue(value: unknown): number {
  if (typeof value !== "boolean") throw new TypeError("Option value must be a boolean")
  return value ? 1 : 0
}

/** The default context, used by sockets created without a `context` option. */
export const context: Context = new Context()
