import {
  Command,
  Decoder,
  type DecoderSink,
  Encoder,
  type EncoderOptions,
  encodeCancel,
  encodeGreeting,
  encodePing,
  encodePong,
  encodeReady,
  encodeSubscribe,
  GreetingReader,
  Mechanism,
  type Metadata,
  type MetadataInput,
  Property,
  parseCommand,
  parseErrorCommand,
  parseMetadata,
  parsePing,
  ZlError,
} from "@zl/codec"
import type { Connection } from "@zl/transport"
import { EngineError, EngineErrorCode } from "./errors.js"
import { isCompatible, type SocketType, sendsIdentity, socketTypeOf } from "./socket-type.js"

/** What an engine needs to know about its socket. Times are in milliseconds. */
export interface EngineOptions {
  /** Our socket type, sent as `Socket-Type` and checked against the peer's. */
  readonly socketType: SocketType
  /** Our routing id, sent as `Identity` by REQ, DEALER and ROUTER (`ZMQ_ROUTING_ID`). */
  readonly routingId?: Uint8Array
  /** Extra READY properties (`ZMQ_METADATA`, names starting with `X-`). */
  readonly metadata?: MetadataInput
  /**
   * The largest message accepted (`ZMQ_MAXMSGSIZE`); -1 for no limit. Each frame is limited to it
   * as in libzmq, and so is a multipart message as a whole (see the codec's `DecoderOptions`).
   */
  readonly maxMessageSize?: number
  /**
   * The largest frame accepted before the handshake completed: the READY and other handshake
   * commands. Default {@link DEFAULT_MAX_HANDSHAKE_SIZE}; never above `maxMessageSize`.
   */
  readonly maxHandshakeSize?: number
  /** Time allowed for greeting and handshake (`ZMQ_HANDSHAKE_IVL`); 0 for no limit. Default 30 000. */
  readonly handshakeInterval?: number
  /** Interval between PINGs (`ZMQ_HEARTBEAT_IVL`); 0 turns heartbeats off. */
  readonly heartbeatInterval?: number
  /** How long to wait for traffic after a PING (`ZMQ_HEARTBEAT_TIMEOUT`); 0 means `heartbeatInterval`. */
  readonly heartbeatTimeout?: number
  /** The TTL announced in our PINGs (`ZMQ_HEARTBEAT_TTL`), rounded down to deciseconds. */
  readonly heartbeatTimeToLive?: number
  /** Encoder tuning; Node passes an allocator of unpooled `Buffer`s. */
  readonly encoder?: EncoderOptions
  /** Allocates the bodies of frames that arrive over several chunks, unzeroed (see `DecoderOptions`). */
  readonly allocate?: (size: number) => Uint8Array
  /**
   * Runs a callback after the current task, once pending I/O had its turn. Sends made in one task
   * after the first are coalesced and written by this callback. Default `setImmediate` where it exists,
   * else `setTimeout(fn, 0)`.
   */
  readonly schedule?: (callback: () => void) => void
  /**
   * How long a closed connection waits for the peer's end after ours was sent, reading and
   * discarding (so that unread input never turns the close into a reset that could cost the peer
   * our last messages), before it is destroyed. Default {@link DEFAULT_CLOSE_GRACE}.
   */
  readonly closeGrace?: number
  /**
   * Told about an exception thrown by the handler while the engine was reporting a close, which has
   * nowhere else to go; the engine itself carries on. Default `console.error`.
   */
  readonly reportError?: (error: unknown) => void
}

/** What the handshake told us about the peer. */
export interface PeerInfo {
  readonly socketType: SocketType
  /** The peer's `Identity` property; empty when it sent none. */
  readonly routingId: Uint8Array
  /** Every property of the peer's READY. */
  readonly metadata: Metadata
  /** The peer's ZMTP minor version: 0 for 3.0, 1 for 3.1. */
  readonly zmtpMinor: number
}

