import { ZlError } from "@zl/codec"
import type { Context } from "./context.js"
import { LoadBalancedSocket } from "./load-balanced-socket.js"
import type { SocketOptions } from "./options.js"
import { type Pipe, sendProbe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"

const EMPTY = new Uint8Array(0)

/** DEALER (RFC 28): load-balances what it sends, fair-queues what it receives. */
export class DealerSocket extends LoadBalancedSocket {
  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("DEALER", context, options)
  }
}

/** Routing ids as map keys: one char per octet. */
function idKey(id: Uint8Array): string {
  let key = ""
  for (let i = 0; i < id.length; i++) key += String.fromCharCode(id[i]!)
  return key
}

/**
 * ROUTER (RFC 28): every message received is prefixed with the routing id of the peer it came from;
 * every message sent starts with the routing id of the peer it goes to. Peers are identified by
 * their `Identity`, or the id the connecting side chose, or an id made up here (a zero octet and a
 * 32-bit counter, as libzmq does).
 */
export class RouterSocket extends SocketBase {
  private readonly table = new Map<string, Pipe>()
  private nextId = (Math.random() * 0xffffffff) >>> 0
  /** The last routing id looked up (a copy) and its key: replies to one peer in a row reuse it. */
  private lastId: Uint8Array = EMPTY
  private lastKey = ""

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("ROUTER", context, options)
  }

  protected xattach(pipe: Pipe): void {
    if (this.options.probeRouter) sendProbe(pipe)
    // libzmq identifies a pipe with a connect routing id as soon as it is attached (`identify_peer`
    // with `locally_initiated_`): messages for it queue before the connection is up.
    if (pipe.connectRoutingId !== undefined && pipe.connectRoutingId.length > 0) {
      this.identify(pipe, pipe.connectRoutingId)
    }
  }

  protected override xconnected(pipe: Pipe): void {
    // A pipe that stayed attached across a reconnect keeps the id it got first; libzmq skips the
    // routing id the peer sends again ("assumes that the peer always uses the same routing id").
    if (pipe.routingKey !== undefined) return
    let id = pipe.connectRoutingId ?? pipe.peerRoutingId
    if (id.length === 0) id = this.makeId()
    this.identify(pipe, id)
  }

  private identify(pipe: Pipe, id: Uint8Array): void {
    const key = idKey(id)
    const holder = this.table.get(key)
    if (holder !== undefined && holder !== pipe) {
      if (!this.options.handover) {
        // libzmq ignores a second peer presenting a routing id already in use.
        pipe.drop()
        return
      }
      this.table.delete(key)
      holder.routingId = EMPTY
      holder.routingKey = undefined
      holder.drop()
    }
    // A copy of its own: the id may view a connection's read buffer, or bytes the application owns.
    // Every message from this peer carries this one copy as its first frame.
    const own = this.context.allocate?.(id.length) ?? new Uint8Array(id.length)
    own.set(id)
    pipe.routingId = own
    pipe.routingKey = key
    this.table.set(key, pipe)
  }

  /**
   * A routing id no peer holds. A peer may present any Identity, also one shaped like ours (a zero
   * octet and four more): ids in use are skipped, so a peer that takes the next one in advance only
   * moves the counter on, instead of getting the next anonymous peer refused as a duplicate.
   */
  private makeId(): Uint8Array {
    const id = new Uint8Array(5)
    do {
      this.nextId = (this.nextId + 1) >>> 0
      const n = this.nextId
      id[1] = n >>> 24
      id[2] = (n >>> 16) & 0xff
      id[3] = (n >>> 8) & 0xff
      id[4] = n & 0xff
    } while (this.table.has(idKey(id)))
    return id
  }

  private forget(pipe: Pipe): void {
    const key = pipe.routingKey
    if (key !== undefined && this.table.get(key) === pipe) this.table.delete(key)
    pipe.routingKey = undefined
  }

  // A connection going away leaves the id alone: a connecting socket's pipe stays attached (messages
  // for the peer queue until it is back), and every other pipe is detached right after.

  protected xdetach(pipe: Pipe): void {
    this.forget(pipe)
  }

  /** The table key of a routing id given with a message. */
  private keyOf(id: Uint8Array): string {
    const last = this.lastId
    if (id.length === last.length && id.length > 0) {
      let i = 0
      while (i < id.length && id[i] === last[i]) i++
      if (i === id.length) return this.lastKey
    }
    this.lastId = new Uint8Array(id)
    this.lastKey = idKey(id)
    return this.lastKey
  }

  protected override xsendTimeoutError(frames: readonly Uint8Array[]): ZlError | null | undefined {
    // A lone routing id frame is taken by libzmq's last attempt, which looks no peer up.
    if (frames.length < 2) return null
    // libzmq fails a mandatory send that found no peer with EHOSTUNREACH, also after a timeout.
    if (!this.options.mandatory || this.table.has(this.keyOf(frames[0]!))) return undefined
    return new ZlError("EHOSTUNREACH", "no peer with that routing id")
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    // A lone frame is only a routing id with nothing to route: libzmq consumes it and sends nothing,
    // without looking the peer up (so without EHOSTUNREACH). A mandatory ROUTER with no peer at all
    // first waits for one, as for any message (zeromq polls for POLLOUT first).
    if (frames.length < 2) {
      return !(this.options.mandatory && this.table.size === 0 && this.options.sendTimeout !== 0)
    }
    const pipe = this.table.get(this.keyOf(frames[0]!))
    const mandatory = this.options.mandatory
    if (pipe === undefined) {
      if (!mandatory) return true
      // zeromq leaves a blocking send pending while no peer at all is connected.
      if (this.table.size === 0 && this.options.sendTimeout !== 0) return false
      throw new ZlError("EHOSTUNREACH", "no peer with that routing id")
    }
    if (!pipe.checkWritable()) return !mandatory
    pipe.write(frames.slice(1))
    return true
  }

  protected override xwritable(): boolean {
    // Without mandatory a ROUTER always takes a message (it drops what it cannot route), as libzmq's.
    if (!this.options.mandatory) return true
    for (const pipe of this.table.values()) if (pipe.writable()) return true
    return false
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    if (pipe.routingKey === undefined) return null
    const out = new Array<Uint8Array>(frames.length + 1)
    out[0] = pipe.routingId
    for (let i = 0; i < frames.length; i++) out[i + 1] = frames[i]!
    return out
  }
}
