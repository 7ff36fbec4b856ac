import { SENT, type SocketBase, type SocketOptions } from "@zl/sockets"
import { parseEndpoint } from "@zl/transport"
import { Context, context as defaultContext } from "./context.js"
import { rethrow, toZmqError, zmqError } from "./errors.js"
import {
  coreOf,
  readOption,
  registerState,
  SocketState,
  stateOf,
  toBytesOption,
  writeBoolean,
  writeBytes,
  writeNumber,
  writeUnsupportedBoolean,
  writeUnsupportedBytes,
} from "./internal.js"
import { type MessageLike, toBuffers, toFrame, toFrames } from "./message.js"
import { Observer } from "./observer.js"

/** The numeric socket types of libzmq, which `socket.type` reports as the `zeromq` package does. */
export const SocketType = {
  Pair: 0,
  Publisher: 1,
  Subscriber: 2,
  Request: 3,
  Reply: 4,
  Dealer: 5,
  Router: 6,
  Pull: 7,
  Push: 8,
  XPublisher: 9,
  XSubscriber: 10,
} as const
export type SocketType = (typeof SocketType)[keyof typeof SocketType]

type IfEquals<X, Y, A, B = never> =
  (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? A : B

/** The keys of the properties of `T` that can be assigned: its options. */
type WritableKeys<T> = {
  [P in keyof T]-?: T[P] extends (...args: never[]) => unknown
    ? never
    : IfEquals<{ [Q in P]: T[P] }, { -readonly [Q in P]: T[P] }, P>
}[keyof T]

/** Options accepted by socket constructors: any writable socket property, plus `context`. */
export type SocketConstructorOptions<S> = { context?: Context } & Partial<Pick<S, WritableKeys<S>>>

const utf8 = new TextDecoder()

const IMMEDIATE = true

function decode(bytes: Uint8Array | null): string | null {
  return bytes === null || bytes.length === 0 ? null : utf8.decode(bytes)
}

function checkAddress(address: unknown): asserts address is string {
  if (typeof address !== "string") throw new TypeError("Address must be a string")
}

/**
 * As libzmq's unbind and disconnect, which parse the endpoint and check its protocol before looking
 * it up: `EINVAL` for a malformed endpoint, `EPROTONOSUPPORT` for an unknown transport.
 */
function checkProtocol(state: SocketState, address: string): void {
  const { scheme } = parseEndpoint(address)
  if (scheme !== "inproc") state.context.transports.get(scheme)
}

/**
 * The base of every socket, with the `zeromq` v6 API: `bind`, `connect`, `send`, `receive`, async
 * iteration, options as properties and monitor `events`. As in zeromq, sockets are sealed: assigning
 * a property a socket does not have throws a `TypeError`.
 *
 * One deliberate difference: where the `zeromq` package rejects a second concurrent `send()` or
 * `receive()` with `EBUSY`, zlink queues it and serves it in call order, within the high-water marks.
 */
export abstract class Socket {
  protected constructor(
    type: SocketType,
    make: (context: Context, options: Partial<SocketOptions>) => SocketBase,
    options?: unknown,
  ) {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError("Options must be an object")
    }
    const { context: given, ...assign } = (options ?? {}) as { context?: unknown }
    const context = given ?? defaultContext
    if (!(context instanceof Context)) throw new TypeError("Context must be a context object")
    if (context.closed) throw zmqError("ETERM")
    const core = make(context, { ...(context.blocky ? {} : { linger: 0 }), ipv6: context.ipv6 })
    registerState(this, new SocketState(core, context, type))
    Object.seal(this)
    try {
      Object.assign(this, assign)
    } catch (err) {
      core.close()
      throw err
    }
  }

  /** Monitor events of this socket; the same observer every time. */
  get events(): Observer {
    const state = stateOf(this)
    if (state.closed) throw zmqError("ENOTSOCK")
    state.observer ??= new Observer(this)
    return state.observer as Observer
  }

  /** The context this socket belongs to. */
  get context(): Context {
    return stateOf(this).context
  }

  /** True once the socket is closed (a `close()` during a bind or unbind takes effect when it ends). */
  get closed(): boolean {
    return stateOf(this).closed
  }

  /** True when a message can be received at once. */
  get readable(): boolean {
    const state = stateOf(this)
    return !state.closed && state.core.readable
  }

  /** True when a message can be sent at once. */
  get writable(): boolean {
    const state = stateOf(this)
    return !state.closed && state.core.writable
  }

  /** `ZMQ_TYPE`. */
  get type(): SocketType {
    return readOption(this, (s) => s.type as SocketType)
  }

  /** `ZMQ_LAST_ENDPOINT`: the resolved endpoint of the last bind or connect. */
  get lastEndpoint(): string | null {
    return readOption(this, (s) => s.core.lastEndpoint)
  }

  /** `ZMQ_MECHANISM`: null, as zlink speaks the NULL mechanism. */
  get securityMechanism(): null | "plain" | "curve" | "gssapi" {
    return readOption(this, () => null)
  }

  /** `ZMQ_THREAD_SAFE`: false, as libzmq's classic sockets. */
  get threadSafe(): boolean {
    return readOption(this, () => false)
  }

  /**
   * Binds to an endpoint: `tcp://127.0.0.1:5555`, `tcp://*:*`, `ipc:///tmp/feed`, `inproc://name`.
   * While the bind is in progress, other operations on the socket throw `EBUSY`.
   *
   * @example
   * ```ts
   * await socket.bind("tcp://127.0.0.1:*")
   * console.log(socket.lastEndpoint)
   * ```
   */
  bind(address: string): Promise<void> {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    state.block()
    return settle(state, address, 1, () => state.core.bind(address))
  }

  /** Stops listening on an endpoint. While the unbind is in progress, other operations throw `EBUSY`. */
  unbind(address: string): Promise<void> {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    state.block()
    return settle(state, address, -1, () => {
      checkProtocol(state, address)
      return state.core.unbind(address)
    })
  }

  /** Connects to an endpoint; reconnects when the connection drops. */
  connect(address: string): void {
    connectTo(this, address, undefined)
  }

  /** Stops connecting to an endpoint. */
  disconnect(address: string): void {
    checkAddress(address)
    const state = stateOf(this)
    state.validateOpen()
    try {
      checkProtocol(state, address)
      state.core.disconnect(address)
    } catch (err) {
      throw toZmqError(err, address)
    }
    state.endpoints -= 1
  }

  /** Closes the socket; see `linger`. During a bind or unbind, closes when that operation ends. */
  close(): void {
    const state = stateOf(this)
    if (state.lifecycle === "blocked") state.closeRequested = true
    else if (state.lifecycle !== "closed") state.close()
  }

  // ---- options -----------------------------------------------------------------------------------

  /** `ZMQ_LINGER`: how long `close()` keeps flushing (ms); -1 forever. */
  get linger(): number {
    return readOption(this, (s) => s.core.options.linger)
  }
  set linger(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= -1,
      (s, v) => {
        s.core.options.linger = v
      },
      IMMEDIATE,
    )
  }

  /** `ZMQ_RECONNECT_IVL` (ms); -1 never reconnects. */
  get reconnectInterval(): number {
    return readOption(this, (s) => s.core.options.reconnectInterval)
  }
  set reconnectInterval(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= -1,
      (s, v) => {
        s.core.options.reconnectInterval = v
      },
    )
  }

  /** `ZMQ_RECONNECT_IVL_MAX` (ms); 0 for no back-off. */
  get reconnectMaxInterval(): number {
    return readOption(this, (s) => s.core.options.reconnectMaxInterval)
  }
  set reconnectMaxInterval(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.reconnectMaxInterval = v
      },
    )
  }

  /** `ZMQ_BACKLOG`. */
  get backlog(): number {
    return readOption(this, (s) => s.core.options.backlog)
  }
  set backlog(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.backlog = v
      },
    )
  }

  /** `ZMQ_MAXMSGSIZE`: the largest frame accepted from a peer; negative for no limit. */
  get maxMessageSize(): number {
    return readOption(this, (s) => s.core.options.maxMessageSize)
  }
  set maxMessageSize(value: number) {
    writeNumber(
      this,
      value,
      "int64",
      () => true,
      (s, v) => {
        s.core.options.maxMessageSize = v
      },
    )
  }

  /** `ZMQ_TCP_KEEPALIVE`: -1 OS default, 0 off, 1 on. */
  get tcpKeepalive(): number {
    return readOption(this, (s) => s.core.options.tcpKeepalive)
  }
  set tcpKeepalive(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= -1 && v <= 1,
      (s, v) => {
        s.core.options.tcpKeepalive = v
      },
    )
  }

  /** `ZMQ_IMMEDIATE`: queue messages only for completed connections. */
  get immediate(): boolean {
    return readOption(this, (s) => s.core.options.immediate)
  }
  set immediate(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.immediate = v
    })
  }

  /** `ZMQ_IPV6`. */
  get ipv6(): boolean {
    return readOption(this, (s) => s.core.options.ipv6)
  }
  set ipv6(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.core.options.ipv6 = v
    })
  }

  /** `ZMQ_HANDSHAKE_IVL` (ms); 0 for no limit. */
  get handshakeInterval(): number {
    return readOption(this, (s) => s.core.options.handshakeInterval)
  }
  set handshakeInterval(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.handshakeInterval = v
      },
    )
  }

  /** `ZMQ_HEARTBEAT_IVL` (ms); 0 turns heartbeats off. */
  get heartbeatInterval(): number {
    return readOption(this, (s) => s.core.options.heartbeatInterval)
  }
  set heartbeatInterval(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.heartbeatInterval = v
      },
    )
  }

  /** `ZMQ_HEARTBEAT_TTL` (ms), kept in deciseconds as libzmq does: up to 6,553,500. */
  get heartbeatTimeToLive(): number {
    return readOption(this, (s) => s.core.options.heartbeatTimeToLive)
  }
  set heartbeatTimeToLive(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => Math.trunc(v / 100) >= 0 && Math.trunc(v / 100) <= 0xffff,
      (s, v) => {
        s.core.options.heartbeatTimeToLive = Math.trunc(v / 100) * 100 + 0
      },
    )
  }

  /** `ZMQ_HEARTBEAT_TIMEOUT` (ms); -1 (the default) means the heartbeat interval. */
  get heartbeatTimeout(): number {
    return readOption(this, (s) => s.core.options.heartbeatTimeout)
  }
  set heartbeatTimeout(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.heartbeatTimeout = v
      },
    )
  }

  /** `ZMQ_CONNECT_TIMEOUT` (ms); 0 for the OS default. */
  get connectTimeout(): number {
    return readOption(this, (s) => s.core.options.connectTimeout)
  }
  set connectTimeout(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.connectTimeout = v
      },
    )
  }

  // Options that tune what zlink does not have (multicast, kernel buffers, thread affinity): kept,
  // checked as libzmq checks them, without effect.

  /** `ZMQ_AFFINITY`: accepted, without effect (zlink has no I/O threads). */
  get affinity(): number {
    return readTuning(this, "affinity", 0)
  }
  set affinity(value: number) {
    writeTuning(this, "affinity", value, "uint64", () => true)
  }
  /** `ZMQ_RATE`: accepted, without effect (no multicast). */
  get rate(): number {
    return readTuning(this, "rate", 100)
  }
  set rate(value: number) {
    writeTuning(this, "rate", value, "int32", (v) => v > 0)
  }
  /** `ZMQ_RECOVERY_IVL`: accepted, without effect (no multicast). */
  get recoveryInterval(): number {
    return readTuning(this, "recoveryInterval", 10_000)
  }
  set recoveryInterval(value: number) {
    writeTuning(this, "recoveryInterval", value, "int32", (v) => v >= 0)
  }
  /** `ZMQ_MULTICAST_MAXTPDU`: accepted, without effect (no multicast). */
  get multicastMaxTransportDataUnit(): number {
    return readTuning(this, "multicastMaxTransportDataUnit", 1500)
  }
  set multicastMaxTransportDataUnit(value: number) {
    writeTuning(this, "multicastMaxTransportDataUnit", value, "int32", (v) => v > 0)
  }
  /** `ZMQ_TOS`: accepted, without effect. */
  get typeOfService(): number {
    return readTuning(this, "typeOfService", 0)
  }
  set typeOfService(value: number) {
    writeTuning(this, "typeOfService", value, "int32", (v) => v >= 0)
  }
  /** `ZMQ_TCP_KEEPALIVE_CNT`: accepted, without effect. */
  get tcpKeepaliveCount(): number {
    return readTuning(this, "tcpKeepaliveCount", -1)
  }
  set tcpKeepaliveCount(value: number) {
    writeTuning(this, "tcpKeepaliveCount", value, "int32", (v) => v >= -1)
  }
  /** `ZMQ_TCP_KEEPALIVE_IDLE`: accepted, without effect. */
  get tcpKeepaliveIdle(): number {
    return readTuning(this, "tcpKeepaliveIdle", -1)
  }
  set tcpKeepaliveIdle(value: number) {
    writeTuning(this, "tcpKeepaliveIdle", value, "int32", (v) => v >= -1)
  }
  /** `ZMQ_TCP_KEEPALIVE_INTVL`: accepted, without effect. */
  get tcpKeepaliveInterval(): number {
    return readTuning(this, "tcpKeepaliveInterval", -1)
  }
  set tcpKeepaliveInterval(value: number) {
    writeTuning(this, "tcpKeepaliveInterval", value, "int32", (v) => v >= -1)
  }
  /** `ZMQ_TCP_MAXRT`: accepted, without effect. */
  get tcpMaxRetransmitTimeout(): number {
    return readTuning(this, "tcpMaxRetransmitTimeout", 0)
  }
  set tcpMaxRetransmitTimeout(value: number) {
    writeTuning(this, "tcpMaxRetransmitTimeout", value, "int32", (v) => v >= 0)
  }
  /** `ZMQ_LOOPBACK_FASTPATH`: accepted, without effect (Windows only in libzmq). */
  get loopbackFastPath(): boolean {
    return readTuning(this, "loopbackFastPath", false)
  }
  set loopbackFastPath(value: boolean) {
    writeBoolean(this, value, (s, v) => {
      s.tuning.set("loopbackFastPath", v)
    })
  }

  // VMCI transport options: as libzmq built without VMCI, reading and writing fail with EINVAL.

  /** `ZMQ_VMCI_BUFFER_SIZE`: fails with `EINVAL` (no VMCI transport). */
  get vmciBufferSize(): number {
    return readOption(this, noVmci)
  }
  set vmciBufferSize(value: number) {
    writeNumber(this, value, "uint64", () => false, noVmci)
  }
  /** `ZMQ_VMCI_BUFFER_MIN_SIZE`: fails with `EINVAL` (no VMCI transport). */
  get vmciBufferMinSize(): number {
    return readOption(this, noVmci)
  }
  set vmciBufferMinSize(value: number) {
    writeNumber(this, value, "uint64", () => false, noVmci)
  }
  /** `ZMQ_VMCI_BUFFER_MAX_SIZE`: fails with `EINVAL` (no VMCI transport). */
  get vmciBufferMaxSize(): number {
    return readOption(this, noVmci)
  }
  set vmciBufferMaxSize(value: number) {
    writeNumber(this, value, "uint64", () => false, noVmci)
  }
  /** `ZMQ_VMCI_CONNECT_TIMEOUT`: fails with `EINVAL` (no VMCI transport). */
  get vmciConnectTimeout(): number {
    return readOption(this, noVmci)
  }
  set vmciConnectTimeout(value: number) {
    writeNumber(this, value, "int32", () => false, noVmci)
  }

  // Options whose feature zlink does not have yet: reading gives the default, setting the default is
  // accepted, and setting anything else fails with ENOTSUP.

  /** `ZMQ_PLAIN_SERVER`: PLAIN is not supported yet; only false is accepted. */
  get plainServer(): boolean {
    return readOption(this, () => false)
  }
  set plainServer(value: boolean) {
    writeUnsupportedBoolean(this, "plainServer", value)
  }
  /** `ZMQ_PLAIN_USERNAME`: PLAIN is not supported yet; only null is accepted. */
  get plainUsername(): string | null {
    return readOption(this, () => null)
  }
  set plainUsername(value: string | null) {
    writeUnsupportedBytes(this, "plainUsername", value)
  }
  /** `ZMQ_PLAIN_PASSWORD`: PLAIN is not supported yet; only null is accepted. */
  get plainPassword(): string | null {
    return readOption(this, () => null)
  }
  set plainPassword(value: string | null) {
    writeUnsupportedBytes(this, "plainPassword", value)
  }
  /** `ZMQ_CURVE_SERVER`: CURVE is not supported yet; only false is accepted. */
  get curveServer(): boolean {
    return readOption(this, () => false)
  }
  set curveServer(value: boolean) {
    writeUnsupportedBoolean(this, "curveServer", value)
  }
  /** `ZMQ_CURVE_PUBLICKEY`: CURVE is not supported yet; only null is accepted. */
  get curvePublicKey(): string | null {
    return readOption(this, () => null)
  }
  set curvePublicKey(value: string | null) {
    writeUnsupportedBytes(this, "curvePublicKey", value)
  }
  /** `ZMQ_CURVE_SECRETKEY`: CURVE is not supported yet; only null is accepted. */
  get curveSecretKey(): string | null {
    return readOption(this, () => null)
  }
  set curveSecretKey(value: string | null) {
    writeUnsupportedBytes(this, "curveSecretKey", value)
  }
  /** `ZMQ_CURVE_SERVERKEY`: CURVE is not supported yet; only null is accepted. */
  get curveServerKey(): string | null {
    return readOption(this, () => null)
  }
  set curveServerKey(value: string | null) {
    writeUnsupportedBytes(this, "curveServerKey", value)
  }
  /** `ZMQ_ZAP_DOMAIN`: ZAP is not supported yet; only null is accepted. */
  get zapDomain(): string | null {
    return readOption(this, () => null)
  }
  set zapDomain(value: string | null) {
    writeUnsupportedBytes(this, "zapDomain", value)
  }
  /** `ZMQ_ZAP_ENFORCE_DOMAIN`: ZAP is not supported yet; only false is accepted. */
  get zapEnforceDomain(): boolean {
    return readOption(this, () => false)
  }
  set zapEnforceDomain(value: boolean) {
    writeUnsupportedBoolean(this, "zapEnforceDomain", value)
  }
  /** `ZMQ_SOCKS_PROXY`: SOCKS is not supported yet; only null is accepted. */
  get socksProxy(): string | null {
    return readOption(this, () => null)
  }
  set socksProxy(value: string | null) {
    writeUnsupportedBytes(this, "socksProxy", value)
  }
  /** `ZMQ_TCP_ACCEPT_FILTER`: not supported yet; only null is accepted. */
  get tcpAcceptFilter(): string | null {
    return readOption(this, () => null)
  }
  set tcpAcceptFilter(value: string | null) {
    writeUnsupportedBytes(this, "tcpAcceptFilter", value)
  }
  /** `ZMQ_BINDTODEVICE`: not supported yet; only null is accepted. */
  get interface(): string | null {
    return readOption(this, () => null)
  }
  set interface(value: string | null) {
    writeUnsupportedBytes(this, "interface", value)
  }
}

