import { Context as CoreContext } from "@zl/sockets"
import type { TransportFactory } from "@zl/transport"
import { ipc } from "@zl/transport-ipc"
import { tcp } from "@zl/transport-tcp"
import { lingerAtExit } from "./lifetime.js"

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
  readonly maxSocketsLimit = 65_535

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
    lingerAtExit(this)
  }
}

/** The default context, used by sockets created without a `context` option. */
export const context: Context = new Context()
