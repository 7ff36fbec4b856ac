/**
 * The ceiling of the inproc throughput cell: the same sender and receiver loops (`await send()` and
 * `await receive()` per message, every message checked) against a socket that does nothing but hand
 * each message to the waiting receiver or queue it. No ZeroMQ implementation can run that loop
 * faster, so zlink's figure is best read against this one. `npx pnpm ceiling` from apps/bench;
 * pin it like the matrix does (`taskset -c 0`) to compare with an inproc cell.
 */
import { Receiver, Sender, type Zmq } from "./child/workloads.js"

const SENT = Promise.resolve()

/** A PUSH or PULL with nothing behind it: one queue shared by every instance (one pair per run). */
class QueueSocket {
  private static queue: Buffer[][] = []
  private static head = 0
  private static waiting: ((message: Buffer[]) => void) | undefined
  readonly lastEndpoint = "inproc://ceiling"

  async bind(): Promise<void> {}
  connect(): void {}
  close(): void {}

  send(payload: Buffer): Promise<void> {
    const message = [payload]
    const waiting = QueueSocket.waiting
    if (waiting !== undefined) {
      QueueSocket.waiting = undefined
      waiting(message)
    } else QueueSocket.queue.push(message)
    return SENT
  }

  receive(): Promise<Buffer[]> {
    const queue = QueueSocket.queue
    if (QueueSocket.head < queue.length) {
      const message = queue[QueueSocket.head++]!
      if (QueueSocket.head === queue.length) {
        queue.length = 0
        QueueSocket.head = 0
      }
      return Promise.resolve(message)
    }
    return new Promise((resolve) => {
      QueueSocket.waiting = resolve
    })
  }
}

const zmq = { Push: QueueSocket, Pull: QueueSocket } as unknown as Zmq
const reps = 5
const rates: number[] = []
for (let rep = 0; rep <= reps; rep++) {
  const spec = {
    pattern: "PUSH_PULL",
    transport: "inproc",
    size: 64,
    durationMs: 500,
    verify: false,
  } as const
  const receiver = new Receiver(zmq, spec)
  const endpoint = await receiver.prepare()
  const sender = new Sender(zmq, { ...spec, endpoint })
  sender.prepare()
  await receiver.whenSynced()
  await sender.run()
  const result = await receiver.whenDone()
  sender.finish()
  receiver.close()
  // The first repetition is the warm-up.
  if (rep > 0) rates.push(result.received / result.seconds)
}
rates.sort((a, b) => a - b)
const median = rates[Math.floor(rates.length / 2)]!
process.stdout.write(
  `PUSH_PULL inproc 64 B against a socket that only queues: ${(median / 1e6).toFixed(2)} M msg/s ` +
    `(median of ${reps} x 0.5 s; runs ${rates.map((r) => (r / 1e6).toFixed(2)).join(", ")})\n`,
)
process.exit(0)