function noVmci(): never {
  throw zmqError("EINVAL")
}

function readTuning<T>(socket: Socket, name: string, fallback: T): T {
  return readOption(socket, (s) => (s.tuning.get(name) as T | undefined) ?? fallback)
}

function writeTuning(
  socket: object,
  name: string,
  value: unknown,
  cast: "int32" | "uint64",
  valid: (value: number) => boolean,
  immediate = false,
): void {
  writeNumber(
    socket,
    value,
    cast,
    valid,
    (s, v) => {
      s.tuning.set(name, v)
    },
    immediate,
  )
}

/** Ends a bind or unbind: unblocks the socket (closing it if asked meanwhile), then settles. */
function settle(
  state: SocketState,
  address: string,
  endpoints: number,
  run: () => Promise<unknown>,
): Promise<void> {
  let operation: Promise<unknown>
  try {
    operation = run()
  } catch (err) {
    operation = Promise.reject(err)
  }
  return operation.then(
    () => {
      state.unblock(endpoints)
    },
    (err: unknown) => {
      state.unblock(endpoints)
      throw toZmqError(err, address)
    },
  )
}

/** @internal `connect`, with the routing id of `Router.connect`. */
export function connectTo(socket: Socket, address: unknown, routingId: Uint8Array | undefined): void {
  checkAddress(address)
  const state = stateOf(socket)
  state.validateOpen()
  try {
    state.core.connect(address, routingId)
  } catch (err) {
    throw toZmqError(err, address)
  }
  state.endpoints += 1
}

