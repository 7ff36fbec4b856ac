/**
 * The memory check: PUSH_PULL over tcp at full speed for a while, sender and receiver on their own
 * cores, each sampling its RSS once a second from inside its hot loop. After the warm-up, the median
 * of the first five samples is the baseline and the median of the last five the final figure; the
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
  seconds: number
  warmupSeconds: number
  size: number
  messages?: number
  msgsPerSec?: number
  processes: Record<string, SoakProcess>
}

const MB = 1 << 20

function analyse(samples: RssSample[], warmup: number): SoakProcess {
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
  size: number
  worker: string
  onStep?(text: string): void
}): Promise<SoakResult> {
  const { impl, seconds, size } = options
  const warmup = Math.min(options.warmupSeconds, seconds / 3)
  const base = { impl, seconds, warmupSeconds: warmup, size }
  const receiver = new Child(options.worker, impl, 0, `${impl} soak receiver`)
  const sender = new Child(options.worker, impl, 1, `${impl} soak sender`)
  const limit = seconds * 1000 + 60_000
  const spec: TransferSpec = {
    pattern: "PUSH_PULL",
    transport: "tcp",
    size,
    durationMs: seconds * 1000,
    verify: false,
    sampleRss: true,
  }
  try {
    await within(Promise.all([receiver.ready, sender.ready]), 30_000, "starting the processes")
    const endpoint = await within(receiver.call("recv.prepare", spec), 10_000, "binding the receiver")
    await within(sender.call("send.prepare", { ...spec, endpoint }), 10_000, "connecting the sender")
    await within(receiver.call("recv.synced", null), 10_000, "waiting for the connection")
    options.onStep?.(`${impl}: ${seconds} s at full speed`)
    const [sent, received] = await within(
      Promise.all([sender.call("send.run", null), receiver.call("recv.result", null)]),
      limit,
      "transferring",
    )
    const finish = await within(sender.call("send.finish", null), 10_000, "finishing the sender")
    if (sent.sent !== received.received) throw new Error(`sent ${sent.sent}, received ${received.received}`)
    return {
      ...base,
      status: "ok",
      messages: received.received,
      msgsPerSec: received.received / received.seconds,
      processes: {
        sender: analyse(finish.rss ?? [], warmup),
        receiver: analyse(received.rss ?? [], warmup),
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
