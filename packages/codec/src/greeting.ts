import {
  AS_SERVER_OFFSET,
  GREETING_SIZE,
  MECHANISM_OFFSET,
  MECHANISM_SIZE,
  SIGNATURE_END,
  SIGNATURE_SIZE,
  SIGNATURE_START,
  VERSION_MAJOR_OFFSET,
  VERSION_MINOR_OFFSET,
  ZMTP_MAJOR,
  ZMTP_MINOR,
} from "./constants.js"
import { ZlError, type ZmtpError, ZmtpErrorCode, zmtpError } from "./errors.js"

/** A parsed ZMTP 3.x greeting. */
export interface Greeting {
  /** Major version: 3 for every peer this codec accepts (higher majors are read as 3.1, as libzmq does). */
  readonly major: number
  /** Minor version: 0 for a ZMTP 3.0 peer, 1 or higher for 3.1. */
  readonly minor: number
  /** Mechanism name without its NUL padding: `NULL`, `PLAIN`, `CURVE`, ... */
  readonly mechanism: string
  /** The as-server octet. libzmq 4.3.5 always sends 0 and never reads it; roles come from socket options. */
  readonly asServer: boolean
}

/** What to announce in an outgoing greeting. */
export interface GreetingOptions {
  /** Mechanism name, 1 to 20 ASCII characters. Defaults to `NULL`. */
  mechanism?: string
  /** The as-server octet (RFC 37: 1 for the server of PLAIN or CURVE). Defaults to false. */
  asServer?: boolean
  /** The minor version to announce. Defaults to 1 (ZMTP 3.1). */
  minor?: number
}

const MECHANISM_CHAR = /^[A-Z0-9\-_.+]+$/

/**
 * Encodes the 64-octet greeting. The padding octets 1-8 carry a big-endian 1, as libzmq sends them
 * (a ZMTP 1.0 peer reads them as the length of an empty identity), and are never checked on input.
 *
 * @example
 * ```ts
 * connection.write([encodeGreeting({ mechanism: "NULL" })])
 * ```
 */
export function encodeGreeting(options: GreetingOptions = {}): Uint8Array {
  const mechanism = options.mechanism ?? "NULL"
  if (mechanism.length === 0 || mechanism.length > MECHANISM_SIZE || !MECHANISM_CHAR.test(mechanism)) {
    throw new ZlError("EINVAL", `invalid mechanism name ${JSON.stringify(mechanism)}`)
  }
  const out = new Uint8Array(GREETING_SIZE)
  out[0] = SIGNATURE_START
  out[SIGNATURE_SIZE - 2] = 0x01
  out[SIGNATURE_SIZE - 1] = SIGNATURE_END
  out[VERSION_MAJOR_OFFSET] = ZMTP_MAJOR
  out[VERSION_MINOR_OFFSET] = options.minor ?? ZMTP_MINOR
  for (let i = 0; i < mechanism.length; i++) out[MECHANISM_OFFSET + i] = mechanism.charCodeAt(i)
  out[AS_SERVER_OFFSET] = options.asServer ? 1 : 0
  return out
}

/**
 * Reads a peer's greeting incrementally, deciding from the first octets as libzmq does: a bad first
 * octet is rejected as soon as it arrives, the signature is known complete after 10 octets (when libzmq
 * sends its major version) and the major version after 11 (when it sends the rest). Octets past the
 * greeting are left to the caller.
 *
 * @example
 * ```ts
 * const reader = new GreetingReader()
 * const used = reader.feed(chunk)
 * if (reader.complete) startHandshake(reader.greeting, chunk.subarray(used))
 * ```
 */
export class GreetingReader {
  private readonly bytes = new Uint8Array(GREETING_SIZE)
  private received = 0
  private parsed: Greeting | undefined
  /** The error that failed the greeting; it is rethrown on any later input, as the decoder does. */
  private failure: ZmtpError | undefined

  /** Octets received so far (at most 64). */
  get length(): number {
    return this.received
  }

  /** True once the 10-octet signature has arrived and is valid. */
  get signatureComplete(): boolean {
    return this.received >= SIGNATURE_SIZE
  }