/** @internal `send` of every writable socket; `routed` for a ROUTER, whose first frame picks the peer. */
export function sendOn(socket: Socket, message: unknown, routed = false): Promise<void> {
  if (message === undefined) throw new TypeError("Message must be present")
  const state = stateOf(socket)
  state.validateOpen()
  let frames: Uint8Array[]
  if (routed && Array.isArray(message) && typeof message[0] === "string") {
    frames = toFrames(message, 1)
    if (message[0] !== state.routeText) {
      state.routeText = message[0]
      state.routeBytes = toFrame(message[0])
    }
    frames[0] = state.routeBytes!
  } else frames = toFrames(message as MessageLike | MessageLike[])
  // zeromq sends the parts of an empty array: none.
  if (frames.length === 0) return Promise.resolve()
  const core = state.core
  try {
    if (core.sendNow(frames)) return SENT
  } catch (err) {
    return Promise.reject(toZmqError(err))
  }
  return new Promise((resolve, reject) => core.sendLater(frames, resolve, (err) => reject(toZmqError(err))))
}

/** @internal `receive` of every readable socket. */
export function receiveOn(socket: Socket): Promise<Buffer[]> {
  const state = stateOf(socket)
  state.validateOpen()
  const core = state.core
  const frames = core.receiveNow()
  if (frames !== undefined) return Promise.resolve(toBuffers(frames))
  return new Promise((resolve, reject) =>
    core.receiveLater(
      (received) => resolve(toBuffers(received)),
      (err) => reject(toZmqError(err)),
    ),
  )
}

