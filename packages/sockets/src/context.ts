import { type TransportContext, type TransportFactory, TransportRegistry } from "@zl/transport"
import { Hold } from "./hold.js"
import { InprocRegistry } from "./inproc-registry.js"
import { type ContextResources, emptyResources } from "./resources.js"
import type { SocketBase } from "./socket-base.js"

/** Options of a {@link Context}. */
export interface ContextOptions {
  /** The transports sockets of this context can use, besides `inproc://` (always there). */
  readonly transports?: readonly TransportFactory[]
  /**
   * Allocates the buffers the core fills itself: encoder batches, frame bodies that arrive over
   * several reads, routing ids. They need not be zeroed; Node passes `Buffer.allocUnsafeSlow`.
   */
  readonly allocate?: (size: number) => Uint8Array
  /** Log sink handed to the transports. */
  readonly log?: TransportContext["log"]
  /**
   * Told about exceptions that have nowhere else to go, instead of letting them reach the event
   * loop: an exception thrown by a monitor-event listener, or a fault in the sockets' own code
   * while it ran from a timer or a network event. Default: `console.error`.
   */
  readonly reportError?: (error: unknown) => void
}

function defaultReportError(error: unknown): void {
  console.error("zlink: an exception was caught and reported instead of thrown", error)
}

/**
 * Sockets of one context share its transports and its `inproc://` address space. Nothing is
 * module-global: two contexts can use different transports, and tests never leak into each other.
 *
 * @example
 * ```ts
 * const context = new Context({ transports: [tcp(), ipc()] })
 * const socket = new Dealer({ context })
 * ```
 */
export class Context {
  readonly transports: TransportRegistry
  readonly allocate: ((size: number) => Uint8Array) | undefined
  /** See {@link ContextOptions.reportError}. */
  readonly reportError: (error: unknown) => void
  /** @internal The `inproc://` names of this context: bound sockets and early connects. */
  readonly inproc = new InprocRegistry()
  /**
   * What keeps the process alive: pending operations of this context's sockets, and, once
   * {@link Hold.awaitLinger} asks for it, closed sockets still delivering (see hold.ts).
   */
  readonly hold = new Hold()
  private readonly sockets = new Set<SocketBase>()
  private terminated = false

  constructor(options: ContextOptions = {}) {
    const transportContext: TransportContext = {
      log: options.log ?? (() => {}),
      now: () => Date.now(),
    }
    this.transports = new TransportRegistry(transportContext, options.transports ?? [])
    this.allocate = options.allocate
    this.reportError = options.reportError ?? defaultReportError
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.terminated
  }

  /** @internal Called by each socket it creates. */
  register(socket: SocketBase): void {
    this.sockets.add(socket)
  }

  /** @internal Called by each socket when it closes. */
  unregister(socket: SocketBase): void {
    this.sockets.delete(socket)
  }

  /** The sockets created and not closed yet. */
  openSockets(): SocketBase[] {
    return [...this.sockets]
  }

  /**
   * What the context's open sockets hold, summed, with the context's own tables: all zero before
   * the first socket and again once every socket is closed.
   */
  resources(): ContextResources {
    const total = emptyResources()
    total.sockets = this.sockets.size
    total.inprocBindings = this.inproc.bindingCount
    total.inprocPending = this.inproc.pendingCount
    for (const socket of this.sockets) {
      const r = socket.resources
      total.pipes += r.pipes
      total.engines += r.engines
      total.queued += r.queued
      total.sources += r.sources
      total.pendingSends += r.pendingSends
      total.pendingReceives += r.pendingReceives
      total.bindings += r.bindings
      total.connecters += r.connecters
      total.eventListeners += r.eventListeners
    }
    return total
  }

  /** Closes every socket of this context. */
  close(): void {
    this.terminated = true
    for (const socket of [...this.sockets]) socket.close()
    this.hold.drop()
  }
}
