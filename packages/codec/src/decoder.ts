import { FrameFlag, LONG_HEADER_SIZE, MAX_FRAME_SIZE, PART_OVERHEAD, SHORT_HEADER_SIZE } from "./constants.js"
import { type ZmtpError, ZmtpErrorCode, zmtpError } from "./errors.js"

/**
 * Where the decoder delivers what it reads. One method per kind, so that tests can plug in a counting
 * sink and the engine a routing one.
 */
export interface DecoderSink {
  /**
   * A complete message: its frames in order. A frame that sat inside one input chunk is a view of that
   * chunk. Return `false` to stop decoding after this message (backpressure): `write()` then returns how
   * far it got, and the caller feeds the rest later.
   */
  onMessage(frames: Uint8Array[]): boolean | undefined | void
  /** A command frame's body, still to be taken apart with `parseCommand`. A view, like message frames. */
  onCommand(body: Uint8Array): boolean | undefined | void
}

/** Limits of the decoder. */
export interface DecoderOptions {
  /**
   * The largest message accepted, in octets (`ZMQ_MAXMSGSIZE`). A frame is rejected as soon as its
   * header is read, before anything is allocated, when it is larger than this
   * (`ZMTP_ERR_FRAME_TOO_LARGE`, as libzmq does per frame) or when it would take the parts of the
   * message being reassembled past it (`ZMTP_ERR_MESSAGE_TOO_LARGE`): every part before the last
   * counts its size plus {@link PART_OVERHEAD} octets, so an incomplete message never holds more
   * than this. -1 (the default) means no limit beyond the platform's largest buffer per frame.
   */
  maxMessageSize?: number
  /**
   * Allocates the body of a frame that spans input chunks; every octet of it is written before the
   * frame is delivered, so it need not be zeroed (Node passes `Buffer.allocUnsafeSlow`). Default:
   * `new Uint8Array(size)`.
   */
  allocate?: (size: number) => Uint8Array
}

/** Decoder states, as erasable constants. */
const State = {
  /** Waiting for a frame's flags octet. */
  FLAGS: 0,
  /** Reading a short (1) or long (8) size. */
  SIZE: 1,
  /** Reading a body that spans input chunks. */
  BODY: 2,
  /** A protocol error happened; no more input is accepted. */
  FAILED: 3,
} as const
type State = (typeof State)[keyof typeof State]

const TWO_POW_32 = 2 ** 32
const EMPTY = new Uint8Array(0)

const zeroed = (size: number): Uint8Array => new Uint8Array(size)

/**
 * Incremental ZMTP frame decoder over any chunking, 1-octet chunks included.
 *
 * Frames lying inside one input chunk come out as `subarray` views of it; only a frame that spans
 * chunks is copied, into a buffer allocated once its size is known and checked. Multipart messages are
 * reassembled; commands come out separately. A protocol violation throws a `ZmtpError` and leaves the
 * decoder failed: the connection must be closed.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({ onMessage: (frames) => queue.push(frames), onCommand: handleCommand },
 *   { maxMessageSize: 1 << 20 })
 * connection.onData((chunk) => decoder.write(chunk))
 * ```
 */
export class Decoder {
  private readonly sink: DecoderSink
  /** The largest frame accepted now (lowered during a handshake, see `setMaxFrameSize`). */
  private maxSize: number
  /** The largest frame `maxMessageSize` allows. */
  private readonly frameLimit: number
  /** `maxMessageSize`, or infinity when there is none. */
  private readonly messageLimit: number
  /** Octets the parts being reassembled count against `messageLimit`. */
  private held = 0
  /** The largest data frame the message being reassembled can still take. */
  private room: number
  private state: State = State.FLAGS
  private flags = 0
  /** Header octets of a header that spans chunks. */
  private readonly header = new Uint8Array(LONG_HEADER_SIZE)
  private readonly allocate: (size: number) => Uint8Array
  private headerHave = 0
  private headerNeed = 0
  /** Body of a frame that spans chunks. */
  private body: Uint8Array = EMPTY
  private bodyHave = 0
  /** Frames of the message being reassembled. */
  private parts: Uint8Array[] = []
  private failure: ZmtpError | undefined

