import { Context as CoreContext, type SocketBase } from "@zl/sockets"
import type { TransportFactory } from "@zl/transport"
import { ipc } from "@zl/transport-ipc"
import { tcp } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"
import { toNumber } from "./internal.js"
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
   * `ZMQ_MAX_MSGSZ`: 0 or more, at most 2^31 - 1; read back, without effect, as in libzmq 4.3.5,
   * which stores it and uses it nowhere. The socket option `maxMessageSize` is the one that bounds
   * messages.
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
  blocky: boolean
  ipv6: boolean
  readonly maxSocketsLimit = 65_535
  private ioThreadCount = 1
  private maxMessageSizeValue = INT32_MAX
  private maxSocketsValue = 1023
  /** libzmq sizes its socket table when the first socket is created: the limit from then on. */
  private socketSlots: number | undefined = undefined
  private readonly openSockets = new Set<SocketBase>()

  constructor(options: ContextOptions = {}) {
    super({
      transports: [tcp(), ipc(), ...(options.transports ?? [])],
      allocate: (size) => Buffer.allocUnsafeSlow(size),
    })
    this.blocky = options.blocky ?? true
    if (options.ioThreads !== undefined) this.ioThreads = options.ioThreads
    if (options.maxMessageSize !== undefined) this.maxMessageSize = options.maxMessageSize
    if (options.maxSockets !== undefined) this.maxSockets = options.maxSockets
    this.ipv6 = options.ipv6 ?? false
  }

  /** `ZMQ_IO_THREADS`: see {@link ContextOptions.ioThreads}. */
  get ioThreads(): number {
    return this.ioThreadCount
  }

  set ioThreads(value: number) {
    const threads = contextNumber(value, 0)
    this.ioThreadCount = threads
    if (threads !== 1)
      warnNoEffect("ioThreads", "zlink runs every socket on Node's event loop and has no I/O threads")
  }

  /** `ZMQ_MAX_MSGSZ`: see {@link ContextOptions.maxMessageSize}. */
  get maxMessageSize(): number {
    return this.maxMessageSizeValue
  }

  set maxMessageSize(value: number) {
    this.maxMessageSizeValue = contextNumber(value, 0)
  }

  /** `ZMQ_MAX_SOCKETS`: see {@link ContextOptions.maxSockets}. */
  get maxSockets(): number {
    return this.maxSocketsValue
  }

  set maxSockets(value: number) {
    this.maxSocketsValue = contextNumber(value, 1)
  }

  /** @internal Called by each socket it creates: `EMFILE` past `maxSockets`, as `zmq_socket`. */
  override register(socket: SocketBase): void {
    this.socketSlots ??= this.maxSocketsValue
    if (this.openSockets.size >= this.socketSlots) throw zmqError("EMFILE")
    this.openSockets.add(socket)
    super.register(socket)
  }

  /** @internal Called by each socket when it closes: its slot is free at once. */
  override unregister(socket: SocketBase): void {
    this.openSockets.delete(socket)
    super.unregister(socket)
  }
}

const INT32_MAX = 2 ** 31 - 1

/** A context option as `zmq_ctx_set` takes it: an int, `EINVAL` below `min`. */
function contextNumber(value: unknown, min: number): number {
  if (typeof value !== "number") throw new TypeError("Option value must be a number")
  const converted = toNumber("int32", value)
  if (converted < min) throw zmqError("EINVAL")
  return converted
}

/** The default context, used by sockets created without a `context` option. */
export const context: Context = new Context()