  /** The peer's major version, once 11 octets have arrived. */
  get major(): number | undefined {
    return this.received > VERSION_MAJOR_OFFSET ? this.bytes[VERSION_MAJOR_OFFSET] : undefined
  }

  /** True once all 64 octets have arrived and were valid. */
  get complete(): boolean {
    return this.parsed !== undefined
  }

  /** The parsed greeting; throws `EFSM` before it is complete. */
  get greeting(): Greeting {
    if (this.parsed === undefined) throw new ZlError("EFSM", "the greeting is not complete")
    return this.parsed
  }

  /**
   * Takes octets from `chunk` starting at `offset` until the greeting is complete, and returns how many
   * it took. Throws a `ZmtpError` as soon as an octet is known to be wrong, and the same error again on
   * any later call.
   */
  feed(chunk: Uint8Array, offset = 0): number {
    if (this.failure !== undefined) throw this.failure
    const take = Math.min(GREETING_SIZE - this.received, chunk.length - offset)
    if (take <= 0) return 0
    const start = this.received
    this.bytes.set(chunk.subarray(offset, offset + take), start)
    this.received += take
    try {
      this.validate(start, this.received)
    } catch (err) {
      this.failure = err as ZmtpError
      throw err
    }
    return take
  }

  /** Call when the stream ends: throws `ZMTP_ERR_TRUNCATED_GREETING` unless the greeting is complete. */
  end(): void {
    if (this.failure !== undefined) throw this.failure
    if (this.parsed === undefined) {
      throw zmtpError(
        ZmtpErrorCode.TRUNCATED_GREETING,
        `the stream ended after ${this.received} of ${GREETING_SIZE} greeting octets`,
      )
    }
  }

  private validate(from: number, to: number): void {
    const b = this.bytes
    if (from === 0 && b[0] !== SIGNATURE_START) {
      throw zmtpError(ZmtpErrorCode.BAD_SIGNATURE, `greeting starts with 0x${hex(b[0])}, not 0xff`)
    }
    // Octets 1-8 are padding and are not significant (RFC 37).
    if (from < SIGNATURE_SIZE && to >= SIGNATURE_SIZE && (b[SIGNATURE_SIZE - 1]! & 0x01) === 0) {
      throw zmtpError(
        ZmtpErrorCode.BAD_SIGNATURE,
        `signature ends with 0x${hex(b[SIGNATURE_SIZE - 1])}: an unversioned (ZMTP 1.0) peer`,
      )
    }
    if (from <= VERSION_MAJOR_OFFSET && to > VERSION_MAJOR_OFFSET && b[VERSION_MAJOR_OFFSET]! < ZMTP_MAJOR) {
      throw zmtpError(
        ZmtpErrorCode.BAD_VERSION,
        `peer speaks ZMTP ${b[VERSION_MAJOR_OFFSET]}.x; ZMTP 3.0 or later is required`,
      )
    }
    if (to === GREETING_SIZE) this.parsed = this.parse()
  }

  private parse(): Greeting {
    const b = this.bytes
    let end = MECHANISM_OFFSET
    const limit = MECHANISM_OFFSET + MECHANISM_SIZE
    while (end < limit && b[end] !== 0) end++
    for (let i = end; i < limit; i++) {
      if (b[i] !== 0) throw zmtpError(ZmtpErrorCode.BAD_MECHANISM, "mechanism name is not NUL-padded")
    }
    let mechanism = ""
    for (let i = MECHANISM_OFFSET; i < end; i++) mechanism += String.fromCharCode(b[i]!)
    if (!MECHANISM_CHAR.test(mechanism)) {
      throw zmtpError(ZmtpErrorCode.BAD_MECHANISM, `invalid mechanism name ${JSON.stringify(mechanism)}`)
    }
    const major = b[VERSION_MAJOR_OFFSET]!
    return {
      // A peer announcing a later major version is spoken to as 3.1, as libzmq does.
      major,
      minor: major > ZMTP_MAJOR ? ZMTP_MINOR : b[VERSION_MINOR_OFFSET]!,
      mechanism,
      asServer: b[AS_SERVER_OFFSET] === 1,
    }
  }
}

function hex(value: number | undefined): string {
  return (value ?? 0).toString(16).padStart(2, "0")
}
