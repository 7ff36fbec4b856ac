import type { ZlError } from "@zl/codec"
import type { Engine } from "@zl/engine"
import type { Connection, Listener, Transport } from "@zl/transport"
import { asZlError, socketError } from "./errors.js"
import { SessionPipe } from "./pipe.js"
import { closeWithLinger, type SessionEnd, type SocketPort, startSession } from "./session.js"

/**
 * One `bind()`ed endpoint: its transport listener and the connections accepted through it. Each
 * accepted connection gets a pipe of its own once its handshake completes, and loses it when it
 * goes (nothing reconnects on this side).
 */
export class Binding implements SessionEnd {
  /** The endpoint as given to `bind`. */
  readonly requested: string
  /** The resolved endpoint, once listening. */
  endpoint: string
  private listener: Listener | undefined = undefined
  /** Connections accepted through this endpoint. */
  private readonly engines = new Set<Engine>()
  private readonly port: SocketPort

  private constructor(port: SocketPort, requested: string) {
    this.port = port
    this.requested = requested
    this.endpoint = requested
  }

  /**
   * Listens on `address` through `transport` and hands the new binding to `listening` as soon as the
   * transport listens; resolves with the resolved endpoint. Fails as the transport does (reported as
   * `bind:error`), or with `EBADF` when the socket closed meanwhile.
   */
  static async listen(
    port: SocketPort,
    transport: Transport,
    endpoint: string,
    address: string,
    listening: (binding: Binding) => void,
  ): Promise<string> {
    const socket = port.socket
    const binding = new Binding(port, endpoint)
    let listener: Listener
    try {
      listener = await transport.listen(address, (connection) => binding.accept(connection), {
        options: socket.options as unknown as Record<string, unknown>,
      })
    } catch (err) {
      const error = asZlError(err)
      port.emit({ type: "bind:error", address: endpoint, error })
      throw error
    }
    if (socket.closed) {
      await listener.close()
      throw socketError("EBADF", "the socket was closed during bind")
    }
    binding.endpoint = listener.endpoint
    binding.listener = listener
    listening(binding)
    return listener.endpoint
  }

  /** Accepted connections running now. */
  get engineCount(): number {
    return this.engines.size
  }

  /**
   * Stops listening and closes the accepted connections with the socket's linger, as libzmq does for
   * `zmq_unbind`; `close` is reported once the listener is closed.
   */
  async unbind(): Promise<void> {
    await this.listener?.close()
    this.closeEngines()
    this.port.emit({ type: "close", address: this.endpoint })
  }

  /** The same for `close()`: the listener's close is not waited for, and is reported first. */
  close(): void {
    this.listener?.close().catch(this.port.socket.context.reportError)
    // libzmq reports each listener it closes.
    this.port.emit({ type: "close", address: this.endpoint })
    this.closeEngines()
  }

  /** Closes accepted connections: flushing for up to `linger`. */
  private closeEngines(): void {
    const linger = this.port.socket.options.linger
    for (const engine of this.engines) closeWithLinger(engine, linger, true)
  }

  private accept(connection: Connection): void {
    if (this.port.socket.closed) {
      connection.destroy()
      return
    }
    this.port.emit({ type: "accept", address: this.endpoint })
    const engine = startSession(this.port, this, connection, this.endpoint)
    this.engines.add(engine)
    engine.start()
  }

  // ---- SessionEnd ------------------------------------------------------------------------------

  readyPipe(endpoint: string): SessionPipe {
    return new SessionPipe(this.port.socket, endpoint)
  }

  closesWhenFlushed(): boolean {
    return false
  }

  engineClosed(engine: Engine): void {
    this.engines.delete(engine)
  }

  pipeDisconnected(pipe: SessionPipe): void {
    this.port.removePipe(pipe)
  }

  sessionClosed(_error: ZlError | undefined, _pipe: SessionPipe | undefined): void {}
}
