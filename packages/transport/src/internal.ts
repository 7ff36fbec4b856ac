/**
 * Unstable building blocks shared by this repository's Node transports (`@zl/transport-tcp`,
 * `@zl/transport-ipc`, later `@zl/transport-tls`). Not public API: names and behaviour may change in
 * any release. Nothing here imports a `node:` module; a Node socket is described structurally.
 *
 * @packageDocumentation
 */
import { invalidArgument, TransportError } from "./errors.js"
import type { Connection, ConnectionHandlers, WriteResult } from "./types.js"

/**
 * The part of a Node `net.Socket` (or `tls.TLSSocket`) that {@link StreamSocketConnection} uses.
 *
 * @example
 * ```ts
 * const socket: StreamSocket = net.connect(5555, "127.0.0.1")
 * ```
 */
export interface StreamSocket {
  /** Octets handed to `write()` that are not yet on the wire (in libuv's queue or the stream's buffer). */
  readonly writableLength: number
  readonly writable: boolean
  readonly destroyed: boolean
  readonly connecting: boolean
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean
  cork(): void
  uncork(): void
  end(): unknown
  destroy(): unknown
  pause(): unknown
  resume(): unknown
  /** Lets the socket not keep the process alive (Node's `socket.unref()`). */
  unref?(): unknown
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown
  on(event: "end", listener: () => void): unknown
  on(event: "error", listener: (error: Error) => void): unknown
  on(event: "close", listener: () => void): unknown
}

/**
 * A {@link Connection} over a connected Node stream socket.
 *
 * `writeSome` is a non-blocking gathering write built on what libuv already does: when nothing is
 * queued, every offered chunk is handed to the socket at once (under `cork()`, so that several chunks
 * leave in one `writev`); libuv writes what the kernel takes immediately and keeps the rest by
 * reference, without copying. So the whole offer is always taken, and `canWriteMore` tells whether it
 * all went out synchronously (`writableLength === 0`). While a remainder is queued, `writeSome` takes
 * nothing. The signal that the queue emptied is the write callback of the last chunk: the stream's
 * `'drain'` event only fires after a `write()` that returned false (16 KiB or more buffered), so it
 * would be missed after a small write that libuv could not finish.
 *
 * `close()` ends the write side after the queue is flushed (a FIN), then reads and discards until the
 * peer's end, so that unread input never turns the close into a reset; `onClose()` follows the
 * socket's `'close'`. A peer that never ends keeps the connection half-closed until `destroy()`.
 *
 * The peer's end (delivered after all its data, so never while paused with data held) closes the
 * socket at once when nothing waits to be written, as libzmq closes a connection whose peer has
 * gone: one `close(2)` in the same turn of the event loop, where Node's own handling of the end
 * would `shutdown(2)` first and close a turn later. With output still queued, Node's handling
 * flushes it first.
 *
 * @example
 * ```ts
 * const socket = net.connect({ host, port })
 * await once(socket, "connect")
 * const connection = new StreamSocketConnection(socket, socket.remoteAddress ?? "")
 * ```
 */
export class StreamSocketConnection implements Connection {
  private readonly socket: StreamSocket
  /** The peer's address, or what reads it (called once, on first use). */
  private address: string | (() => string)
  private handlers: ConnectionHandlers | undefined
  /** pause() was called and resume() has not been since. */
  private paused = false
  /** close() was called. */
  private closing = false
  /** destroy() was called; `destroyError` is what onClose reports. */
  private destroyedHere = false
  private destroyError: Error | undefined
  /** The first error the socket emitted. */
  private socketError: TransportError | undefined
  private waitingDrain = false
  private socketClosed = false
  private closeReported = false

  /**
   * @param peerAddress the peer's address, or a function that reads it when `peerAddress` is first
   *   asked for (a tcp listener saves a `getpeername()` per connection that nobody asks about; the
   *   function must give the address for as long as the connection is open)
   */
  constructor(socket: StreamSocket, peerAddress: string | (() => string)) {
    this.socket = socket
    this.address = peerAddress
    // A connection never keeps the process alive by itself (see the `Connection` contract): what
    // is still being written does, through the runtime's pending write requests.
    socket.unref?.()
    // Listened to from the start: an error before start() must not crash the process, and a close
    // before start() is reported by start().
    socket.on("error", (error) => {
      this.socketError ??= TransportError.from(error)
    })
    socket.on("end", () => {
      if (socket.writableLength === 0) socket.destroy()
    })
    socket.on("close", () => {
      this.socketClosed = true
      this.reportClose()
    })
  }

  get peerAddress(): string {
    if (typeof this.address === "function") this.address = this.address()
    return this.address
  }

  start(handlers: ConnectionHandlers): void {
    if (this.handlers !== undefined) throw invalidArgument("start() was already called")
    this.handlers = handlers
    // Until now the socket was not flowing (no 'data' listener), so what arrived is held in it.
    this.socket.on("data", this.onSocketData)
    if (!this.paused && !this.closing) this.socket.resume()
    if (this.socketClosed) this.reportClose()
    else if (this.waitingDrain) queueMicrotask(() => this.afterWrite())
  }