/** @internal A receive that an aborted signal withdraws (used by `Proxy.terminate`). */
export function receiveWithSignal(socket: Socket, signal: AbortSignal): Promise<Buffer[]> {
  const core = coreOf(socket)
  if (core === undefined) return Promise.reject(new TypeError("Socket must be a socket object"))
  return core.receive(signal).then(toBuffers, rethrow)
}

/** @internal Reads a routing id option (`ZMQ_ROUTING_ID`). */
export function readRoutingId(socket: Socket): string | null {
  return readOption(socket, (s) => decode(s.core.options.routingId))
}

/** @internal Writes a routing id option: 1 to 255 octets. */
export function writeRoutingId(socket: Socket, value: unknown): void {
  writeBytes(
    socket,
    value,
    (bytes) => bytes !== null && bytes.length > 0 && bytes.length <= 255,
    (s, bytes) => {
      s.core.options.routingId = bytes
    },
  )
}

/**
 * @internal The routing id `Router.connect` gives the peer (`ZMQ_CONNECT_ROUTING_ID`), checked as
 * zeromq sets it: like an option that takes effect on the next connect.
 */
export function connectRoutingId(socket: Socket, value: unknown): Uint8Array {
  return toBytesOption(socket, value, (bytes) => bytes !== null && bytes.length > 0) as Uint8Array
}