  constructor(sink: DecoderSink, options: DecoderOptions = {}) {
    this.sink = sink
    this.allocate = options.allocate ?? zeroed
    const max = options.maxMessageSize ?? -1
    this.frameLimit = max < 0 ? MAX_FRAME_SIZE : Math.min(max, MAX_FRAME_SIZE)
    this.messageLimit = max < 0 ? Number.POSITIVE_INFINITY : max
    this.maxSize = this.frameLimit
    this.room = this.frameLimit
  }

  /**
   * Lowers the largest frame accepted below `maxMessageSize` (never above it): an engine bounds
   * what a peer may send before its handshake completes. `undefined` restores `maxMessageSize`.
   */
  setMaxFrameSize(size: number | undefined): void {
    this.maxSize = size === undefined ? this.frameLimit : Math.min(size, this.frameLimit)
    this.room = Math.min(this.maxSize, this.messageLimit - this.held)
  }

  /** True between messages: no frame or multipart message is half-read. */
  get idle(): boolean {
    return this.state === State.FLAGS && this.headerHave === 0 && this.parts.length === 0
  }

  /**
   * Decodes `chunk` from `offset`. Returns the offset where decoding stopped: `chunk.length`, or earlier
   * when the sink returned `false`. Throws a `ZmtpError` on a protocol violation.
   */
  write(chunk: Uint8Array, offset = 0): number {
    if (this.state === State.FAILED) throw this.failure!
    try {
      return this.decode(chunk, offset)
    } catch (err) {
      if ((err as ZmtpError).code?.startsWith("ZMTP_ERR_")) {
        this.state = State.FAILED
        this.failure = err as ZmtpError
      }
      throw err
    }
  }

  /** Call when the stream ends: throws `ZMTP_ERR_TRUNCATED_FRAME` if it ended inside a frame or message. */
  end(): void {
    if (this.state === State.FAILED) throw this.failure!
    if (!this.idle) {
      throw zmtpError(ZmtpErrorCode.TRUNCATED_FRAME, "the stream ended inside a frame or a multipart message")
    }
  }

  private decode(chunk: Uint8Array, offset: number): number {
    const length = chunk.length
    let pos = offset
    if (this.state !== State.FLAGS || this.headerHave > 0) {
      pos = this.resume(chunk, pos)
      if (pos < 0) return length
      if (this.stopped) {
        this.stopped = false
        return pos
      }
    }
    // Fast path: whole frames inside this chunk become views of it.
    while (pos < length) {
      const flags = chunk[pos]!
      let size: number
      let start: number
      if ((flags & FrameFlag.LONG) === 0) {
        if (pos + SHORT_HEADER_SIZE > length) break
        size = chunk[pos + 1]!
        start = pos + SHORT_HEADER_SIZE
      } else {
        if (pos + LONG_HEADER_SIZE > length) break
        size = this.longSize(chunk, pos + 1)
        start = pos + LONG_HEADER_SIZE
      }
      if (size > ((flags & FrameFlag.COMMAND) === 0 ? this.room : this.maxSize)) this.tooLarge(flags, size)
      if (start + size > length) break
      pos = start + size
      if (this.deliver(flags, chunk.subarray(start, pos)) === false) return pos
    }
    if (pos < length) this.begin(chunk, pos)
    return length
  }

  /** Set when the sink asked to stop while a spanning frame completed. */
  private stopped = false

  /** Starts a frame whose header or body runs past the end of `chunk`. */
  private begin(chunk: Uint8Array, pos: number): void {
    this.flags = chunk[pos]!
    this.header[0] = this.flags
    this.headerHave = 1
    this.headerNeed = (this.flags & FrameFlag.LONG) === 0 ? SHORT_HEADER_SIZE : LONG_HEADER_SIZE
    this.state = State.SIZE
    if (pos + 1 < chunk.length) this.resume(chunk, pos + 1)
  }

