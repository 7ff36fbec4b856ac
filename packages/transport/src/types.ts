/**
 * The transport contract: what a transport offers the engine, and nothing more. A transport moves
 * bytes (or, with `framing: "message"`, ZMTP frames as messages) between two endpoints; the ZMTP
 * session on top of it is the engine's business.
 */

/**
 * The marker that identifies a transport across copies of this package (see {@link isTransport}).
 *
 * @example
 * ```ts
 * class MyTransport implements Transport {
 *   readonly [transportSymbol] = true as const
 *   // ...
 * }
 * ```
 */
export const transportSymbol: unique symbol = Symbol.for("@zl/transport") as never

/**
 * The version of this contract. A transport declares the version it implements; the engine refuses others.
 *
 * @example
 * ```ts
 * if (transport.specVersion !== TRANSPORT_SPEC_VERSION) throw new Error("unsupported transport")
 * ```
 */
export const TRANSPORT_SPEC_VERSION = 1

/**
 * What the context gives each transport it creates: logging and a clock, never globals.
 *
 * @example
 * ```ts
 * const context: TransportContext = { log: (level, ns, message) => console.log(level, ns, message), now: () => performance.now() }
 * ```
 */
export interface TransportContext {
  /** Structured log sink; `namespace` is `zl:<scheme>`. Defaults to a no-op. */
  readonly log: (level: "debug" | "info" | "warn" | "error", namespace: string, message: string) => void
  /** Milliseconds since an arbitrary origin, for timeouts. */
  readonly now: () => number
}

/**
 * Builds a transport for a context. Transports export a lowercase factory of factories: `tcp(options) => (ctx) => Transport`.
 *
 * @example
 * ```ts
 * const factory: TransportFactory = tcp({ tcpKeepalive: 1 })
 * const transport = factory(createTransportContext())
 * ```
 */
export type TransportFactory = (context: TransportContext) => Transport

/**
 * Options a socket passes through to its transports: the socket's option values, by property name.
 *
 * @example
 * ```ts
 * const options: TransportOptions = { tcpKeepalive: 1, ipv6: true }
 * ```
 */
export type TransportOptions = Readonly<Record<string, unknown>>

/**
 * Options of {@link Transport.dial}.
 *
 * @example
 * ```ts
 * await transport.dial("127.0.0.1:5555", { signal: AbortSignal.timeout(1000), options: { tcpKeepalive: 1 } })
 * ```
 */
export interface DialOptions {
  /** Aborts a dial in progress; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal
  /** The socket's options (for example `tcpKeepalive`, `tlsCa`); a transport reads those it knows. */
  readonly options?: TransportOptions
}

/**
 * Options of {@link Transport.listen}.
 *
 * @example
 * ```ts
 * await transport.listen("*:5555", onConnection, { options: { ipv6: true } })
 * ```
 */
export interface ListenOptions {
  /** The socket's options; a transport reads those it knows. */
  readonly options?: TransportOptions
}

/**
 * A transport, registered with a context under the schemes it declares.
 *
 * @example
 * ```ts
 * const context = new Context({ transports: [tcp(), ipc()] })
 * ```
 */
export interface Transport {
  readonly [Symbol.toStringTag]: string
  readonly [transportSymbol]: true
  /** The contract version this transport implements: {@link TRANSPORT_SPEC_VERSION}. */
  readonly specVersion: typeof TRANSPORT_SPEC_VERSION
  /** Endpoint schemes served, without `://`: `["tcp"]`. */
  readonly schemes: readonly string[]
  /**
   * `stream`: the connection is a byte stream and carries the ZMTP greeting and frames as octets.
   * `message`: every `writeSome` chunk group is one ZMTP frame and each `onData` chunk is one frame
   * (ZWS 2.0 over WebSocket).
   */
  readonly framing: "stream" | "message"
  /**
   * True when a dial is still in progress after it started, as a TCP connect is (`EINPROGRESS`):
   * the socket then reports `connect:delay` as each dial starts, as libzmq does for tcp. False or
   * absent for a transport whose connect completes at once (libzmq's ipc).
   */
  readonly delayedConnect?: boolean
  /**
   * Starts listening on `address` (the endpoint without `scheme://`). Every accepted connection is
   * handed to `onConnection`. Resolves once listening, with the resolved endpoint (an ephemeral port
   * replaced by the real one). Rejects with a coded error: `EADDRINUSE`, `EINVAL`, ...
   */
  listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options?: ListenOptions,
  ): Promise<Listener>
  /**
   * Checks an address without doing I/O and throws a coded error (`EINVAL`, `ENAMETOOLONG`) when it is
   * malformed, so that `connect()` fails at once as libzmq's does. Optional: without it, a malformed
   * address surfaces as failed dials.
   *
   * @example
   * ```ts
   * transport.validate?.("localhost:port", "dial") // throws EINVAL
   * ```
   */
  validate?(address: string, purpose: "listen" | "dial"): void
  /** Connects to `address`. Rejects with a coded error (`ECONNREFUSED`, `ENOENT`, ...) or the abort reason. */
  dial(address: string, options?: DialOptions): Promise<Connection>
}

