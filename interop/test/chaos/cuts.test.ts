/**
 * The chaos matrix under destructive faults: connections cut inside the greeting and handshake and
 * mid-frame, by reset, destroy and half-close, each followed by a downtime. What each pattern still
 * promises, and what the cells assert, is listed at the top of cells.ts.
 */
import { chaosMatrix } from "./matrix.js"

/** Cells that fail because of a known bug, by id (see matrix.ts); each must keep failing. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map()

chaosMatrix("destructive", KNOWN_FAILURES)
