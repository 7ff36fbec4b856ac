import {
  DEFAULT_COPY_THRESHOLD,
  DEFAULT_SLAB_SIZE,
  FrameFlag,
  LONG_HEADER_SIZE,
  MAX_FRAME_SIZE,
  MAX_SHORT_SIZE,
  SHORT_HEADER_SIZE,
} from "./constants.js"
import { ZlError } from "./errors.js"

/** Tuning of the encoder. The defaults suit TCP; tests shrink them to reach every branch. */
export interface EncoderOptions {
  /** Size of each pooled batch buffer once the output has grown to it. Default 64 KiB. */
  slabSize?: number
  /**
   * Size of the first batch buffer; each later one is twice the last (or what the frame needs), up to
   * `slabSize`. Default 512 octets: a greeting and a READY fit, so a connection that only shakes
   * hands (a port scanner, a health check, a peer that goes at once) or sends little never holds a
   * full slab, while a busy one reaches `slabSize` after a few buffers.
   */
  firstSlabSize?: number
  /**
   * Frames of at most this many octets are copied into the batch buffer, so that many small messages
   * leave in one write; larger bodies are handed out by reference and never copied. Default 8 KiB.
   */
  copyThreshold?: number
  /** Allocates a batch buffer. Node transports pass `Buffer.allocUnsafeSlow`; the default zero-fills. */
  allocate?: (size: number) => Uint8Array
}

const TWO_POW_32 = 2 ** 32
const DEFAULT_FIRST_SLAB_SIZE = 512

function defaultAllocate(size: number): Uint8Array {
  return new Uint8Array(size)
}

/**
 * The ZMTP frame encoder, with zero-copy output (the seed's `get_data`).
 *
 * Messages go in as arrays of frames. Small frames are encoded into a pooled batch buffer, so that a
 * burst of small messages becomes one contiguous chunk; a frame above `copyThreshold` gets its header
 * in the batch and its body handed out by reference. {@link chunks} returns what is ready to write, and
 * after a (possibly partial) write {@link consumed} says how many octets went: the next `chunks()`
 * resumes exactly there.
 *
 * A region of a batch buffer, once handed out, is never written again (a transport may still hold it
 * in its queue); a fresh buffer is allocated when the current one is full.
 *
 * @example
 * ```ts
 * const encoder = new Encoder()
 * encoder.message([topic, payload])
 * const written = connection.writeSome(encoder.chunks())
 * encoder.consumed(written)
 * ```
 */
export class Encoder {
  private readonly slabSize: number
  private readonly copyThreshold: number
  private readonly allocate: (size: number) => Uint8Array
  private slab: Uint8Array
  /** Next free octet of the slab. */
  private pos = 0
  /** Start of the slab region not yet moved to `out`. */
  private sealed = 0
  /** Chunks ready to be written, in wire order. */
  private readonly out: Uint8Array[] = []
  /** Octets encoded and not yet reported written. */
  private pending = 0

  constructor(options: EncoderOptions = {}) {
    this.slabSize = options.slabSize ?? DEFAULT_SLAB_SIZE
    this.copyThreshold = options.copyThreshold ?? DEFAULT_COPY_THRESHOLD
    this.allocate = options.allocate ?? defaultAllocate
    if (this.copyThreshold + LONG_HEADER_SIZE > this.slabSize) {
      throw new ZlError("EINVAL", "copyThreshold plus a frame header must fit in one slab")
    }
    const first = options.firstSlabSize ?? DEFAULT_FIRST_SLAB_SIZE
    if (!Number.isInteger(first) || first < 1) {
      throw new ZlError("EINVAL", `firstSlabSize must be a positive integer, got ${first}`)
    }
    this.slab = this.allocate(Math.min(first, this.slabSize))
  }

  /** Octets encoded and not yet reported written. */
  get pendingBytes(): number {
    return this.pending
  }

  /** Encodes a message: every frame but the last carries MORE. An empty array encodes nothing. */
  message(frames: readonly Uint8Array[]): void {
    const last = frames.length - 1
    for (let i = 0; i < last; i++) this.frame(frames[i]!, FrameFlag.MORE)
    if (last >= 0) this.frame(frames[last]!, 0)
  }