  /**
   * Continues a frame that spans chunks. Returns the offset after it, or -1 when the chunk ran out
   * first (everything in it was taken).
   */
  private resume(chunk: Uint8Array, pos: number): number {
    const length = chunk.length
    if (this.state === State.SIZE) {
      while (this.headerHave < this.headerNeed && pos < length) this.header[this.headerHave++] = chunk[pos++]!
      if (this.headerHave < this.headerNeed) return -1
      const size = this.headerNeed === SHORT_HEADER_SIZE ? this.header[1]! : this.longSize(this.header, 1)
      if (size > ((this.flags & FrameFlag.COMMAND) === 0 ? this.room : this.maxSize))
        this.tooLarge(this.flags, size)
      if (pos + size <= length) {
        // The header spanned chunks but the body lies whole in this one: still a view.
        this.headerHave = 0
        this.state = State.FLAGS
        const end = pos + size
        if (this.deliver(this.flags, chunk.subarray(pos, end)) === false) this.stopped = true
        return end
      }
      try {
        this.body = this.allocate(size)
      } catch {
        // Out of memory for a size the peer declared: drop the peer as libzmq does (ENOMEM in
        // v2_decoder), with a protocol error that fails the decoder rather than a RangeError.
        throw zmtpError(ZmtpErrorCode.FRAME_TOO_LARGE, `cannot allocate a frame of ${size} octets`)
      }
      this.bodyHave = 0
      this.state = State.BODY
    }
    const take = Math.min(this.body.length - this.bodyHave, length - pos)
    this.body.set(chunk.subarray(pos, pos + take), this.bodyHave)
    this.bodyHave += take
    pos += take
    if (this.bodyHave < this.body.length) return -1
    const body = this.body
    this.body = EMPTY
    this.headerHave = 0
    this.state = State.FLAGS
    if (this.deliver(this.flags, body) === false) this.stopped = true
    return pos
  }

  private deliver(flags: number, body: Uint8Array): boolean | undefined | void {
    if ((flags & FrameFlag.COMMAND) !== 0) {
      if ((flags & FrameFlag.MORE) !== 0) {
        throw zmtpError(
          ZmtpErrorCode.BAD_FLAGS,
          `command frame with MORE set (flags 0x${flags.toString(16)})`,
        )
      }
      return this.sink.onCommand(body)
    }
    // Reserved flag bits 3-7 are ignored, as libzmq does.
    if ((flags & FrameFlag.MORE) !== 0) {
      this.parts.push(body)
      this.held += body.length + PART_OVERHEAD
      this.room = Math.min(this.maxSize, this.messageLimit - this.held)
      return true
    }
    if (this.parts.length === 0) return this.sink.onMessage([body])
    const frames = this.parts
    frames.push(body)
    this.parts = []
    this.held = 0
    this.room = this.maxSize
    return this.sink.onMessage(frames)
  }

  /** Reads an 8-octet big-endian size as two uint32 halves (RFC 37; sizes above 2^53 - 1 are refused). */
  private longSize(bytes: Uint8Array, at: number): number {
    const hi = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
    const lo =
      ((bytes[at + 4]! << 24) | (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!) >>> 0
    if (hi >= 0x80000000) {
      throw zmtpError(ZmtpErrorCode.BAD_SIZE, "frame size has its top bit set")
    }
    if (hi > 0x1fffff) {
      throw zmtpError(ZmtpErrorCode.BAD_SIZE, "frame size exceeds 2^53 - 1")
    }
    return hi * TWO_POW_32 + lo
  }

  private tooLarge(flags: number, size: number): never {
    if (size > this.maxSize) {
      throw zmtpError(
        ZmtpErrorCode.FRAME_TOO_LARGE,
        `frame of ${size} octets exceeds the limit of ${this.maxSize} octets`,
      )
    }
    throw zmtpError(
      ZmtpErrorCode.MESSAGE_TOO_LARGE,
      `a part of ${size} octets takes a ${this.parts.length + 1}-part message past the limit of ${this.messageLimit} octets (flags 0x${flags.toString(16)})`,
    )
  }
}
