import type { SocketType } from "@zl/engine"
import { parseEndpoint } from "@zl/transport"
import { Connecter } from "./connecter.js"
import type { Context } from "./context.js"
import { socketError } from "./errors.js"
import type { SocketEvent, SocketEventListener } from "./events.js"
import { hasUndelivered } from "./hold.js"
import { Binding } from "./listener.js"
import { checkOptions, conflates, defaultOptions, type SocketOptions } from "./options.js"
import { InprocPipe, type Pipe, type PipeOwner } from "./pipe.js"
import type { SocketResources } from "./resources.js"
import type { SocketPort } from "./session.js"
import { SocketOperations } from "./socket-operations.js"

/**
 * What every socket type shares: bind/unbind/connect/disconnect with reconnection, pipes with
 * high-water marks, send and receive queues with timeouts (served in call order, see
 * {@link SocketOperations}), linger on close, `inproc://` links and monitor events. A socket type
 * supplies its routing through the `x*` hooks, after libzmq's `socket_base_t`.
 */
export abstract class SocketBase extends SocketOperations implements PipeOwner {
  readonly context: Context
  /** The endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:*` becomes the real port). */
  lastEndpoint: string | null = null
  protected readonly pipes: Pipe[] = []
  private readonly bindings = new Map<string, Binding>()
  private readonly connecters = new Map<string, Connecter>()
  private readonly listeners = new Set<SocketEventListener>()
  private ended = false
  /** The steps the connecters, listeners and sessions of this socket take on it. */
  private readonly port: SocketPort = {
    socket: this,
    emit: (event) => this.emit(event),
    addPipe: (pipe) => this.addPipe(pipe),
    removePipe: (pipe) => this.removePipe(pipe),
    reconnected: (pipe) => {
      this.xconnected(pipe)
      this.flushSends()
    },
    disconnected: (pipe) => this.xdisconnected(pipe),
  }

  constructor(type: SocketType, context: Context, options: Partial<SocketOptions> = {}) {
    checkOptions(options)
    super(type, { ...defaultOptions, ...options })
    this.context = context
    context.register(this)
  }

  /** What the socket holds now (leak checks: see {@link SocketResources}). */
  get resources(): SocketResources {
    let engines = 0
    for (const binding of this.bindings.values()) engines += binding.engineCount
    for (const connecter of this.connecters.values()) if (connecter.engine !== undefined) engines++
    return {
      pipes: this.pipes.length,
      engines,
      ...this.queueResources,
      bindings: this.bindings.size,
      connecters: this.connecters.size,
      eventListeners: this.listeners.size,
    }
  }

  /** Subscribes to monitor events. */
  addEventListener(listener: SocketEventListener): void {
    this.listeners.add(listener)
  }

  removeEventListener(listener: SocketEventListener): void {
    this.listeners.delete(listener)
  }

  protected emit(event: SocketEvent): void {
    // "end" is the last event, as with libzmq's monitor: connections that linger after close() are
    // no longer reported.
    if (this.ended) return
    if (event.type === "end") this.ended = true
    for (const listener of this.listeners) {
      // Events are emitted from inside the engine and the reconnect logic: a listener's exception
      // must neither break them nor reach the event loop.
      try {
        listener(event)
      } catch (err) {
        this.context.reportError(err)
      }
    }
  }

  // ---- hooks for the socket types (routing: see SocketOperations) -------------------------------

  /** A pipe joins the socket. */
  protected abstract xattach(pipe: Pipe): void
  /** A pipe leaves the socket for good. */
  protected abstract xdetach(pipe: Pipe): void
  /** A pipe's connection completed its handshake (again, after a reconnect). */
  protected xconnected(_pipe: Pipe): void {}
  /** A pipe's connection went away; a connecting socket's pipe stays attached and reconnects. */
  protected xdisconnected(_pipe: Pipe): void {}

  // ---- pipes ------------------------------------------------------------------------------------

  /** @internal Whether pipes made now conflate: see {@link conflates}. */
  get conflating(): boolean {
    return conflates(this.type, this.options)
  }

