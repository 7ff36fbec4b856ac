import { Context as CoreContext } from "@zl/sockets"
import type { TransportFactory } from "@zl/transport"
import { ipc } from "@zl/transport-ipc"
import { tcp } from "@zl/transport-tcp"
import { zmqError } from "./errors.js"

/** Options of a zlink {@link Context}, with the `zeromq` package's names. */
export interface ContextOptions {
  /** `ZMQ_BLOCKY`: when false, new sockets get `linger` 0. Default true. */
  blocky?: boolean
  /** Accepted for compatibility; zlink runs on Node's event loop and has no I/O threads. */
  ioThreads?: number
  /** `ZMQ_MAX_MSGSZ`: accepted for compatibility. */
  maxMessageSize?: number
  /** `ZMQ_MAX_SOCKETS`: accepted for compatibility. */
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
  blocky: boolean
  ioThreads: number
  maxMessageSize: number
  maxSockets: number
  ipv6: boolean
  readonly maxSocketsLimit: number = 65_535
  #threadPriority = -1
  #threadSchedulingPolicy = -1

  constructor(options: ContextOptions = {}) {
    super({
      transports: [tcp(), ipc(), ...(options.transports ?? [])],
      allocate: (size) => Buffer.allocUnsafeSlow(size),
    })
    this.blocky = options.blocky ?? true
    this.ioThreads = options.ioThreads ?? 1
    this.maxMessageSize = options.maxMessageSize ?? -1
    this.maxSockets = options.maxSockets ?? 1023
    this.ipv6 = options.ipv6 ?? false
    if (options.threadPriority !== undefined) this.threadPriority = options.threadPriority
    if (options.threadSchedulingPolicy !== undefined)
      this.threadSchedulingPolicy = options.threadSchedulingPolicy
  }

  /**
   * `ZMQ_THREAD_PRIORITY`: the scheduling priority of libzmq's I/O threads. Accepted and checked as
   * libzmq checks it (`EINVAL` below 0), read back as set, without effect: zlink runs on Node's event
   * loop and has no I/O thread pool to prioritise. -1 until set, libzmq's default. (The `zeromq`
   * package can set it but reads back `undefined`; its type says a number, which this returns.)
   */
  get threadPriority(): number {
    return this.#threadPriority
  }
  set threadPriority(value: number) {
    this.#threadPriority = threadOption(value)
  }

  /**
   * `ZMQ_THREAD_SCHED_POLICY`: the scheduling policy of libzmq's I/O threads. As
   * {@link threadPriority}: checked, read back as set, without effect. -1 until set.
   */
  get threadSchedulingPolicy(): number {
    return this.#threadSchedulingPolicy
  }
  set threadSchedulingPolicy(value: number) {
    this.#threadSchedulingPolicy = threadOption(value)
  }
}

/**
 * A thread option's value as zeromq passes it and libzmq's `zmq_ctx_set` takes it: a JavaScript
 * number (`TypeError` otherwise) converted to a C int, which must not be negative (`EINVAL`).
 */
function threadOption(value: unknown): number {
  if (typeof value !== "number") throw new TypeError("Option value must be a number")
  const int = value | 0
  if (int < 0) throw zmqError("EINVAL")
  return int
}

/** The default context, used by sockets created without a `context` option. */
export const context: Context = new Context()
