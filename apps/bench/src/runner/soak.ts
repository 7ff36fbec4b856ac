/**
 * The memory check: PUSH_PULL over tcp at full speed, sender and receiver on their own cores, each
 * sampling its RSS and V8 heap once a second from inside its hot loop.
 *
 * The warm-up lasts at least `warmupSeconds` and goes on while V8 is still resizing its heap: it
 * ends a second after the last change of either process's heap reservation (`heapTotal`), at the
 * latest after `maxWarmupSeconds`. V8 grows the young generation in steps (up to 2 x 16 MB
 * semi-spaces on Node 20) as objects survive collections, and a process that allocates little may
 * take tens of seconds to reach the size a busier one reaches at once; that step is sizing, not a
 * leak. A leak keeps growing the reservation (the warm-up then ends at its limit and the growth
 * shows) or grows memory outside the JS heap, which never delays the warm-up. The run lasts
 * `maxWarmupSeconds + seconds`, so at least `seconds` are measured: the baseline is the median of
 * the first five samples after the warm-up and the final figure the median of the last five; the
 * growth between them should stay under 10%.
 */
import type { Impl, RssSample, TransferSpec } from "../child/protocol.js"
import { CallTimeout, Child, ChildFailure, within } from "./child.js"
import { median } from "./stats.js"

export interface SoakProcess {
  baselineMB: number
  finalMB: number
  peakMB: number
  growthPct: number
  /** The same baseline and final medians for the V8 heap in use, to tell a JS leak from heap sizing. */
  heapBaselineMB: number
  heapFinalMB: number
  samples: RssSample[]
}

export interface SoakResult {
  impl: Impl
  status: "ok" | "FAILED"
  reason?: string
  /** Seconds measured at least, after the warm-up. */
  seconds: number
  /** When the warm-up ended (seconds from the start). */
  warmupSeconds: number
  /** The warm-up ran into its limit: V8 was still resizing its heap. */
  warmupCapped?: boolean
  size: number
  messages?: number
  msgsPerSec?: number
  processes: Record<string, SoakProcess>
}

const MB = 1 << 20

/**
 * When the warm-up ends: see the file comment. Where the samples have `heapPhysical`, a change of the
 * reservation's resident part counts too: V8 reserves a grown young generation at once, but its pages
 * become resident only as they are first used, tens of seconds later, and RSS follows them. With
 * `step`, only a change by more than `step` bytes counts: a process that forces a full collection
 * before each sample sees its old generation trimmed and regrown by a page or two all the time,
 * which is not the sizing waited for.
 */
export function warmupEnd(lists: RssSample[][], minimum: number, maximum: number, step = 0): number {
  let last = 0
  for (const samples of lists) {
    for (let i = 1; i < samples.length; i++) {
      const now = samples[i]!
      const before = samples[i - 1]!
      const resized = Math.abs(now.heapTotal - before.heapTotal) > step
      const committed =
        now.heapPhysical !== undefined &&
        before.heapPhysical !== undefined &&
        Math.abs(now.heapPhysical - before.heapPhysical) > step
      if (resized || committed) last = Math.max(last, now.t)
    }
  }
  return Math.round(Math.min(maximum, Math.max(minimum, last + 1)) * 10) / 10
}

/** Baseline, final and peak figures of one process's samples, after the warm-up. */
export function analyse(samples: RssSample[], warmup: number): SoakProcess {
  const after = samples.filter((s) => s.t >= warmup)
  const use = after.length >= 2 ? after : samples
  const mb = use.map((s) => s.rss / MB)
  const heap = use.map((s) => s.heapUsed / MB)
  const baselineMB = median(mb.slice(0, 5))
  const finalMB = median(mb.slice(-5))
  return {
    baselineMB,
    finalMB,
    heapBaselineMB: median(heap.slice(0, 5)),
    heapFinalMB: median(heap.slice(-5)),
    peakMB: Math.max(...mb),
    growthPct: ((finalMB - baselineMB) / baselineMB) * 100,
    samples,
  }
}

export async function runSoak(options: {
  impl: Impl
  seconds: number
  warmupSeconds: number
  maxWarmupSeconds: number
  size: number
  worker: string
  onStep?(text: string): void
}): Promise<SoakResult> {
  const { impl, seconds, size } = options
  const maxWarmup = Math.max(options.warmupSeconds, options.maxWarmupSeconds)
  const total = maxWarmup + seconds
  const base = { impl, seconds, warmupSeconds: maxWarmup, size }
  const receiver = new Child(options.worker, impl, 0, `${impl} soak receiver`)
  const sender = new Child(options.worker, impl, 1, `${impl} soak sender`)
  const limit = total * 1000 + 60_000
  const spec: TransferSpec = {
    pattern: "PUSH_PULL",
    transport: "tcp",
    size,
    durationMs: total * 1000,
    verify: false,
    sampleRss: true,
  }
  try {
    await within(Promise.all([receiver.ready, sender.ready]), 30_000, "starting the processes")
    const endpoint = await within(receiver.call("recv.prepare", spec), 10_000, "binding the receiver")
    await within(sender.call("send.prepare", { ...spec, endpoint }), 10_000, "connecting the sender")
    await within(receiver.call("recv.synced", null), 10_000, "waiting for the connection")
    options.onStep?.(`${impl}: ${total} s at full speed`)
    const [sent, received] = await within(
      Promise.all([sender.call("send.run", null), receiver.call("recv.result", null)]),
      limit,
      "transferring",
    )
    const finish = await within(sender.call("send.finish", null), 10_000, "finishing the sender")
    if (sent.sent !== received.received) throw new Error(`sent ${sent.sent}, received ${received.received}`)
    const senderSamples = finish.rss ?? []
    const receiverSamples = received.rss ?? []
    const warmup = warmupEnd([senderSamples, receiverSamples], options.warmupSeconds, maxWarmup)
    return {
      ...base,
      warmupSeconds: warmup,
      ...(warmup >= maxWarmup && maxWarmup > options.warmupSeconds ? { warmupCapped: true } : {}),
      status: "ok",
      messages: received.received,
      msgsPerSec: received.received / received.seconds,
      processes: {
        sender: analyse(senderSamples, warmup),
        receiver: analyse(receiverSamples, warmup),
      },
    }
  } catch (error) {
    const reason =
      error instanceof CallTimeout || error instanceof ChildFailure || error instanceof Error
        ? error.message
        : String(error)
    return { ...base, status: "FAILED", reason, processes: {} }
  } finally {
    receiver.kill()
    sender.kill()
    await Promise.all([receiver.whenExited(), sender.whenExited()])
  }
}
