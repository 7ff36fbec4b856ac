/**
 * The command parsers of `@zl/codec` on valid and mutated command bodies: `parseCommand`, then
 * `parseMetadata`, `parsePing` and `parseErrorCommand` on its data (every parser on every body, so
 * that each sees data shaped for the others too).
 *
 * Beyond the invariant, each result is checked against a model of RFC 37 "Commands", "The NULL
 * Security Mechanism", "Error Command" and "Connection Heartbeating"; results must be views of the
 * input, not copies; and whatever parses with valid names must encode back to the same octets.
 */
import {
  DEFAULT_MAX_PROPERTIES,
  encodeCommand,
  encodeMetadata,
  parseCommand,
  parseErrorCommand,
  parseMetadata,
  parsePing,
} from "@zl/codec"
import { equalBytes } from "../bytes.js"
import { mutate } from "../mutate.js"
import { check, expectTyped, type FuzzInput, type Target } from "../target.js"
import { commandBody, MAX_INPUT, randomCommand } from "../wire.js"

const NAME = /^[A-Za-z0-9\-_.+]+$/

function latin1Text(bytes: Uint8Array, from: number, to: number): string {
  let s = ""
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!)
  return s
}

function isViewOf(part: Uint8Array, whole: Uint8Array, offset: number): boolean {
  return part.buffer === whole.buffer && part.byteOffset === whole.byteOffset + offset
}

/** RFC 37 metadata, read independently: entries in order (a repeated name keeps its first place, last value). */
export function modelMetadata(
  data: Uint8Array,
): { ok: true; entries: [string, number, number][] } | { ok: false; code: string } {
  const entries = new Map<string, [number, number]>()
  let pos = 0
  let count = 0
  const malformed = { ok: false, code: "ZMTP_ERR_MALFORMED_METADATA" } as const
  while (pos < data.length) {
    // docs/limits.md: a property past the 64th is refused before it is read.
    if (++count > DEFAULT_MAX_PROPERTIES) return { ok: false, code: "ZMTP_ERR_METADATA_LIMIT" }
    const nameLength = data[pos]!
    if (nameLength === 0 || pos + 1 + nameLength + 4 > data.length) return malformed
    const name = latin1Text(data, pos + 1, pos + 1 + nameLength)
    pos += 1 + nameLength
    const size = ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0
    pos += 4
    if (size > data.length - pos) return malformed
    entries.set(name, [pos, size])
    pos += size
  }
  return { ok: true, entries: [...entries].map(([name, [at, size]]) => [name, at, size]) }
}

function checkMetadata(data: Uint8Array, checkpoint: () => void): void {
  const model = modelMetadata(data)
  const r = expectTyped(() => parseMetadata(data))
  // The parsed properties are alive here: names are strings made from octets, values views.
  checkpoint()
  if (!model.ok) {
    check(
      !r.ok && r.code === model.code,
      `metadata the model refuses (${model.code}) gave ${r.ok ? "a result" : r.code}`,
    )
    return
  }
  check(r.ok, () => `valid metadata failed with ${r.ok ? "" : r.code}`)
  const got = [...r.value]
  check(
    got.length === model.entries.length,
    `${got.length} properties, the model reads ${model.entries.length}`,
  )
  for (let i = 0; i < got.length; i++) {
    const [name, value] = got[i]!
    const [mName, at, size] = model.entries[i]!
    check(
      name === mName,
      `property ${i} is named ${JSON.stringify(name)}, the model reads ${JSON.stringify(mName)}`,
    )
    check(
      value.length === size && isViewOf(value, data, at),
      `property ${JSON.stringify(name)} is not a view of its value`,
    )
  }
  // Unique valid names encode back to exactly these octets.
  if (got.every(([name]) => NAME.test(name) && name.length <= 255) && got.length === countProperties(data)) {
    check(equalBytes(encodeMetadata(got), data), "metadata does not encode back to its octets")
  }
}

/** How many properties the octets hold (a repeated name counts each time). */
function countProperties(data: Uint8Array): number {
  let n = 0
  let pos = 0
  while (pos < data.length) {
    const nameLength = data[pos]!
    pos += 1 + nameLength
    pos += 4 + (((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0)
    n++
  }
  return n
}

function checkPing(data: Uint8Array): void {
  const r = expectTyped(() => parsePing(data))
  if (data.length < 2) {
    check(!r.ok && r.code === "ZMTP_ERR_MALFORMED_COMMAND_DATA", "a PING without TTL was accepted")
    return
  }
  check(r.ok, "a PING with a TTL failed")
  check(r.value.ttl === ((data[0]! << 8) | data[1]!), `PING TTL ${r.value.ttl}`)
  check(
    r.value.context.length === data.length - 2 && isViewOf(r.value.context, data, 2),
    "PING context is not a view",
  )
}

const utf8 = new TextDecoder()

function checkError(data: Uint8Array): void {
  const r = expectTyped(() => parseErrorCommand(data))
  if (data.length === 0 || 1 + data[0]! > data.length) {
    check(
      !r.ok && r.code === "ZMTP_ERR_MALFORMED_COMMAND_DATA",
      "an ERROR reason running past its data was accepted",
    )
    return
  }
  check(r.ok, "a well-formed ERROR failed")
  check(r.value === utf8.decode(data.subarray(1, 1 + data[0]!)), "ERROR reason differs from its octets")
}

const target: Target = {
  name: "commands",
  description:
    "parseCommand, parseMetadata, parsePing and parseErrorCommand on command bodies; checked against RFC 37",
  generate(rng, context): FuzzInput {
    const { name, data } = randomCommand(rng, 1 + rng.size(rng.chance(0.05) ? MAX_INPUT - 256 : 4096))
    const piece = commandBody(name, data)
    const seed = rng.next()
    if (rng.chance(0.2)) return { data: piece.bytes, seed }
    const other = context.recent.length > 0 && rng.chance(0.2) ? rng.pick(context.recent) : undefined
    return { data: mutate(rng, piece, other), seed }
  },
  run(input, context) {
    const body = input.data
    const nameLength = body.length > 0 ? body[0]! : 0
    const r = expectTyped(() => parseCommand(body))
    let data = body
    if (nameLength === 0 || 1 + nameLength > body.length) {
      check(
        !r.ok && r.code === "ZMTP_ERR_MALFORMED_COMMAND",
        `a malformed command gave ${r.ok ? "a result" : r.code}`,
      )
    } else {
      check(r.ok, () => `a well-formed command failed with ${r.ok ? "" : r.code}`)
      const { name, data: d } = r.value
      check(name === latin1Text(body, 1, 1 + nameLength), "command name differs from its octets")
      check(
        d.length === body.length - 1 - nameLength && isViewOf(d, body, 1 + nameLength),
        "command data is not a view",
      )
      if (NAME.test(name)) check(equalBytes(encodeCommand(name, d), body), "command does not encode back")
      data = d
    }
    checkMetadata(data, context.checkpoint)
    checkPing(data)
    checkError(data)
  },
}

export default target