  writeSome(chunks: readonly Uint8Array[]): WriteResult {
    const socket = this.socket
    if (this.closing || this.destroyedHere || socket.destroyed || !socket.writable) {
      return { written: 0, canWriteMore: false }
    }
    if (socket.connecting || socket.writableLength > 0) {
      this.waitingDrain = true
      return { written: 0, canWriteMore: false }
    }
    let last = -1
    let offered = 0
    for (let i = 0; i < chunks.length; i++) {
      const length = chunks[i]!.length
      if (length > 0) last = i
      offered += length
    }
    if (last < 0) return { written: 0, canWriteMore: true }
    if (last === 0) {
      socket.write(chunks[0]!, this.afterWrite)
    } else {
      // One writev for the whole batch; empty chunks would only cost a queue entry.
      socket.cork()
      for (let i = 0; i <= last; i++) {
        const chunk = chunks[i]!
        if (chunk.length > 0) socket.write(chunk, i === last ? this.afterWrite : undefined)
      }
      socket.uncork()
    }
    const canWriteMore = socket.writableLength === 0
    if (!canWriteMore) this.waitingDrain = true
    return { written: offered, canWriteMore }
  }

  pause(): void {
    this.paused = true
    if (!this.closing) this.socket.pause()
  }

  resume(): void {
    this.paused = false
    if (this.handlers !== undefined && !this.closing) this.socket.resume()
  }

  close(): void {
    if (this.closing || this.destroyedHere) return
    this.closing = true
    this.waitingDrain = false
    this.socket.end()
    // Read on, discarding, so that the peer's FIN is seen however the engine left the flow.
    this.socket.resume()
  }

  destroy(error?: Error): void {
    if (this.destroyedHere || this.closeReported) return
    this.destroyedHere = true
    this.destroyError = error
    this.waitingDrain = false
    this.socket.destroy()
  }

  private readonly onSocketData = (chunk: Uint8Array): void => {
    if (this.closing || this.destroyedHere) return
    this.handlers!.onData(chunk)
  }

  /** The write callback of the last chunk of a batch: the queue is empty once it runs without error. */
  private readonly afterWrite = (error?: Error | null): void => {
    if (error || !this.waitingDrain || this.socket.writableLength > 0) return
    if (this.closing || this.destroyedHere || this.socketClosed) return
    this.drain()
  }

  private drain(): void {
    if (this.handlers === undefined) return
    this.waitingDrain = false
    this.handlers.onDrain()
  }

  private reportClose(): void {
    if (this.closeReported || this.handlers === undefined) return
    this.closeReported = true
    this.handlers.onClose(this.destroyedHere ? this.destroyError : this.socketError)
  }
}

/**
 * Hands an accepted socket to a listener's `onConnection`. `prepare` sets the socket up and returns
 * the peer address, or a function that reads it on first use (see {@link StreamSocketConnection});
 * if it or `onConnection` throws, only that connection is torn down and `log` is told, so a bad
 * accept never takes the listener down.
 *
 * @example
 * ```ts
 * server.on("connection", (socket) => acceptStream(socket, () => socket.remoteAddress ?? "", onConnection, log))
 * ```
 */
export function acceptStream(
  socket: StreamSocket,
  prepare: () => string | (() => string),
  onConnection: (connection: Connection) => void,
  log: (message: string) => void,
): void {
  let connection: StreamSocketConnection | undefined
  try {
    connection = new StreamSocketConnection(socket, prepare())
    onConnection(connection)
  } catch (err) {
    log(`accepting a connection failed: ${String(err)}`)
    if (connection) connection.destroy(err instanceof Error ? err : new Error(String(err)))
    else socket.destroy()
  }
}

/**
 * The part of a connecting Node socket that {@link whenConnected} uses.
 *
 * @example
 * ```ts
 * const socket: ConnectingSocket = net.connect({ path })
 * ```
 */
export interface ConnectingSocket {
  once(event: "connect", listener: () => void): unknown
  once(event: "error", listener: (error: Error) => void): unknown
  off(event: "connect", listener: () => void): unknown
  off(event: "error", listener: (error: Error) => void): unknown
  destroy(): unknown
}

/**
 * Resolves when `socket` connects. Rejects with a {@link TransportError} carrying the system's
 * errno code (`ECONNREFUSED`, `ENOENT`, ...), or with the signal's reason when `signal` aborts first;
 * either way the socket is destroyed.
 *
 * @example
 * ```ts
 * const socket = net.connect({ host, port })
 * await whenConnected(socket, options.signal)
 * ```
 */
export function whenConnected(socket: ConnectingSocket, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      socket.off("connect", onConnect)
      socket.off("error", onError)
      signal?.removeEventListener("abort", onAbort)
    }
    const fail = (error: unknown): void => {
      cleanup()
      socket.destroy()
      reject(error)
    }
    const onConnect = (): void => {
      cleanup()
      resolve()
    }
    const onError = (error: Error): void => fail(TransportError.from(error))
    const onAbort = (): void => fail(signal!.reason)
    socket.once("connect", onConnect)
    socket.once("error", onError)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener("abort", onAbort, { once: true })
  })
}
