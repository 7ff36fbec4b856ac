/**
 * `GreetingReader` on valid and mutated greetings (ZMTP 3.0, 3.1 and later versions, every
 * mechanism name) in random chunks, often followed by the first frames of a session.
 *
 * Beyond the invariant, every outcome is checked against a model of RFC 37 "Version Negotiation"
 * and libzmq 4.3.5's reading of it: the first octet must be 0xFF, octet 9 must have bit 0 set, the
 * major version must be at least 3, and the mechanism must be NUL-padded `A-Z 0-9 - _ . +`.
 */
import { GreetingReader } from "@zl/codec"
import { chunks } from "../chunks.js"
import { mutate } from "../mutate.js"
import { Rng } from "../prng.js"
import { check, expectTyped, type FuzzInput, type Target } from "../target.js"
import { commandFrame, greeting, metadata, prop, randomGreeting, StreamBuilder } from "../wire.js"

/** What a greeting must produce: an error code, "incomplete", or the parsed fields. */
type Verdict =
  | { readonly kind: "error"; readonly code: string }
  | { readonly kind: "incomplete" }
  | { readonly kind: "complete"; major: number; minor: number; mechanism: string; asServer: boolean }

const MECHANISM_CHAR = /^[A-Z0-9\-_.+]+$/

/** The model: what the first 64 (or fewer) octets must give. */
export function modelGreeting(data: Uint8Array): Verdict {
  const n = Math.min(64, data.length)
  if (n >= 1 && data[0] !== 0xff) return { kind: "error", code: "ZMTP_ERR_BAD_SIGNATURE" }
  if (n >= 10 && (data[9]! & 1) === 0) return { kind: "error", code: "ZMTP_ERR_BAD_SIGNATURE" }
  if (n >= 11 && data[10]! < 3) return { kind: "error", code: "ZMTP_ERR_BAD_VERSION" }
  if (n < 64) return { kind: "incomplete" }
  let end = 12
  while (end < 32 && data[end] !== 0) end++
  for (let i = end; i < 32; i++) if (data[i] !== 0) return { kind: "error", code: "ZMTP_ERR_BAD_MECHANISM" }
  let mechanism = ""
  for (let i = 12; i < end; i++) mechanism += String.fromCharCode(data[i]!)
  if (!MECHANISM_CHAR.test(mechanism)) return { kind: "error", code: "ZMTP_ERR_BAD_MECHANISM" }
  const major = data[10]!
  // A later major version is spoken to as 3.1 (libzmq's `stream_engine` picks the highest it knows).
  return { kind: "complete", major, minor: major > 3 ? 1 : data[11]!, mechanism, asServer: data[32] === 1 }
}

/** Feeds `pieces` and returns what the reader said, and how many octets it took in all. */
function read(pieces: Iterable<Uint8Array>): { verdict: Verdict; taken: number } {
  const reader = new GreetingReader()
  let taken = 0
  for (const piece of pieces) {
    const r = expectTyped(() => reader.feed(piece))
    if (!r.ok) {
      // A failed reader stays failed with the same code, and so does end().
      const again = expectTyped(() => reader.feed(new Uint8Array([0xff])))
      check(
        !again.ok && again.code === r.code,
        `after ${r.code}, feed() gave ${again.ok ? "no error" : again.code}`,
      )
      const end = expectTyped(() => reader.end())
      check(!end.ok && end.code === r.code, `after ${r.code}, end() gave ${end.ok ? "no error" : end.code}`)
      return { verdict: { kind: "error", code: r.code }, taken }
    }
    check(r.value >= 0 && r.value <= piece.length, `feed() took ${r.value} of ${piece.length}`)
    taken += r.value
    check(reader.length === taken, `length ${reader.length} after taking ${taken}`)
    if (reader.complete) {
      check(taken === 64, `complete after ${taken} octets`)
      check(reader.feed(piece) === 0, "feed() took octets past a complete greeting")
      const g = reader.greeting
      const end = expectTyped(() => reader.end())
      check(end.ok, "end() failed after a complete greeting")
      return {
        verdict: {
          kind: "complete",
          major: g.major,
          minor: g.minor,
          mechanism: g.mechanism,
          asServer: g.asServer,
        },
        taken,
      }
    }
    check(r.value === piece.length, `feed() took ${r.value} of ${piece.length} with the greeting incomplete`)
  }
  const end = expectTyped(() => reader.end())
  check(
    !end.ok && end.code === "ZMTP_ERR_TRUNCATED_GREETING",
    `end() of a short greeting gave ${end.ok ? "no error" : end.code}`,
  )
  return { verdict: { kind: "incomplete" }, taken }
}

function same(a: Verdict, b: Verdict): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

const target: Target = {
  name: "greeting",
  description:
    "GreetingReader on greetings of every version and mechanism, in random chunks; checked against RFC 37",
  generate(rng, context): FuzzInput {
    const b = new StreamBuilder().push(greeting(randomGreeting(rng)))
    // Octets after the greeting belong to the caller: the reader must leave them alone.
    if (rng.chance(0.3)) b.push(commandFrame("READY", metadata([prop("Socket-Type", "DEALER")])))
    const piece = b.build()
    const seed = rng.next()
    if (rng.chance(0.2)) return { data: piece.bytes, seed }
    const other = context.recent.length > 0 && rng.chance(0.2) ? rng.pick(context.recent) : undefined
    return { data: mutate(rng, piece, other), seed }
  },
  run(input) {
    const rng = new Rng(input.seed)
    const model = modelGreeting(input.data)
    const whole = read([input.data])
    const split = read(chunks(rng, input.data))
    check(
      same(whole.verdict, model),
      () => `one chunk: ${JSON.stringify(whole.verdict)}, RFC 37: ${JSON.stringify(model)}`,
    )
    check(
      same(split.verdict, model),
      () => `in chunks: ${JSON.stringify(split.verdict)}, RFC 37: ${JSON.stringify(model)}`,
    )
  },
}

export default target
