/**
 * Bookkeeping of a chaos cell: which sequence numbers were sent (and when), which arrived, and what
 * that makes lost, duplicated, reordered or corrupted. Messages are `varied(seq)` from messages.ts, so
 * a torn, merged or stale frame fails `checkVaried` and counts as corrupted.
 */
import type { Frames } from "../messages.js"
import { checkVaried } from "../messages.js"

/** The counts reported for every flow of every cell. */
export interface Counts {
  sent: number
  received: number
  lost: number
  duplicated: number
  reordered: number
  corrupted: number
}

/** A maximal stretch of consecutive sequence numbers that never arrived. */
export interface LossRun {
  readonly first: number
  readonly last: number
}

/** The sequence number a `varied` message carries in its first four octets, or -1. */
export function seqOf(message: Frames): number {
  const head = message[0]
  return head !== undefined && head.length >= 4 ? head.readUInt32BE(0) : -1
}

/** One stream of sequence numbers 0..n-1 from a sender to a receiver. */
export class Ledger {
  /** When the send of each sequence number that was taken began, and when it completed. */
  readonly sendStart = new Map<number, number>()
  readonly sendDone = new Map<number, number>()
  /** Sequence numbers in the order they arrived (corrupted ones excluded). */
  readonly arrivals: number[] = []
  corrupted = 0
  /** The first corruption seen, for the failure message. */
  firstCorruption: string | undefined
  /** The highest sequence number that arrived so far, -1 before any. */
  highest = -1
  private readonly seen = new Set<number>()
  private readonly listeners = new Set<() => void>()

  /** How many messages the sender handed over. */
  get sent(): number {
    return this.sendDone.size
  }

  /** Records that message `seq` was taken by the socket; its send began at `start`. */
  recordSent(seq: number, start: number): void {
    this.sendStart.set(seq, start)
    this.sendDone.set(seq, performance.now())
  }

  /** Checks and records an arrival; returns its sequence number (-1 when corrupted). */
  recordReceived(message: Frames): number {
    const seq = seqOf(message)
    try {
      checkVaried(message, seq)
    } catch (error) {
      this.corrupted += 1
      this.firstCorruption ??= (error as Error).message
      return -1
    }
    this.arrivals.push(seq)
    this.seen.add(seq)
    if (seq > this.highest) this.highest = seq
    for (const listener of this.listeners) listener()
    return seq
  }

  /** Resolves at the next arrival, or after `ms`; true if something arrived. */
  nextArrival(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (arrived: boolean) => {
        clearTimeout(timer)
        this.listeners.delete(listener)
        resolve(arrived)
      }
      const listener = () => done(true)
      const timer = setTimeout(() => done(false), ms)
      this.listeners.add(listener)
    })
  }

  counts(): Counts {
    let duplicated = 0
    let reordered = 0
    const seen = new Set<number>()
    let highest = -1
    for (const seq of this.arrivals) {
      if (seen.has(seq)) duplicated += 1
      else if (seq < highest) reordered += 1
      seen.add(seq)
      if (seq > highest) highest = seq
    }
    let lost = 0
    for (const seq of this.sendDone.keys()) if (!this.seen.has(seq)) lost += 1
    return {
      sent: this.sent,
      received: this.arrivals.length,
      lost,
      duplicated,
      reordered,
      corrupted: this.corrupted,
    }
  }

  /**
   * The arrivals that came after a later message, split by whether one of `boundaries` (the
   * sender's disconnect events) lies between the two sends: `across` a reconnect, the earlier
   * message went out on an older connection than the one that overtook it; `within`, both could
   * have shared a connection, whose order ZeroMQ keeps.
   */
  reorders(boundaries: readonly number[]): { within: number; across: number } {
    let within = 0
    let across = 0
    const seen = new Set<number>()
    let highest = -1
    for (const seq of this.arrivals) {
      if (!seen.has(seq) && seq < highest) {
        const from = this.sendStart.get(seq)!
        const to = this.sendStart.get(highest)!
        if (boundaries.some((t) => t > from && t < to)) across += 1
        else within += 1
      }
      seen.add(seq)
      if (seq > highest) highest = seq
    }
    return { within, across }
  }

  /** The stretches of consecutive sequence numbers that were sent and never arrived. */
  lossRuns(): LossRun[] {
    const missing = [...this.sendDone.keys()].filter((seq) => !this.seen.has(seq)).sort((x, y) => x - y)
    const runs: LossRun[] = []
    for (const seq of missing) {
      const last = runs[runs.length - 1]
      if (last !== undefined && last.last === seq - 1)
        runs[runs.length - 1] = { first: last.first, last: seq }
      else runs.push({ first: seq, last: seq })
    }
    return runs
  }

  /**
   * The loss runs that cannot be blamed on a cut. Each run must be matched to its own recovery
   * event (a time after which the sender's socket no longer used the cut connection: its
   * `disconnect` event, or for an XPUB the re-subscription that followed), taken in order, such that
   * the run's last message began sending before that event. A message that began sending after every
   * such event went onto a connection that was never cut, and losing it is a bug.
   */
  unexplainedRuns(recoveries: readonly number[]): LossRun[] {
    const times = [...recoveries].sort((x, y) => x - y)
    const unexplained: LossRun[] = []
    let next = 0
    for (const run of this.lossRuns()) {
      const started = this.sendStart.get(run.last)!
      while (next < times.length && times[next]! <= started) next += 1
      if (next < times.length) next += 1
      else unexplained.push(run)
    }
    return unexplained
  }
}

/** Formats counts as a table row. */
export function countsRow(label: string, flow: string, c: Counts, extra = ""): string {
  return `| ${label} | ${flow} | ${c.sent} | ${c.received} | ${c.lost} | ${c.duplicated} | ${c.reordered} | ${c.corrupted} | ${extra} |`
}

export const COUNTS_HEADER = [
  "| cell | flow | sent | received | lost | duplicated | reordered | corrupted | faults |",
  "| ---- | ---- | ---: | -------: | ---: | ---------: | --------: | --------: | ------ |",
]