/** How the engine reports to its socket. */
export interface EngineHandler {
  /** The handshake completed; from now on `send` may be called and messages arrive. */
  onReady(peer: PeerInfo): void
  /**
   * A message from the peer; SUBSCRIBE and CANCEL commands arrive as `\x01topic` / `\x00topic`
   * messages, the form a ZMTP 3.0 peer sends. Return `false` when the socket cannot take more: the
   * engine stops reading until `resumeInput()`.
   */
  onMessage(frames: Uint8Array[]): boolean | undefined | void
  /** Every message sent so far has been taken by the transport: `backlog` is 0 again. */
  onWritable(): void
  /** The connection is gone, exactly once. `error` is absent for an orderly close. */
  onClose(error: ZlError | undefined, wasReady: boolean): void
}

const State = {
  GREETING: 0,
  HANDSHAKE: 1,
  READY: 2,
  CLOSED: 3,
} as const
type State = (typeof State)[keyof typeof State]

const DEFAULT_HANDSHAKE_INTERVAL = 30_000
/**
 * The default limit on each frame a peer sends before its handshake completed. libzmq's own READY
 * is a few dozen octets; `ZMQ_METADATA` adds what the application puts there.
 */
export const DEFAULT_MAX_HANDSHAKE_SIZE = 64 * 1024
/** How long a closed connection waits for the peer's end by default, in milliseconds. */
export const DEFAULT_CLOSE_GRACE = 2000
/** The longest routing id a peer may present (RFC 37 `Identity`; libzmq's `ZMQ_ROUTING_ID`). */
export const MAX_ROUTING_ID = 255
/**
 * Coalesced output above this many octets is written without waiting for the end of the task: a
 * long synchronous burst of sends still leaves in batches of this size.
 */
const MAX_BATCH = 64 * 1024
const EMPTY = new Uint8Array(0)

/** Runs a callback after the current task once pending I/O had its turn: `setImmediate`, or `setTimeout(fn, 0)`. */
export const defaultSchedule: (callback: () => void) => void =
  typeof setImmediate === "function"
    ? (callback) => setImmediate(callback)
    : (callback) => setTimeout(callback, 0)

/**
 * One connection's ZMTP 3.1 session: greeting, NULL handshake with the READY exchange and the
 * socket-type check, heartbeats, and the data phase.
 *
 * Output follows the speculative-write design: the first message of a task is written at once
 * (lowest latency); later messages of the same task are coalesced into the encoder's batch and
 * written together when the task ends or, if the transport is saturated, when it drains. Large
 * payloads are never copied on the way out. Input frames are views of the transport's chunks.
 *
 * @example
 * ```ts
 * const engine = new Engine(connection, { socketType: "DEALER" }, {
 *   onReady: (peer) => console.log("peer is", peer.socketType),
 *   onMessage: (frames) => console.log(frames),
 *   onWritable: () => {},
 *   onClose: (error) => console.log("closed", error?.code),
 * })
 * engine.start()
 * ```
 */