  /** @internal */
  pipeWritable(_pipe: Pipe): void {
    this.flushSends()
  }

  /** @internal */
  pipeTerminated(pipe: Pipe): void {
    this.removePipe(pipe)
  }

  protected addPipe(pipe: Pipe): void {
    this.attachPipe(pipe)
    this.flushSends()
  }

  /** Attaches a pipe to the socket type without retrying waiting sends yet. */
  private attachPipe(pipe: Pipe): void {
    this.pipes.push(pipe)
    pipe.attached = true
    this.xattach(pipe)
    if (pipe.attached && pipe.connected) this.xconnected(pipe)
  }

  protected removePipe(pipe: Pipe): void {
    const at = this.pipes.indexOf(pipe)
    if (at < 0) return
    this.pipes.splice(at, 1)
    pipe.attached = false
    this.forgetInbound(pipe)
    this.xdetach(pipe)
  }

  // ---- bind / unbind -----------------------------------------------------------------------------

  /** Binds to an endpoint; resolves with the resolved endpoint, also in `lastEndpoint`. */
  async bind(endpoint: string): Promise<string> {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") return this.bindInproc(endpoint, address)
    const transport = this.context.transports.get(scheme)
    return await Binding.listen(this.port, transport, endpoint, address, (binding) => {
      this.bindings.set(binding.endpoint, binding)
      this.lastEndpoint = binding.endpoint
      this.emit({ type: "bind", address: binding.endpoint })
    })
  }

