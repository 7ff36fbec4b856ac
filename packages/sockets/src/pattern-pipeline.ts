import type { Context } from "./context.js"
import { LoadBalancedSocket } from "./load-balanced-socket.js"
import type { SocketOptions } from "./options.js"
import type { Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"

/** PUSH (RFC 30): load-balances to its PULL peers; cannot receive. */
export class PushSocket extends LoadBalancedSocket {
  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("PUSH", context, options)
  }

  protected override get receivable(): boolean {
    return false
  }
}

/** PULL (RFC 30): fair-queues from its PUSH peers; cannot send. */
export class PullSocket extends SocketBase {
  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("PULL", context, options)
  }

  protected xattach(_pipe: Pipe): void {}
  protected xdetach(_pipe: Pipe): void {}

  protected override get sendable(): boolean {
    return false
  }
}