export class Engine {
  private readonly connection: Connection
  private readonly options: EngineOptions
  private readonly handler: EngineHandler
  private readonly encoder: Encoder
  private readonly greeting = new GreetingReader()
  private readonly decoder: Decoder
  private readonly schedule: (callback: () => void) => void
  private state: State = State.GREETING
  private peerMinor = 1
  /** The transport reported `canWriteMore: false`; the next write waits for its drain. */
  private writePending = false
  /** A write happened in the current task: later sends coalesce until `endOfTask`. */
  private wroteThisTask = false
  private flushing = false
  private closing = false
  /** Our end was sent (`connection.close()`). */
  private ended = false
  /**
   * For each message handed to `send` / `sendSubscription` and not yet fully taken, the output offset
   * (octets since start) at which it ends, in `messageEnds[messageHead..messageTail)`; `backlog` is
   * their number. The array keeps its capacity and is reused from 0 whenever the backlog empties.
   */
  private readonly messageEnds: number[] = []
  private messageHead = 0
  private messageTail = 0
  /** Octets the transport has taken since start. */
  private written = 0
  /** Input held back while the socket cannot take more. */
  private held: Uint8Array | undefined
  /** The connection ended cleanly while input was held: the close is reported once it is delivered. */
  private closeDeferred = false
  /** The handler refused a message during the current `decode`: hold the rest, even if empty. */
  private stalled = false
  /** `close`, `destroy` or a failure: nothing more is delivered, not even the rest of the current chunk. */
  private inputStopped = false
  private failure: ZlError | undefined
  /**
   * Output offsets at which our last PONG and our last PING end: while the transport has not taken
   * them (`written` below), a PING from the peer gets no second PONG and our timer no second PING,
   * so a peer that never reads cannot make us queue heartbeats without bound.
   */
  private pongEnd = 0
  private pingEnd = 0
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setTimeout> | undefined
  private timeoutTimer: ReturnType<typeof setTimeout> | undefined
  private ttlTimer: ReturnType<typeof setTimeout> | undefined
  private closeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(connection: Connection, options: EngineOptions, handler: EngineHandler) {
    this.connection = connection
    this.options = options
    this.handler = handler
    this.encoder = new Encoder(options.encoder)
    this.schedule = options.schedule ?? defaultSchedule
    const sink: DecoderSink = {
      onMessage: (frames) => this.onFrames(frames),
      onCommand: (body) => this.onCommand(body),
    }
    this.decoder = new Decoder(sink, {
      maxMessageSize: options.maxMessageSize ?? -1,
      ...(options.allocate !== undefined ? { allocate: options.allocate } : {}),
    })
    this.decoder.setMaxFrameSize(options.maxHandshakeSize ?? DEFAULT_MAX_HANDSHAKE_SIZE)
  }

  /** True once the handshake completed and until the connection closes. */
  get ready(): boolean {
    return this.state === State.READY
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.state === State.CLOSED
  }

  /** Messages sent whose octets the transport has not fully taken; the socket's high-water mark bounds it. */
  get backlog(): number {
    return this.messageTail - this.messageHead
  }

  /** Starts the session: attaches to the connection and sends our greeting. */
  start(): void {
    this.connection.start({
      onData: (chunk) => this.onData(chunk),
      onDrain: () => this.onDrain(),
      onClose: (error) => this.onConnectionClose(error),
    })
    const interval = this.options.handshakeInterval ?? DEFAULT_HANDSHAKE_INTERVAL
    if (interval > 0) {
      // Kept through close(): a peer stalled in the handshake is dropped even while we close.
      this.handshakeTimer = unrefTimer(
        setTimeout(() => {
          this.handshakeTimer = undefined
          this.fail(new EngineError(EngineErrorCode.HANDSHAKE_TIMEOUT, `no handshake within ${interval} ms`))
        }, timerDelay(interval)),
      )
    }
    // The whole greeting goes at once; libzmq sends it in stages but accepts it whole.
    this.encoder.raw(encodeGreeting({ mechanism: Mechanism.NULL }))
    this.flush()
  }

  /** Sends a message. Only valid once ready. */
  send(frames: readonly Uint8Array[]): void {
    if (this.state !== State.READY) throw new ZlError("EFSM", "the connection is not ready")
    this.encoder.message(frames)
    this.messageEnds[this.messageTail++] = this.written + this.encoder.pendingBytes
    this.kick()
  }

  /**
   * Sends a subscription (`subscribe` true) or its cancellation: a SUBSCRIBE / CANCEL command to a
   * ZMTP 3.1 peer, a `\x01topic` / `\x00topic` message to a 3.0 peer.
   */
  sendSubscription(topic: Uint8Array, subscribe: boolean): void {
    if (this.state !== State.READY) throw new ZlError("EFSM", "the connection is not ready")
    if (this.peerMinor >= 1) {
      this.encoder.command(subscribe ? encodeSubscribe(topic) : encodeCancel(topic))
    } else {
      this.encoder.message([withPrefix(subscribe ? 1 : 0, topic)])
    }
    this.messageEnds[this.messageTail++] = this.written + this.encoder.pendingBytes
    this.kick()
  }

