/** Byte helpers of the harness: hex, concatenation, a fast content hash. */

/** Lowercase hex without separators. */
export function toHex(bytes: Uint8Array): string {
  let s = ""
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16)
  return s
}

/** Parses hex; whitespace is ignored. Throws on anything else. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "")
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error("not a hex string")
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** The octets of a Latin-1 string, one per character. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

/** Concatenates chunks into one fresh array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const c of chunks) size += c.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const c of chunks) {
    out.set(c, pos)
    pos += c.length
  }
  return out
}

/** True when both arrays hold the same octets. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A 64-bit content hash (two FNV-1a style lanes with different multipliers), as 16 hex digits.
 * Not cryptographic: it names inputs and compares runs.
 */
export class Hash {
  private h1 = 0x811c9dc5
  private h2 = 0x2545f491

  /** Adds octets. */
  bytes(data: Uint8Array): this {
    let h1 = this.h1
    let h2 = this.h2
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!
      h1 = Math.imul(h1 ^ b, 0x01000193)
      h2 = Math.imul(h2 ^ b, 0x5bd1e995)
    }
    this.h1 = h1
    this.h2 = h2 ^ (data.length >>> 0)
    return this
  }

  /** Adds a 32-bit number. */
  number(value: number): this {
    this.h1 = Math.imul(this.h1 ^ (value >>> 0), 0x01000193)
    this.h2 = Math.imul(this.h2 ^ (value >>> 16), 0x5bd1e995) ^ (value & 0xffff)
    return this
  }

  /** Adds a string's UTF-16 code units. */
  text(value: string): this {
    for (let i = 0; i < value.length; i++) this.number(value.charCodeAt(i))
    return this.number(value.length)
  }

  /** The hash so far, as 16 hex digits. */
  hex(): string {
    const a = Math.imul(this.h1 ^ (this.h1 >>> 15), 0x2c1b3c6d) >>> 0
    const b = Math.imul(this.h2 ^ (this.h2 >>> 13), 0x297a2d39) >>> 0
    return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0")
  }
}

/** The hash of one input: its execution seed and its octets. */
export function inputHash(seed: number, data: Uint8Array): string {
  return new Hash().number(seed).bytes(data).hex()
}
