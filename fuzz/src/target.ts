/**
 * What a fuzz target is, and the invariant every target checks: zlink's input paths either yield
 * data or throw the codec's typed error. Anything else that escapes is a crash.
 */
import { ZlError } from "@zl/codec"
import type { Rng } from "./prng.js"

/** Input classes a long run can exclude while a known bug is open (`--skip-known`). */
export const KNOWN_CLASSES = {
  "deep-topic":
    "a PUB or XPUB fed subscriptions (SUBSCRIBE / CANCEL, or \\x01 / \\x00 messages) whose topics add up to over 1 KiB",
  "huge-property": "READY metadata with a property value over 1 KiB",
  "long-multipart": "a multipart message (a run of MORE frames) of over 1 000 frames",
  "ping-backlog":
    "an engine with a heartbeat interval under 1/100 of its heartbeat timeout, over a connection that takes a limited budget",
} as const

export type KnownClass = keyof typeof KNOWN_CLASSES

/** One input: the octets a peer sends, and a seed for every other choice (chunking, options, timing). */
export interface FuzzInput {
  readonly data: Uint8Array
  /** Seeds the execution: how the octets are chunked, when the sink stalls, which options are set. */
  readonly seed: number
  /**
   * What the target must produce for this input when it was generated and not mutated. Never saved:
   * a replayed input is checked against the invariant only.
   */
  readonly expect?: unknown
}

/** What a target may read while it generates or runs an input. */
export interface TargetContext {
  /** Recent inputs of this target, for splicing. */
  readonly recent: readonly Uint8Array[]
  readonly skipKnown: ReadonlySet<KnownClass>
  /**
   * Call where the input's state is at its largest (everything delivered, nothing closed yet): the
   * runner may measure the retained heap there, after a full gc, and compare it with the input's
   * size. Does nothing for most inputs (see `runner.ts`, `measured`).
   */
  checkpoint(): void
}

/**
 * A fuzz target. A target file under `src/targets/` exports one as its default export; the runner
 * picks up every such file.
 */
export interface Target {
  /** Short name, used by `--target` and in crash file names. */
  readonly name: string
  /** One line for `--list` and the README. */
  readonly description: string
  /** Builds one input from `rng`: usually a valid structure, mutated most of the time. */
  generate(rng: Rng, context: TargetContext): FuzzInput
  /**
   * True when `input` belongs to a known-bug class that `--skip-known` excludes. Called on every
   * generated input while a class is skipped; such inputs are counted as skipped, not run.
   */
  isKnown?(input: FuzzInput, known: ReadonlySet<KnownClass>): boolean
  /**
   * Runs one input and throws if and only if the invariant or a target check broke. Expected
   * protocol failures are handled inside (see {@link expectTyped}).
   */
  run(input: FuzzInput, context: TargetContext): void | Promise<void>
  /**
   * One large input in this many has its retained heap measured (see `runner.ts`, `measured`).
   * Default 8; a slow target can afford the two full gcs more often.
   */
  readonly measureOneIn?: number
  /** Builds long-lived state (sockets, peers) before the first input. */
  setup?(): Promise<void>
  /** Releases what `setup` built. */
  teardown?(): Promise<void>
}

/** A check of the harness that the code under test broke (not an exception of zlink's own). */
export class ContractViolation extends Error {
  override get name(): string {
    return "ContractViolation"
  }
}

/** Throws a {@link ContractViolation} unless `condition` holds. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new ContractViolation(typeof message === "string" ? message : message())
}

/** Codes zlink may throw for bad input: its own protocol codes and libzmq's errno names. */
const TYPED_CODE = /^(ZMTP_ERR_[A-Z0-9_]+|E[A-Z0-9]+)$/

/**
 * True for the errors bad input may produce: a `ZlError` (any copy) whose `code` is a `ZMTP_ERR_*`
 * protocol code or an errno name such as `EPROTO`.
 */
export function isTypedError(err: unknown): err is ZlError {
  return ZlError.isInstance(err) && typeof err.code === "string" && TYPED_CODE.test(err.code)
}

/**
 * Runs `fn`; returns its value, or the code of the typed error it threw. Any other exception
 * propagates: the runner reports it as a crash.
 */
export function expectTyped<T>(
  fn: () => T,
): { ok: true; value: T } | { ok: false; code: string; error: ZlError } {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    if (isTypedError(err)) return { ok: false, code: err.code, error: err }
    throw err
  }
}