/** Sockets that send: `send(message)` with one frame or an array of frames, and the send options. */
export interface Writable {
  /** `ZMQ_MULTICAST_HOPS`: accepted, without effect (no multicast). */
  multicastHops: number
  /** `ZMQ_SNDBUF`: accepted, without effect; -1 leaves the OS default. */
  sendBufferSize: number
  /** `ZMQ_SNDHWM`: messages queued per peer before sends wait or drop; 0 for no limit. */
  sendHighWaterMark: number
  /** `ZMQ_SNDTIMEO` (ms); -1 waits forever, 0 fails at once with `EAGAIN`. */
  sendTimeout: number
  /**
   * Sends a message (one frame, or an array of frames). Resolves once queued; waits while the
   * high-water mark is reached, up to `sendTimeout`. Concurrent sends are served in call order.
   */
  send(message: MessageLike | MessageLike[]): Promise<void>
}

/** Sockets that receive: `receive()`, `for await`, and the receive options. */
export interface Readable {
  /** `ZMQ_RCVBUF`: accepted, without effect; -1 leaves the OS default. */
  receiveBufferSize: number
  /** `ZMQ_RCVHWM`: messages queued per peer before reading from it stops; 0 for no limit. */
  receiveHighWaterMark: number
  /** `ZMQ_RCVTIMEO` (ms); -1 waits forever, 0 fails at once with `EAGAIN`. */
  receiveTimeout: number
  /** Receives the next message. Concurrent receives are served in call order. */
  receive(): Promise<Buffer[]>
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined>
}

