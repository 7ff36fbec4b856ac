import { Context as CoreContext, type SocketBase } from "@zl/sockets"
import type { TransportFactory } from "@zl/transport"
import { ipc } from "@zl/transport-ipc"
import { tcp } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"
import {
  ContextState,
  contextStateOf,
  isOptionalObject,
  registerContextState,
  validateArguments,
} from "./internal.js"
import { lingerAtExit } from "./lifetime.js"
import {
  contextHost,
  contextOptions,
  defineOptions,
  getByNumber,
  type Options,
  setByNumber,
} from "./options.js"

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
  /**
   * `ZMQ_THREAD_PRIORITY`: checked as libzmq checks it (`EINVAL` below 0), without effect: zlink has
   * no I/O threads to prioritise. Write-only, as in zeromq.
   */
  threadPriority?: number
  /** `ZMQ_THREAD_SCHED_POLICY`: as {@link ContextOptions.threadPriority}. */
  threadSchedulingPolicy?: number
  /** Transports besides tcp:// and ipc:// (and inproc://, always there). */
  transports?: readonly TransportFactory[]
}

const CONSTRUCTOR_ARGUMENTS = [[isOptionalObject, "Options must be an object"]] as const

/**
 * A context: the transports and the `inproc://` address space its sockets share. zlink's contexts
 * come with `tcp://` and `ipc://`; more transports are added with the `transports` option.
 *
 * As in zeromq, the options are properties checked as libzmq checks them (`ctx.ioThreads = -1` is
 * `EINVAL`, `ctx.blocky = 1` a `TypeError`), and contexts are sealed: assigning a property a context
 * does not have, or giving the constructor an unknown option, throws a `TypeError`.
 *
 * @example
 * ```ts
 * const context = new zmq.Context({ blocky: false })
 * const socket = new zmq.Dealer({ context })
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the options that the rows of contextOptions install on the prototype.
export class Context extends CoreContext {
  /** libzmq sizes its socket table when the first socket is created: the limit from then on. */
  #socketSlots: number | undefined = undefined
  readonly #openSockets = new Set<SocketBase>()

  constructor(options: ContextOptions = {}) {
    // biome-ignore lint/complexity/noArguments: the count of arguments is checked, as zeromq does.
    validateArguments(arguments, CONSTRUCTOR_ARGUMENTS)
    const { transports, ...assign } = options
    super({
      transports: [tcp(), ipc(), ...(transports ?? [])],
      allocate: (size) => Buffer.allocUnsafeSlow(size),
    })
    registerContextState(this, new ContextState())
    Object.seal(this)
    Object.assign(this, assign)
    lingerAtExit(this)
  }

  /** @internal Called by each socket it creates: `EMFILE` past `maxSockets`, as `zmq_socket`. */
  override register(socket: SocketBase): void {
    this.#socketSlots ??= contextStateOf(this).maxSockets
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
  /* biome-ignore-start lint/complexity/noArguments: the count of arguments is checked, as zeromq does. */

  /** Reads a boolean context option (a C int) by its libzmq number: `zmq_ctx_get`. */
  protected getBoolOption(_option: number): boolean {
    return getByNumber(contextHost, this, "Bool", arguments) as boolean
  }
  /** Sets a boolean context option (a C int) by its libzmq number: `zmq_ctx_set`. */
  protected setBoolOption(_option: number, _value: boolean): void {
    setByNumber(contextHost, this, "Bool", arguments)
  }
  /** Reads a context option by its libzmq number: `zmq_ctx_get`. */
  protected getInt32Option(_option: number): number {
    return getByNumber(contextHost, this, "Int32", arguments) as number
  }
  /** Sets a context option by its libzmq number: `zmq_ctx_set`. */
  protected setInt32Option(_option: number, _value: number): void {
    setByNumber(contextHost, this, "Int32", arguments)
  }
  /* biome-ignore-end lint/complexity/noArguments: the count of arguments is checked, as zeromq does. */
}

export interface Context extends Options<typeof contextOptions> {}
defineOptions([Context], contextOptions, contextHost)

/** The default context, used by sockets created without a `context` option. */
export const context: Context = new Context()