  /** Resumes reading after `onMessage` returned false. */
  resumeInput(): void {
    const held = this.held
    if (held === undefined || this.state === State.CLOSED || this.inputStopped) return
    this.held = undefined
    try {
      this.decode(held, 0)
    } catch (err) {
      this.fail(err)
      return
    }
    if (this.held !== undefined) return
    if (this.closeDeferred) this.reportClose()
    else this.connection.resume()
  }

  /**
   * Ends the connection after everything sent has been written. The timers keep running until the
   * connection is gone: the handshake timeout still drops a peer stalled in its handshake, and with
   * heartbeats a peer that stopped reading is dropped instead of holding the flush forever.
   */
  close(): void {
    if (this.closeDeferred) {
      this.reportClose()
      return
    }
    if (this.state === State.CLOSED || this.closing) return
    this.closing = true
    this.inputStopped = true
    if (this.writePending) return
    if (this.encoder.pendingBytes === 0) this.endConnection()
    else this.flush()
  }

  /**
   * Sends our end once everything was flushed. The peer gets `closeGrace` to end too; a peer that
   * never does is not allowed to keep the connection (and the process) alive.
   */
  private endConnection(): void {
    if (this.ended) return
    this.ended = true
    this.connection.close()
    if (this.state === State.CLOSED) return
    const timer = setTimeout(
      () => {
        this.closeTimer = undefined
        this.connection.destroy()
      },
      timerDelay(this.options.closeGrace ?? DEFAULT_CLOSE_GRACE),
    )
    // Our octets are all with the system by now: waiting for the peer is no reason to stay alive.
    this.closeTimer = unrefTimer(timer)
  }

