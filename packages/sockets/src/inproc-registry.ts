import type { SocketBase } from "./socket-base.js"

/**
 * The `inproc://` address space of one context: which socket is bound to each name, and which
 * sockets connected to a name before anyone bound it (libzmq's `pending_connections_`), in connect
 * order. Owned by the {@link Context}; sockets change it only through these methods.
 */
export class InprocRegistry {
  private readonly bound = new Map<string, SocketBase>()
  private readonly pending = new Map<string, SocketBase[]>()

  /** Names bound. */
  get bindingCount(): number {
    return this.bound.size
  }

  /** Connects waiting for their name to be bound, over every name. */
  get pendingCount(): number {
    let count = 0
    for (const list of this.pending.values()) count += list.length
    return count
  }

  /** The socket bound to `name`, if any. */
  lookup(name: string): SocketBase | undefined {
    return this.bound.get(name)
  }

  /** Binds `name` to `socket`; false, changing nothing, when the name is bound already. */
  register(name: string, socket: SocketBase): boolean {
    if (this.bound.has(name)) return false
    this.bound.set(name, socket)
    return true
  }

  /** Unbinds `name` if `socket` holds it; false when it does not. */
  unregister(name: string, socket: SocketBase): boolean {
    if (this.bound.get(name) !== socket) return false
    this.bound.delete(name)
    return true
  }

  /** Records that `socket` connected to `name` while nobody has bound it. */
  addPendingConnect(name: string, socket: SocketBase): void {
    const list = this.pending.get(name)
    if (list === undefined) this.pending.set(name, [socket])
    else list.push(socket)
  }

  /** The sockets that connected to `name` before it was bound, in connect order, handed over to link. */
  takePendingConnects(name: string): readonly SocketBase[] {
    const waiting = this.pending.get(name)
    if (waiting === undefined) return []
    this.pending.delete(name)
    return waiting
  }

  /** Withdraws a pending connect of `socket` to `name`; false when there was none. */
  removePendingConnect(name: string, socket: SocketBase): boolean {
    const list = this.pending.get(name)
    const at = list === undefined ? -1 : list.indexOf(socket)
    if (at < 0) return false
    list!.splice(at, 1)
    if (list!.length === 0) this.pending.delete(name)
    return true
  }

  /** The names `socket` is bound to, in the order they were bound. */
  namesOf(socket: SocketBase): string[] {
    const names: string[] = []
    for (const [name, holder] of this.bound) if (holder === socket) names.push(name)
    return names
  }

  /** Withdraws every pending connect of `socket` (it closes), also a name it connected to twice. */
  removePendingConnects(socket: SocketBase): void {
    for (const name of [...this.pending.keys()]) while (this.removePendingConnect(name, socket));
  }
}