  /** Stops listening on an endpoint (the resolved one, or the one given to `bind`). */
  async unbind(endpoint: string): Promise<void> {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      if (!this.context.inproc.unregister(address, this))
        throw socketError("ENOENT", `not bound to ${endpoint}`)
      return
    }
    let binding = this.bindings.get(endpoint)
    if (binding === undefined) {
      for (const b of this.bindings.values()) if (b.requested === endpoint) binding = b
    }
    if (binding === undefined) throw socketError("ENOENT", `not bound to ${endpoint}`)
    this.bindings.delete(binding.endpoint)
    // libzmq also closes the connections that came in through the endpoint, with the linger of close().
    await binding.unbind()
  }

  /**
   * Binds an inproc name. As libzmq, nothing on inproc is a monitor event: no bind, accept, connect
   * or close (libzmq's monitor reports what its listeners, connecters and engines do, and inproc
   * has none of them).
   */
  private bindInproc(endpoint: string, name: string): string {
    if (name.length === 0) throw socketError("EINVAL", "an inproc endpoint needs a name")
    if (!this.context.inproc.register(name, this))
      throw socketError("EADDRINUSE", `${endpoint} is already bound`)
    this.lastEndpoint = endpoint
    for (const connecter of this.context.inproc.takePendingConnects(name)) {
      if (!connecter.closed) connecter.linkInproc(this, endpoint, undefined, name)
    }
    return endpoint
  }

  /**
   * @internal Links a connecting socket (this) with a bound one over inproc, through the pipe an
   * earlier connect made while the name was not bound (`name`), or a new one.
   */
  linkInproc(binder: SocketBase, endpoint: string, routingId?: Uint8Array, name?: string): void {
    const early =
      name === undefined
        ? undefined
        : (this.pipes.find(
            (p) => p instanceof InprocPipe && p.pending && parseEndpoint(p.endpoint).address === name,
          ) as InprocPipe | undefined)
    // A new side starts pending too: what the connecting socket writes as it attaches (a
    // probeRouter probe) waits until the binder has attached its side, then crosses in order.
    const mine = early ?? new InprocPipe(this, endpoint, true)
    const theirs = new InprocPipe(binder, endpoint, false, mine.conflate)
    mine.link(theirs)
    mine.peerSocketType = binder.type
    theirs.peerSocketType = this.type
    mine.peerRoutingId = binder.options.routingId ?? new Uint8Array(0)
    theirs.peerRoutingId = this.options.routingId ?? new Uint8Array(0)
    if (early === undefined) mine.connectRoutingId = routingId
    // Both sides are attached (and identified: a ROUTER has its routing id) before any message
    // crosses: what one socket sends as it attaches, or queued before the bind, would otherwise reach
    // a socket that does not know the pipe yet (a ROUTER drops such messages).
    if (early === undefined) this.attachPipe(mine)
    else this.xconnected(mine)
    // The connecting socket may have refused the link (a PAIR that has its peer already).
    if (!mine.connected) return
    binder.attachPipe(theirs)
    mine.deliverEarly()
    this.flushSends()
    binder.flushSends()
  }

  /** True when messages wait for a connection that is not up (what a close with `linger` delivers). */
  get undelivered(): boolean {
    return hasUndelivered(this.pipes)
  }

  // ---- connect / disconnect --------------------------------------------------------------------

  /**
   * Connects to an endpoint and keeps reconnecting when the connection drops. Unless `immediate` is
   * set, messages for this peer queue up to the high-water mark until the connection is up.
   */
  connect(endpoint: string, routingId?: Uint8Array): void {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      if (address.length === 0) throw socketError("EINVAL", "an inproc endpoint needs a name")
      const binder = this.context.inproc.lookup(address)
      if (binder !== undefined) this.linkInproc(binder, endpoint, routingId)
      else {
        // libzmq makes the pipe at once: messages queue in it (up to SNDHWM) until the bind.
        const pipe = new InprocPipe(this, endpoint, true)
        pipe.connectRoutingId = routingId
        this.addPipe(pipe)
        this.context.inproc.addPendingConnect(address, this)
      }
      this.lastEndpoint = endpoint
      return
    }
    const transport = this.context.transports.get(scheme)
    transport.validate?.(address, "dial")
    const connecter = new Connecter(this.port, endpoint, transport, address, routingId)
    this.connecters.set(endpoint, connecter)
    this.lastEndpoint = endpoint
    connecter.start()
  }

  /** Stops connecting to an endpoint and drops its connection. */
  disconnect(endpoint: string): void {
    this.assertOpen()
    const { scheme, address } = parseEndpoint(endpoint)
    if (scheme === "inproc") {
      if (this.context.inproc.removePendingConnect(address, this)) {
        const early = this.pipes.find((p) => p instanceof InprocPipe && p.pending && p.endpoint === endpoint)
        if (early !== undefined) {
          ;(early as InprocPipe).unlink()
          this.removePipe(early)
        }
        return
      }
      const pipe = this.pipes.find((p) => p instanceof InprocPipe && p.endpoint === endpoint)
      if (pipe === undefined) throw socketError("ENOENT", `not connected to ${endpoint}`)
      ;(pipe as InprocPipe).unlink()
      this.removePipe(pipe)
      return
    }
    const connecter = this.connecters.get(endpoint)
    if (connecter === undefined) throw socketError("ENOENT", `not connected to ${endpoint}`)
    this.connecters.delete(endpoint)
    connecter.stop(0)
  }

  // ---- close -------------------------------------------------------------------------------------

  /**
   * Closes the socket. Pending sends and receives reject with `EAGAIN`, as with the `zeromq` package. Connections keep flushing what
   * they hold for up to `linger` milliseconds (-1: until done); nothing else happens on the socket.
   */
  close(): void {
    if (this.closed) return
    this.closeOperations()
    const linger = this.options.linger
    for (const binding of this.bindings.values()) binding.close()
    this.bindings.clear()
    for (const connecter of this.connecters.values()) connecter.stop(linger)
    this.connecters.clear()
    const inproc = this.context.inproc
    for (const name of inproc.namesOf(this)) {
      inproc.unregister(name, this)
    }
    inproc.removePendingConnects(this)
    for (const pipe of [...this.pipes]) {
      if (pipe instanceof InprocPipe) pipe.unlink()
      this.removePipe(pipe)
    }
    this.context.unregister(this)
    this.emit({ type: "end" })
  }

  protected assertOpen(): void {
    if (this.closed) throw socketError("EBADF", "the socket is closed")
    if (this.context.closed) throw socketError("ETERM", "the context is closed")
  }
}