  /** Tears the connection down at once. */
  destroy(error?: ZlError): void {
    if (this.closeDeferred) {
      this.reportClose(error)
      return
    }
    if (this.state === State.CLOSED) return
    this.inputStopped = true
    if (error !== undefined && this.failure === undefined) this.failure = error
    this.connection.destroy(error)
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === State.CLOSED) return
    // Any traffic shows the peer alive, also while we only flush before closing.
    if (this.timeoutTimer !== undefined || this.ttlTimer !== undefined) this.onInboundTraffic()
    if (this.inputStopped) return
    if (this.held !== undefined) {
      // A chunk that was in flight when we paused: keep it behind the held input.
      this.held = concat(this.held, chunk)
      return
    }
    try {
      let offset = 0
      if (this.state === State.GREETING) {
        offset = this.greeting.feed(chunk)
        if (!this.greeting.complete) return
        this.onGreeting()
      }
      this.decode(chunk, offset)
    } catch (err) {
      this.fail(err)
    }
  }

  private decode(chunk: Uint8Array, offset: number): void {
    this.stalled = false
    const stop = this.decoder.write(chunk, offset)
    if (this.state === State.CLOSED || this.inputStopped) return
    // The decoder stops right after a refused message, which may be the last one of the chunk: then
    // nothing is held, but the connection must still pause.
    if (stop < chunk.length || this.stalled) {
      this.held = chunk.subarray(stop)
      this.connection.pause()
    }
  }

  private onGreeting(): void {
    const peer = this.greeting.greeting
    if (peer.mechanism !== Mechanism.NULL) {
      throw new EngineError(
        EngineErrorCode.MECHANISM_MISMATCH,
        `peer uses mechanism ${peer.mechanism}, this socket ${Mechanism.NULL}`,
      )
    }
    this.peerMinor = peer.minor
    this.state = State.HANDSHAKE
    const props: [string, Uint8Array | string][] = [[Property.SOCKET_TYPE, this.options.socketType]]
    if (sendsIdentity(this.options.socketType))
      props.push([Property.IDENTITY, this.options.routingId ?? EMPTY])
    if (this.options.metadata !== undefined) {
      const extra = this.options.metadata
      for (const entry of Symbol.iterator in extra
        ? (extra as Iterable<readonly [string, Uint8Array | string]>)
        : Object.entries(extra)) {
        props.push([entry[0], entry[1]])
      }
    }
    this.encoder.command(encodeReady(props))
    this.flush()
  }

  private onFrames(frames: Uint8Array[]): boolean {
    if (this.inputStopped) return false
    if (this.state !== State.READY) {
      throw new EngineError(EngineErrorCode.UNEXPECTED_MESSAGE, "message before the handshake completed")
    }
    return this.deliver(frames)
  }

  /** Hands a message to the socket; false (and `stalled`) when it cannot take more. */
  private deliver(frames: Uint8Array[]): boolean {
    if (this.handler.onMessage(frames) !== false && !this.inputStopped) return true
    this.stalled = true
    return false
  }

  private onCommand(body: Uint8Array): boolean {
    if (this.inputStopped) return false
    const command = parseCommand(body)
    if (this.state === State.HANDSHAKE) {
      if (command.name === Command.READY) return this.onReady(parseMetadata(command.data))
      if (command.name === Command.ERROR) throw this.peerError(command.data)
      throw new EngineError(EngineErrorCode.UNEXPECTED_COMMAND, `${command.name} during the NULL handshake`)
    }
    switch (command.name) {
      case Command.PING: {
        const ping = parsePing(command.data)
        // At most one PONG waits for the transport, as libzmq keeps one pending PONG.
        if (this.written >= this.pongEnd) {
          this.encoder.command(encodePong(ping.context))
          this.pongEnd = this.written + this.encoder.pendingBytes
          this.kick()
        }
        // The peer promises traffic within its TTL (RFC 37); any inbound data cancels the timer.
        if (ping.ttl > 0 && this.ttlTimer === undefined) {
          this.ttlTimer = unrefTimer(
            setTimeout(() => this.heartbeatExpired("the peer's TTL"), ping.ttl * 100),
          )
        }
        return true
      }
      case Command.PONG:
        return true
      case Command.SUBSCRIBE:
        return this.deliver([withPrefix(1, command.data)])
      case Command.CANCEL:
        return this.deliver([withPrefix(0, command.data)])
      case Command.READY:
        throw new EngineError(EngineErrorCode.UNEXPECTED_COMMAND, "a second READY")
      default:
        // Other commands are ignored, as libzmq does once the handshake is over: ERROR too.
        return true
    }
  }

  private onReady(metadata: Metadata): boolean {
    const typeBytes = property(metadata, Property.SOCKET_TYPE)
    const type = typeBytes === undefined ? undefined : socketTypeOf(typeBytes)
    if (type === undefined || !isCompatible(this.options.socketType, type)) {
      throw new EngineError(
        EngineErrorCode.INCOMPATIBLE_SOCKET_TYPE,
        `a ${this.options.socketType} socket cannot talk to ${describeType(typeBytes, type)}`,
      )
    }
    const routingId = property(metadata, Property.IDENTITY) ?? EMPTY
    if (routingId.length > MAX_ROUTING_ID) {
      throw new EngineError(
        EngineErrorCode.BAD_ROUTING_ID,
        `the peer's Identity has ${routingId.length} octets, more than ${MAX_ROUTING_ID}`,
      )
    }
    this.decoder.setMaxFrameSize(undefined)
    this.state = State.READY
    if (this.handshakeTimer !== undefined) {
      clearTimeout(this.handshakeTimer)
      this.handshakeTimer = undefined
    }
    this.startHeartbeats()
    this.handler.onReady({
      socketType: type,
      routingId,
      metadata,
      zmtpMinor: this.peerMinor,
    })
    return this.state === State.READY && !this.inputStopped
  }

  private peerError(data: Uint8Array): EngineError {
    const reason = parseErrorCommand(data)
    return new EngineError(EngineErrorCode.PEER_ERROR, `the peer sent ERROR: ${reason}`, reason)
  }

  private kick(): void {
    if (this.writePending || this.flushing) return
    if (!this.wroteThisTask) {
      this.wroteThisTask = true
      this.schedule(this.endOfTask)
      this.flush()
    } else if (this.encoder.pendingBytes >= MAX_BATCH) {
      this.flush()
    }
  }

  /**
   * Writes coalesced output now, unless the transport is saturated. The socket calls this before it
   * declares a pipe full, so that only messages the transport really cannot take count against the
   * high-water mark, as in libzmq.
   */
  flushPending(): void {
    if (!this.writePending && !this.flushing && this.encoder.pendingBytes > 0) this.flush()
  }

  private readonly endOfTask = (): void => {
    this.wroteThisTask = false
    if (this.writePending || this.encoder.pendingBytes === 0) return
    // Runs from the scheduler, where an exception would reach the event loop.
    try {
      this.flush()
    } catch (err) {
      this.fail(err)
    }
  }

  private onDrain(): void {
    this.writePending = false
    try {
      this.flush()
    } catch (err) {
      this.fail(err)
    }
  }

  private flush(): void {
    if (this.state === State.CLOSED || this.flushing) return
    this.flushing = true
    const encoder = this.encoder
    while (encoder.pendingBytes > 0) {
      const result = this.connection.writeSome(encoder.chunks())
      encoder.consumed(result.written)
      this.written += result.written
      if (!result.canWriteMore) {
        this.writePending = true
        break
      }
    }
    this.flushing = false
    if (encoder.pendingBytes === 0 && this.closing) {
      if (!this.writePending) this.endConnection()
      return
    }
    if (this.retireTaken()) this.handler.onWritable()
  }

  /** Drops the messages the transport has fully taken; true when that emptied the backlog. */
  private retireTaken(): boolean {
    let head = this.messageHead
    const tail = this.messageTail
    if (head === tail) return false
    if (this.encoder.pendingBytes > 0) {
      const ends = this.messageEnds
      while (head < tail && ends[head]! <= this.written) head++
      if (head < tail) {
        if (head > 1024 && head * 2 > tail) {
          // A long run of partial writes: move the live entries down rather than grow forever.
          ends.copyWithin(0, head, tail)
          this.messageTail = tail - head
          head = 0
        }
        this.messageHead = head
        return false
      }
    }
    this.messageHead = 0
    this.messageTail = 0
    return true
  }

  private startHeartbeats(): void {
    const interval = this.options.heartbeatInterval ?? 0
    if (interval <= 0) return
    const ttl = Math.min(0xffff, Math.floor((this.options.heartbeatTimeToLive ?? 0) / 100))
    const timeout = this.options.heartbeatTimeout || interval
    const ping = (): void => {
      this.pingTimer = unrefTimer(setTimeout(ping, timerDelay(interval)))
      // Nothing more is sent once a closing connection has written everything.
      if (this.state !== State.READY || (this.closing && this.encoder.pendingBytes === 0)) return
      // A PING the transport has not taken yet is not followed by another.
      if (this.written >= this.pingEnd) {
        this.encoder.command(encodePing(ttl))
        this.pingEnd = this.written + this.encoder.pendingBytes
        try {
          this.kick()
        } catch (err) {
          this.fail(err)
          return
        }
      }
      if (this.timeoutTimer === undefined) {
        this.timeoutTimer = unrefTimer(
          setTimeout(() => this.heartbeatExpired("the heartbeat timeout"), timerDelay(timeout)),
        )
      }
    }
    this.pingTimer = unrefTimer(setTimeout(ping, timerDelay(interval)))
  }

  private onInboundTraffic(): void {
    // Traffic answers our PING only once the PING has left: a peer that sends but never reads
    // keeps it in our output, and is dropped when the timeout expires.
    if (this.timeoutTimer !== undefined && this.written >= this.pingEnd) {
      clearTimeout(this.timeoutTimer)
      this.timeoutTimer = undefined
    }
    if (this.ttlTimer !== undefined) {
      clearTimeout(this.ttlTimer)
      this.ttlTimer = undefined
    }
  }

  private heartbeatExpired(what: string): void {
    this.timeoutTimer = undefined
    this.ttlTimer = undefined
    this.fail(new EngineError(EngineErrorCode.HEARTBEAT_TIMEOUT, `no traffic from the peer within ${what}`))
  }

  private stopTimers(): void {
    for (const timer of [
      this.handshakeTimer,
      this.pingTimer,
      this.timeoutTimer,
      this.ttlTimer,
      this.closeTimer,
    ]) {
      if (timer !== undefined) clearTimeout(timer)
    }
    this.closeTimer = undefined
    this.handshakeTimer = undefined
    this.pingTimer = undefined
    this.timeoutTimer = undefined
    this.ttlTimer = undefined
  }

  private fail(err: unknown): void {
    if (this.state === State.CLOSED) return
    this.inputStopped = true
    const error = ZlError.isInstance(err) ? err : new ZlError("EPROTO", String(err), { cause: err })
    if (this.failure === undefined) this.failure = error
    this.connection.destroy(error)
  }

  private onConnectionClose(error?: Error): void {
    if (this.state === State.CLOSED || this.closeDeferred) return
    if (error === undefined && this.held !== undefined && this.state === State.READY && !this.inputStopped) {
      // The peer ended cleanly after input the socket has not taken yet: deliver that input first,
      // as libzmq does; a clean end loses nothing that arrived.
      this.closeDeferred = true
      this.stopTimers()
      return
    }
    this.reportClose(error)
  }

  private reportClose(error?: Error): void {
    if (this.state === State.CLOSED) return
    const wasReady = this.state === State.READY
    this.state = State.CLOSED
    this.stopTimers()
    this.held = undefined
    let reason = this.failure
    if (reason === undefined && error !== undefined) {
      reason = ZlError.isInstance(error)
        ? error
        : new ZlError((error as { code?: string }).code ?? "ECONNRESET", error.message, { cause: error })
    }
    try {
      this.handler.onClose(reason, wasReady)
    } catch (err) {
      // Called from the transport's close event: an exception here would reach the event loop.
      ;(this.options.reportError ?? defaultReportError)(err)
    }
  }
}

