/** What `send` accepts for one frame, as in the `zeromq` package. */
export type MessageLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer | string | number | null

/** Messages come back as Node `Buffer`s, as from the `zeromq` package. */
export type Message = Buffer

const EMPTY = Buffer.alloc(0)

/**
 * One frame as bytes, without copying binary input. As in the `zeromq` package, anything that is not
 * a buffer, an `ArrayBuffer`, a string or null is sent as its text (`String(value)`).
 */
export function toFrame(value: MessageLike): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === "string") return Buffer.from(value, "utf8")
  if (value === null) return EMPTY
  if (typeof value === "number") return Buffer.from(String(value), "utf8")
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  // zeromq 6.8.0 sends a SharedArrayBuffer as the text "[object SharedArrayBuffer]"; its type says it
  // is a message, so zlink sends its bytes.
  if (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)
    return new Uint8Array(value)
  return Buffer.from(`${value as unknown as string}`, "utf8")
}

/** A message as frames: one frame, or an array of them (converted from index `from` on; the caller fills the rest). */
export function toFrames(message: MessageLike | MessageLike[], from = 0): Uint8Array[] {
  if (!Array.isArray(message)) return [toFrame(message)]
  const frames = new Array<Uint8Array>(message.length)
  for (let i = from; i < message.length; i++) frames[i] = toFrame(message[i]!)
  return frames
}

/** Frames as `Buffer`s, viewing the same memory. */
export function toBuffers(frames: Uint8Array[]): Buffer[] {
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!
    if (!Buffer.isBuffer(frame)) frames[i] = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
  }
  return frames as Buffer[]
}

/** A routing id or topic given as a string or bytes. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value
}