/**
 * A listening endpoint.
 *
 * A listener never keeps the process alive by itself (on Node its server handle is unref'd), as a
 * bound libzmq socket does not: what keeps a zlink process alive is a pending operation, which the
 * socket layer holds on its own (a waiting `receive()`, for example).
 *
 * @example
 * ```ts
 * const listener = await transport.listen("127.0.0.1:*", onConnection)
 * console.log(listener.endpoint) // tcp://127.0.0.1:41234
 * await listener.close()
 * ```
 */
export interface Listener {
  /** The resolved endpoint, `scheme://address`: `tcp://127.0.0.1:*` becomes `tcp://127.0.0.1:41234`. */
  readonly endpoint: string
  /** Stops accepting. Connections already accepted are not affected. */
  close(): Promise<void>
}

/**
 * The result of {@link Connection.writeSome}.
 *
 * `canWriteMore === true` means every octet offered was accepted and the transport can take more at
 * once. A partial write (`written` less than offered) always comes with `canWriteMore === false`; a
 * partial write with `canWriteMore === true` is illegal.
 *
 * @example
 * ```ts
 * const { written, canWriteMore } = connection.writeSome([header, body])
 * keep(advance([header, body], written)) // what was not taken stays the caller's
 * if (!canWriteMore) waitForDrain()
 * ```
 */
export interface WriteResult {
  /** Octets taken, counted from the start of the first chunk. */
  readonly written: number
  /** False when the transport is saturated: `onDrain` fires when it can take more. */
  readonly canWriteMore: boolean
}

/**
 * The callbacks through which a connection reports to its engine.
 *
 * @example
 * ```ts
 * connection.start({
 *   onData: (chunk) => decoder.write(chunk),
 *   onDrain: () => engine.flush(),
 *   onClose: (error) => engine.closed(error),
 * })
 * ```
 */
export interface ConnectionHandlers {
  /**
   * Bytes (or, with message framing, one frame) from the peer. The chunk belongs to the engine from
   * now on: the transport never reuses its memory.
   */
  onData(chunk: Uint8Array): void
  /** After a `writeSome` returned `canWriteMore: false`: the transport can take more. */
  onDrain(): void
  /**
   * The connection is gone, exactly once; `error` is absent for an orderly end by either side. A
   * peer's end is reported after the data it sent before it, so while paused it waits for `resume`.
   */
  onClose(error?: Error): void
}

/**
 * One established connection, a byte pipe with a non-blocking gathering write.
 *
 * A connection never keeps the process alive by itself (on Node its socket is unref'd), idle or
 * not, as libzmq's connections live in its I/O thread. Octets it has taken and is still writing may
 * (Node's pending write requests do), so that what was handed over before exit still goes out.
 *
 * Nothing is delivered before {@link start}; data that arrives earlier is held.
 *
 * @example
 * ```ts
 * const connection = await transport.dial("127.0.0.1:5555")
 * connection.start(handlers)
 * connection.writeSome([greeting])
 * ```
 */
export interface Connection {
  /** The peer's address as ZAP reports it: an IP address for tcp, a path for ipc. */
  readonly peerAddress: string
  /** Starts delivering events to `handlers`. Called once. */
  start(handlers: ConnectionHandlers): void
  /**
   * Offers `chunks`, in order, and returns how many octets the transport took, without blocking.
   * Taken octets are held by reference until they are on the wire (never copied), so the caller must
   * not modify them; octets not taken stay the caller's. Returns `{ written: 0, canWriteMore: false }`
   * while a previous write is still being flushed. After the connection closed, returns
   * `{ written: 0, canWriteMore: false }` and `onClose` has fired or will.
   */
  writeSome(chunks: readonly Uint8Array[]): WriteResult
  /** Stops `onData` until `resume`. */
  pause(): void
  /** Resumes `onData` after `pause`. */
  resume(): void
  /**
   * Ends the connection after everything taken has been flushed. `onClose` follows. From this call
   * on, `onData` stops: what the peer still sends is read and discarded (pause or not) until its end,
   * so that the close completes. A peer that never ends keeps the connection open until `destroy`.
   */
  close(): void
  /**
   * Tears the connection down at once, discarding unflushed octets. `onClose(error)` follows (with
   * `undefined` when no error is given); the peer sees an end, or a reset where the platform sends one.
   */
  destroy(error?: Error): void
}

/**
 * True for an object that implements this contract, from any copy of this package.
 *
 * @example
 * ```ts
 * if (!isTransport(candidate)) throw new TypeError("not a zlink transport")
 * ```
 */
export function isTransport(value: unknown): value is Transport {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [transportSymbol]?: unknown })[transportSymbol] === true
  )
}