/**
 * A standard property of the peer's READY. RFC 37 makes names case-insensitive while libzmq matches
 * them exactly: we send libzmq's casing and accept any (wire notes §1.3).
 */
function property(metadata: Metadata, name: string): Uint8Array | undefined {
  const exact = metadata.get(name)
  if (exact !== undefined) return exact
  const lower = name.toLowerCase()
  for (const [key, value] of metadata) if (key.toLowerCase() === lower) return value
  return undefined
}

function withPrefix(prefix: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 1)
  out[0] = prefix
  out.set(data, 1)
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** A peer's `Socket-Type` for an error message, without decoding a value of any size. */
function describeType(bytes: Uint8Array | undefined, type: SocketType | undefined): string {
  if (bytes === undefined) return "a peer without Socket-Type"
  if (type !== undefined) return type
  return `an unknown Socket-Type of ${bytes.length} octets`
}

/**
 * Node clamps a timer delay above 2^31 - 1 ms to 1 ms (with a warning): a huge interval would fire
 * at once, over and over. Such delays wait the longest time a timer can, about 24.8 days.
 */
export function timerDelay(ms: number): number {
  return Math.min(ms, MAX_TIMER_DELAY)
}

const MAX_TIMER_DELAY = 2 ** 31 - 1

/**
 * A connection's timers (handshake, heartbeats, close grace) never keep the process alive by
 * themselves, as libzmq's live in its I/O thread: only a pending operation of the socket does.
 * Where the runtime's timers have no `unref` (a browser), this does nothing.
 */
function unrefTimer<T>(timer: T): T {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

function defaultReportError(error: unknown): void {
  console.error("zlink: an exception in a connection's close handler", error)
}
