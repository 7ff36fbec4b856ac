import type { ZlError } from "@zl/codec"
import { type Engine, timerDelay } from "@zl/engine"
import type { Connection, Transport } from "@zl/transport"
import { socketError } from "./errors.js"
import { unrefTimer } from "./hold.js"
import { SessionPipe } from "./pipe.js"
import { closeWithLinger, type SessionEnd, type SocketPort, startSession } from "./session.js"

/**
 * One `connect()`ed endpoint: dials, runs one engine at a time, and redials with back-off when the
 * connection fails or drops, as libzmq's session does with `ZMQ_RECONNECT_IVL` and
 * `ZMQ_RECONNECT_IVL_MAX`. Unless `immediate` is set, its pipe exists from the start: messages
 * queue in it up to the high-water mark until a connection is up, and survive reconnections.
 */
export class Connecter implements SessionEnd {
  readonly endpoint: string
  private pipe: SessionPipe | undefined = undefined
  /** The connection running now, if any. */
  engine: Engine | undefined = undefined
  private abort: AbortController | undefined = undefined
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  /** The current reconnect delay, doubled up to `reconnectMaxInterval`. */
  private interval: number
  private stopped = false
  /** The socket closed with messages queued for this peer: keep dialling to deliver them (linger). */
  private lingering = false
  private readonly port: SocketPort
  private readonly transport: Transport
  private readonly address: string
  private readonly routingId: Uint8Array | undefined

  constructor(
    port: SocketPort,
    endpoint: string,
    transport: Transport,
    address: string,
    routingId: Uint8Array | undefined,
  ) {
    this.port = port
    this.endpoint = endpoint
    this.transport = transport
    this.address = address
    this.routingId = routingId
    this.interval = port.socket.options.reconnectInterval
    if (!port.socket.options.immediate) {
      this.pipe = this.newPipe()
      port.addPipe(this.pipe)
    }
  }

  /** Dials without leaving a promise behind: a fault in the dial is reported, never unhandled. */
  start(): void {
    this.dial().catch(this.port.socket.context.reportError)
  }

  /**
   * Stops connecting. With linger 0 the connection and what is queued go at once; otherwise the
   * connection flushes for up to `linger` ms (-1: until done), and messages still waiting for a
   * connection keep it dialling until they are written.
   */
  stop(linger: number): void {
    const queued = this.pipe
    if (
      linger !== 0 &&
      !this.lingering &&
      this.engine === undefined &&
      queued !== undefined &&
      queued.queued > 0
    ) {
      // Messages wait for a connection that is not up: keep dialling to deliver them, as libzmq's
      // linger does; the connection closes once they are written.
      this.lingering = true
      this.port.socket.context.hold.lingerBegin()
      this.port.removePipe(queued)
      if (linger > 0) unrefTimer(setTimeout(() => this.stop(0), timerDelay(linger)))
      return
    }
    if (this.lingering && !this.stopped) this.port.socket.context.hold.lingerEnd()
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.abort?.abort(socketError("ECANCELED", "disconnected"))
    const pipe = this.pipe
    // A graceful close flushes what the transport holds; a pipe still writing closes its engine
    // once flushed (see `closesWhenFlushed`). Linger bounds the wait.
    if (this.engine !== undefined) closeWithLinger(this.engine, linger, pipe === undefined || pipe.flushed)
    if (pipe !== undefined) {
      pipe.discard()
      this.port.removePipe(pipe)
    }
  }

  private newPipe(): SessionPipe {
    const pipe = new SessionPipe(this.port.socket, this.endpoint)
    pipe.connectRoutingId = this.routingId
    return pipe
  }

  private async dial(): Promise<void> {
    if (this.stopped) return
    const socket = this.port.socket
    const abort = new AbortController()
    this.abort = abort
    const timeout = socket.options.connectTimeout
    const timer =
      timeout > 0
        ? unrefTimer(
            setTimeout(() => abort.abort(socketError("ETIMEDOUT", "connect timed out")), timerDelay(timeout)),
          )
        : undefined
    let connection: Connection
    if (this.transport.delayedConnect === true) {
      this.port.emit({ type: "connect:delay", address: this.endpoint })
    }
    try {
      connection = await this.transport.dial(this.address, {
        signal: abort.signal,
        options: socket.options as unknown as Record<string, unknown>,
      })
    } catch {
      if (timer !== undefined) clearTimeout(timer)
      if (this.stopped) return
      // As libzmq: the attempt's socket is closed, and a retry is scheduled.
      this.port.emit({ type: "close", address: this.endpoint })
      this.scheduleReconnect()
      return
    } finally {
      this.abort = undefined
    }
    if (timer !== undefined) clearTimeout(timer)
    if (this.stopped) {
      connection.destroy()
      return
    }
    this.port.emit({ type: "connect", address: this.endpoint })
    try {
      this.engine = startSession(this.port, this, connection, this.endpoint)
      this.engine.start()
    } catch (err) {
      // A fault in starting the session (a transport that throws) is a failed connection: report
      // it, drop the connection and try again later.
      socket.context.reportError(err)
      if (this.engine !== undefined && this.engine.closed === false) this.engine.destroy()
      this.engine = undefined
      connection.destroy()
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    const options = this.port.socket.options
    if (this.stopped || options.reconnectInterval < 0) return
    const base = options.reconnectInterval
    const max = options.reconnectMaxInterval
    let interval: number
    if (max > 0) {
      // Exponential back-off, as libzmq's RECONNECT_IVL_MAX.
      interval = Math.min(this.interval, max)
      this.interval = Math.min(this.interval * 2, max)
    } else {
      interval = base + Math.floor(Math.random() * base)
    }
    this.port.emit({ type: "connect:retry", address: this.endpoint, interval })
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.start()
    }, timerDelay(interval))
    // Reconnecting never keeps the process alive, as with libzmq (see hold.ts).
    unrefTimer(this.timer)
  }

  // ---- SessionEnd ------------------------------------------------------------------------------

  readyPipe(_endpoint: string): SessionPipe {
    this.interval = this.port.socket.options.reconnectInterval
    this.pipe ??= this.newPipe()
    return this.pipe
  }

  closesWhenFlushed(): boolean {
    return this.stopped || this.lingering
  }

  engineClosed(engine: Engine): void {
    if (this.engine === engine) this.engine = undefined
  }

  pipeDisconnected(pipe: SessionPipe): void {
    if (this.port.socket.options.immediate || this.stopped) {
      this.port.removePipe(pipe)
      this.pipe = undefined
    }
  }

  sessionClosed(error: ZlError | undefined, pipe: SessionPipe | undefined): void {
    // A peer that refused us with ERROR is not retried with the same settings (RFC 37).
    if (error?.code === "ZMTP_ERR_PEER_ERROR") return
    // A lingering connection that delivered everything is done. (Before the handshake, the pipe
    // is the one kept for this endpoint.)
    const queued = pipe ?? this.pipe
    if (this.lingering && (queued === undefined || queued.flushed)) {
      if (!this.stopped) this.port.socket.context.hold.lingerEnd()
      this.stopped = true
      return
    }
    this.scheduleReconnect()
  }
}
