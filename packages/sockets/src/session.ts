import type { ZlError } from "@zl/codec"
import { Engine, type EngineOptions, timerDelay } from "@zl/engine"
import type { Connection } from "@zl/transport"
import { closeEvents } from "./connection-events.js"
import type { SocketEvent } from "./events.js"
import { unrefTimer } from "./hold.js"
import type { Pipe, SessionPipe } from "./pipe.js"
import type { SocketBase } from "./socket-base.js"

/**
 * What the connecters, the listeners and the sessions of a socket may do to it: the socket's own
 * protected steps, handed to them as one object so that they stay off the socket's public face.
 */
export interface SocketPort {
  readonly socket: SocketBase
  emit(event: SocketEvent): void
  /** A pipe joins the socket; waiting sends are retried. */
  addPipe(pipe: Pipe): void
  removePipe(pipe: Pipe): void
  /** A pipe that stayed attached has a connection again: the socket type hears of it, waiting sends are retried. */
  reconnected(pipe: Pipe): void
  /** A pipe's connection went away (the socket type's `xdisconnected`). */
  disconnected(pipe: Pipe): void
}

/**
 * The side a session belongs to: a listener for an accepted connection, a connecter for a dialled
 * one. Called by {@link startSession} at each step of the connection's life, in this order.
 */
export interface SessionEnd {
  /**
   * The handshake completed: the pipe the connection works through (new, for `endpoint`, or the
   * one kept across reconnects).
   */
  readyPipe(endpoint: string): SessionPipe
  /** True when the connection closes as soon as what it holds is written (a stopped or lingering connect). */
  closesWhenFlushed(): boolean
  /** The engine closed; called before the close is reported, so that counts read then are current. */
  engineClosed(engine: Engine): void
  /** The handshaken connection of `pipe` is gone, and the socket type was told. */
  pipeDisconnected(pipe: SessionPipe): void
  /**
   * Last: the session is over (`error` absent for an orderly close; `pipe` absent when the
   * handshake never completed).
   */
  sessionClosed(error: ZlError | undefined, pipe: SessionPipe | undefined): void
}

/**
 * Runs one connection's ZMTP engine for a socket, between the engine and a pipe: the pipe gets the
 * engine once the handshake is done, messages go both ways through it, and the monitor events of
 * the connection's life are emitted. The same for accepted and dialled connections; what differs is
 * the {@link SessionEnd}.
 */
export function startSession(
  port: SocketPort,
  end: SessionEnd,
  connection: Connection,
  endpoint: string,
): Engine {
  const socket = port.socket
  let pipe: SessionPipe | undefined
  const engine: Engine = new Engine(connection, engineOptions(socket), {
    onReady: (peer) => {
      const ready = end.readyPipe(endpoint)
      pipe = ready
      ready.peerRoutingId = peer.routingId
      ready.peerSocketType = peer.socketType
      ready.attachEngine(engine)
      port.emit({ type: "handshake", address: endpoint })
      if (ready.attached) port.reconnected(ready)
      else port.addPipe(ready)
      if (end.closesWhenFlushed() && ready.flushed) engine.close()
    },
    onMessage: (frames) => pipe?.receive(frames) ?? true,
    onWritable: () => {
      pipe?.onEngineWritable()
      if (end.closesWhenFlushed() && pipe?.flushed) engine.close()
    },
    onClose: (error, wasReady) => {
      end.engineClosed(engine)
      for (const event of closeEvents(endpoint, error, wasReady)) port.emit(event)
      if (wasReady && pipe !== undefined) {
        pipe.detachEngine()
        port.disconnected(pipe)
        end.pipeDisconnected(pipe)
      }
      end.sessionClosed(error, pipe)
    },
  })
  return engine
}

/**
 * Ends a connection as `close()`, `unbind()` and `disconnect()` do: at once with linger 0; otherwise
 * gracefully once `flushed` (a pipe still writing closes it later itself), destroyed after `linger`
 * milliseconds at the latest (-1: no limit).
 */
export function closeWithLinger(engine: Engine, linger: number, flushed: boolean): void {
  if (linger === 0) {
    engine.destroy()
    return
  }
  if (flushed) engine.close()
  if (linger > 0) unrefTimer(setTimeout(() => engine.destroy(), timerDelay(linger)))
}

function engineOptions(socket: SocketBase): EngineOptions {
  const o = socket.options
  const context = socket.context
  return {
    socketType: socket.type,
    ...(o.routingId !== null ? { routingId: o.routingId } : {}),
    maxMessageSize: o.maxMessageSize,
    handshakeInterval: o.handshakeInterval,
    heartbeatInterval: o.heartbeatInterval,
    heartbeatTimeout: Math.max(o.heartbeatTimeout, 0),
    heartbeatTimeToLive: o.heartbeatTimeToLive,
    reportError: context.reportError,
    ...(context.allocate !== undefined
      ? { encoder: { allocate: context.allocate }, allocate: context.allocate }
      : {}),
  }
}
