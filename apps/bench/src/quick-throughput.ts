/**
 * Quick throughput: PAIR over tcp, sender and receiver in two processes, `await send()` per message
 * as a user writes it. zlink -> zlink and zeromq -> zeromq run alternately in the same run; the median
 * of the repetitions is kept and the ratio printed. With `taskset` present, the receiver is pinned to
 * core 0 and the sender to core 1.
 *
 *   pnpm --filter @zl/bench quick [--count 200000] [--size 64] [--reps 3]
 */
import { execFileSync, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

type Impl = "zlink" | "zeromq"
type Zmq = typeof import("zeromq")

interface Args {
  count: number
  size: number
  reps: number
}

function args(): Args {
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "200000" },
      size: { type: "string", default: "64" },
      reps: { type: "string", default: "3" },
    },
    strict: false,
  })
  return { count: Number(values.count), size: Number(values.size), reps: Number(values.reps) }
}

async function load(impl: Impl): Promise<Zmq> {
  return (impl === "zlink" ? await import("zlink") : await import("zeromq")) as unknown as Zmq
}

/** Child: receives `count` messages, checks each, reports messages/s from first to last. */
async function receiver(impl: Impl, count: number, size: number): Promise<void> {
  const zmq = await load(impl)
  const socket = new zmq.Pair()
  await socket.bind("tcp://127.0.0.1:*")
  process.send!({ endpoint: socket.lastEndpoint })
  let received = 0
  let start = 0
  for await (const [message] of socket) {
    if (received === 0) start = performance.now()
    if (message!.length !== size) throw new Error(`message ${received} has ${message!.length} bytes`)
    if (++received === count) break
  }
  const seconds = (performance.now() - start) / 1000
  process.send!({ rate: (count - 1) / seconds })
  socket.close()
}

/** Child: connects and sends `count` messages with `await send()` each. */
async function sender(impl: Impl, endpoint: string, count: number, size: number): Promise<void> {
  const zmq = await load(impl)
  const socket = new zmq.Pair({ linger: -1 })
  socket.connect(endpoint)
  const message = Buffer.alloc(size, 0x5a)
  for (let i = 0; i < count; i++) await socket.send(message)
  socket.close()
}

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

function spawn(core: number, pin: boolean, argv: string[]) {
  const script = fileURLToPath(import.meta.url)
  const execArgv = ["--import", "tsx"]
  if (!pin) return fork(script, argv, { execArgv })
  return fork(script, argv, {
    execArgv,
    execPath: "taskset",
    // fork() runs execPath with execArgv then the script: taskset -c N node --import tsx script ...
    ...({ execArgv: ["-c", String(core), process.execPath, ...execArgv] } as object),
  })
}

async function once(impl: Impl, a: Args, pin: boolean): Promise<number> {
  const recv = spawn(0, pin, ["receive", impl, String(a.count), String(a.size)])
  const { endpoint } = await new Promise<{ endpoint: string }>((resolve) =>
    recv.once("message", resolve as never),
  )
  const result = new Promise<{ rate: number }>((resolve, reject) => {
    recv.once("message", resolve as never)
    recv.once(
      "exit",
      (code, signal) => code !== 0 && reject(new Error(`${impl} receiver exited with ${code ?? signal}`)),
    )
  })
  const send = spawn(1, pin, ["send", impl, endpoint, String(a.count), String(a.size)])
  const timer = setTimeout(() => {
    recv.kill()
    send.kill()
  }, 120_000)
  const { rate } = await result
  clearTimeout(timer)
  await new Promise((resolve) => (send.exitCode === null ? send.once("exit", resolve) : resolve(null)))
  return rate
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function main(): Promise<void> {
  const [role, impl, ...rest] = process.argv.slice(2)
  if (role === "receive") return receiver(impl as Impl, Number(rest[0]), Number(rest[1]))
  if (role === "send") return sender(impl as Impl, rest[0]!, Number(rest[1]), Number(rest[2]))
  const a = args()
  const pin = hasTaskset()
  console.log(
    `PAIR tcp, ${a.size} B x ${a.count}, await send() per message, ${a.reps} repetitions, ` +
      `${pin ? "receiver on core 0, sender on core 1" : "unpinned (no taskset)"}`,
  )
  const rates: Record<Impl, number[]> = { zeromq: [], zlink: [] }
  for (let rep = 0; rep < a.reps; rep++) {
    for (const impl of ["zeromq", "zlink"] as const) {
      const rate = await once(impl, a, pin)
      rates[impl].push(rate)
      console.log(`  run ${rep + 1} ${impl.padEnd(6)} ${(rate / 1e6).toFixed(3)} M msg/s`)
    }
  }
  const zl = median(rates.zlink)
  const zq = median(rates.zeromq)
  console.log(`median zeromq ${(zq / 1e6).toFixed(3)} M msg/s, zlink ${(zl / 1e6).toFixed(3)} M msg/s`)
  console.log(`ratio zlink / zeromq: ${(zl / zq).toFixed(2)}x`)
}

await main()