  /** Queues octets to go out as they are, ahead of anything encoded later: the greeting. */
  raw(bytes: Uint8Array): void {
    const size = bytes.length
    if (size <= this.copyThreshold) {
      if (this.pos + size > this.slab.length) this.renew(size)
      this.slab.set(bytes, this.pos)
      this.pos += size
    } else {
      this.seal()
      this.out.push(bytes)
    }
    this.pending += size
  }

  /** Encodes a COMMAND frame whose body was built with `encodeCommand` or one of its siblings. */
  command(body: Uint8Array): void {
    this.frame(body, FrameFlag.COMMAND)
  }

  /** Encodes one frame with the given MORE / COMMAND flags; LONG is set by size, whatever `flags` says. */
  frame(body: Uint8Array, flags: number): void {
    flags &= FrameFlag.MORE | FrameFlag.COMMAND
    const size = body.length
    if (size > MAX_FRAME_SIZE) throw new ZlError("EMSGSIZE", `frame of ${size} octets is too large`)
    const long = size > MAX_SHORT_SIZE
    const header = long ? LONG_HEADER_SIZE : SHORT_HEADER_SIZE
    const inline = size <= this.copyThreshold
    const needed = header + (inline ? size : 0)
    if (this.pos + needed > this.slab.length) this.renew(needed)
    const s = this.slab
    let p = this.pos
    if (long) {
      s[p] = flags | FrameFlag.LONG
      const hi = Math.floor(size / TWO_POW_32)
      s[p + 1] = 0
      s[p + 2] = 0
      s[p + 3] = 0
      s[p + 4] = hi
      s[p + 5] = size >>> 24
      s[p + 6] = (size >>> 16) & 0xff
      s[p + 7] = (size >>> 8) & 0xff
      s[p + 8] = size & 0xff
      p += LONG_HEADER_SIZE
    } else {
      s[p] = flags
      s[p + 1] = size
      p += SHORT_HEADER_SIZE
    }
    if (inline) {
      // A byte loop beats TypedArray#set's call overhead for the smallest bodies.
      if (size <= 16) {
        for (let i = 0; i < size; i++) s[p + i] = body[i]!
      } else {
        s.set(body, p)
      }
      this.pos = p + size
    } else {
      this.pos = p
      this.seal()
      this.out.push(body)
    }
    this.pending += header + size
  }

  /**
   * The chunks to write next, in order: views of batch buffers and, by reference, large bodies. The
   * array is a new one each call; the chunks stay valid until they are reported written.
   */
  chunks(): Uint8Array[] {
    this.seal()
    return this.out.slice()
  }

  /**
   * Reports that the first `written` octets of the last `chunks()` went out. A chunk written in part is
   * replaced by a view of its unwritten rest, so the next `chunks()` resumes exactly there.
   */
  consumed(written: number): void {
    if (!Number.isInteger(written) || written < 0 || written > this.pending) {
      throw new ZlError("EINVAL", `consumed(${written}) with ${this.pending} octets pending`)
    }
    const out = this.out
    let n = written
    let i = 0
    while (n > 0) {
      const chunk = out[i]
      if (chunk === undefined) throw new ZlError("EINVAL", "consumed() past the chunks handed out")
      if (n >= chunk.length) {
        n -= chunk.length
        i++
      } else {
        out[i] = chunk.subarray(n)
        n = 0
      }
    }
    if (i === out.length) out.length = 0
    else if (i > 0) out.splice(0, i)
    this.pending -= written
  }

  private seal(): void {
    if (this.pos > this.sealed) {
      this.out.push(this.slab.subarray(this.sealed, this.pos))
      this.sealed = this.pos
    }
  }

  /** A fresh batch buffer with room for at least `needed` octets (at most `slabSize`, which always has it). */
  private renew(needed: number): void {
    this.seal()
    this.slab = this.allocate(Math.min(this.slabSize, Math.max(needed, this.slab.length * 2)))
    this.pos = 0
    this.sealed = 0
  }
}
