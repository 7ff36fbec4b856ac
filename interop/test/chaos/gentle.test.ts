/**
 * The chaos matrix under non-destructive faults: chunks split down to single octets, delayed pieces
 * and stalled reads. Every pattern must deliver every message exactly once and in order, in both
 * directions where it has two (see cells.ts).
 */
import { chaosMatrix } from "./matrix.js"

/** Cells that fail because of a known bug, by id (see matrix.ts); each must keep failing. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map()

chaosMatrix("gentle", KNOWN_FAILURES)