/** The send options, installed on the prototype of each writable socket class. */
class WritableOptions {
  get multicastHops(): number {
    return readTuning(this as unknown as Socket, "multicastHops", 1)
  }
  set multicastHops(value: number) {
    writeTuning(this, "multicastHops", value, "int32", (v) => v > 0)
  }
  get sendBufferSize(): number {
    return readTuning(this as unknown as Socket, "sendBufferSize", -1)
  }
  set sendBufferSize(value: number) {
    writeTuning(this, "sendBufferSize", value, "int32", (v) => v >= -1)
  }
  get sendHighWaterMark(): number {
    return readOption(this, (s) => s.core.options.sendHighWaterMark)
  }
  set sendHighWaterMark(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.sendHighWaterMark = v
      },
      IMMEDIATE,
    )
  }
  get sendTimeout(): number {
    return readOption(this, (s) => s.core.options.sendTimeout)
  }
  set sendTimeout(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= -1,
      (s, v) => {
        s.core.options.sendTimeout = v
      },
      IMMEDIATE,
    )
  }
}

/** The receive options, installed on the prototype of each readable socket class. */
class ReadableOptions {
  get receiveBufferSize(): number {
    return readTuning(this as unknown as Socket, "receiveBufferSize", -1)
  }
  set receiveBufferSize(value: number) {
    writeTuning(this, "receiveBufferSize", value, "int32", (v) => v >= -1)
  }
  get receiveHighWaterMark(): number {
    return readOption(this, (s) => s.core.options.receiveHighWaterMark)
  }
  set receiveHighWaterMark(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= 0,
      (s, v) => {
        s.core.options.receiveHighWaterMark = v
      },
      IMMEDIATE,
    )
  }
  get receiveTimeout(): number {
    return readOption(this, (s) => s.core.options.receiveTimeout)
  }
  set receiveTimeout(value: number) {
    writeNumber(
      this,
      value,
      "int32",
      (v) => v >= -1,
      (s, v) => {
        s.core.options.receiveTimeout = v
      },
      IMMEDIATE,
    )
  }
}

function install(source: { prototype: object }, targets: readonly { prototype: object }[]): void {
  for (const name of Object.getOwnPropertyNames(source.prototype)) {
    if (name === "constructor") continue
    const descriptor = Object.getOwnPropertyDescriptor(source.prototype, name)!
    for (const target of targets) Object.defineProperty(target.prototype, name, descriptor)
  }
}

/** @internal Gives each class the options of the `Writable` interface. */
export function defineWritable(targets: readonly { prototype: object }[]): void {
  install(WritableOptions, targets)
}

/** @internal Gives each class the options of the `Readable` interface. */
export function defineReadable(targets: readonly { prototype: object }[]): void {
  install(ReadableOptions, targets)
}

/** The async iterator of readable sockets: ends when the socket is closed. */
export function messages(socket: Socket & Pick<Readable, "receive">): AsyncIterator<Buffer[], undefined> {
  return {
    next: async (): Promise<IteratorResult<Buffer[], undefined>> => {
      if (socket.closed) return { done: true, value: undefined }
      try {
        return { done: false, value: await socket.receive() }
      } catch (err) {
        if (socket.closed && (err as { code?: unknown }).code === "EAGAIN")
          return { done: true, value: undefined }
        throw err
      }
    },
  }
}
