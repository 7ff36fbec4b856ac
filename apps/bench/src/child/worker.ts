/**
 * A child process of the benchmark: `node worker.js <zlink|zeromq|net>`. It loads one implementation
 * (or, for the churn client, none),
 * says it is ready, then performs the operations the runner sends over the IPC channel (see
 * `protocol.ts`). Several operations may be in flight at once: an inproc cell runs both sides here.
 * When the runner goes away, the child goes too.
 */
import { readFileSync } from "node:fs"
import { ChurnServer, churnProgress, runChurn } from "./churn.js"
import type {
  ChurnServeSpec,
  ChurnSpec,
  Loads,
  Op,
  ReadyMessage,
  ReplyMessage,
  RequestMessage,
  TransferSpec,
} from "./protocol.js"
import { Echo, progress, Receiver, runClient, Sender, type Zmq } from "./workloads.js"

const loads = process.argv[2] as Loads
if (loads !== "zlink" && loads !== "zeromq" && loads !== "net")
  throw new Error(`unknown implementation ${String(loads)}`)
// The churn client loads neither: its sockets are node:net's, the same for both implementations.
const zmqOrNone = loads === "net" ? undefined : ((await import(loads)) as unknown as Zmq)
const zmq = zmqOrNone as Zmq

let receiver: Receiver | undefined
let sender: Sender | undefined
let echo: Echo | undefined
let churn: ChurnServer | undefined

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what} prepared`)
  return value
}

async function perform(op: Op, args: unknown): Promise<unknown> {
  if (zmqOrNone === undefined && op !== "churn.run" && op !== "status" && op !== "rss")
    throw new Error(`${op} needs an implementation; this process loaded none`)
  switch (op) {
    case "recv.prepare":
      receiver = new Receiver(zmq, args as TransferSpec)
      return receiver.prepare()
    case "recv.synced":
      return need(receiver, "receiver").whenSynced()
    case "recv.result":
      return need(receiver, "receiver").whenDone()
    case "recv.close":
      need(receiver, "receiver").close()
      receiver = undefined
      return null
    case "send.prepare":
      sender = new Sender(zmq, args as TransferSpec & { endpoint: string })
      sender.prepare()
      return null
    case "send.run":
      return need(sender, "sender").run()
    case "send.finish": {
      const result = need(sender, "sender").finish()
      sender = undefined
      return result
    }
    case "echo.prepare":
      echo = new Echo(zmq, args as TransferSpec)
      return echo.prepare()
    case "echo.finish": {
      const result = need(echo, "echo").finish()
      echo = undefined
      return result
    }
    case "client.run":
      return runClient(zmq, args as TransferSpec & { endpoints: string[] })
    case "churn.serve":
      churn = new ChurnServer(zmq, args as ChurnServeSpec)
      return churn.serve()
    case "churn.stop": {
      const result = await need(churn, "churn server").stop(args as { accepts: number; handshakes: number })
      churn = undefined
      return result
    }
    case "churn.run":
      progress.phase = "churning"
      try {
        return await runChurn(args as ChurnSpec)
      } finally {
        progress.phase = "idle"
      }
    case "status":
      return loads === "net"
        ? { pid: process.pid, ...progress, sent: churnProgress.started, received: churnProgress.done }
        : { pid: process.pid, ...progress }
    case "rss":
      return peakRss()
  }
}

/**
 * Peak RSS of this process in bytes. `process.resourceUsage().maxRSS` cannot be used as is: Linux
 * carries the high-water mark of the forking process (the runner, tens of MB) across fork and exec,
 * so every child would report at least the runner's size. VmHWM in /proc covers this program's
 * own memory only; maxRSS is the fallback where /proc is missing.
 */
function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"))
    if (match) return Number(match[1]) * 1024
  } catch {
    // No /proc: fall through.
  }
  return process.resourceUsage().maxRSS * 1024
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = "code" in error ? ` [${String(error.code)}]` : ""
  return `${error.name}${code}: ${error.message}`
}

process.on("message", (message: RequestMessage) => {
  perform(message.op, message.args).then(
    (value) => reply({ id: message.id, ok: true, value: value ?? null }),
    (error: unknown) => reply({ id: message.id, ok: false, error: describe(error) }),
  )
})

function reply(message: ReplyMessage): void {
  process.send?.(message)
}

// The runner is gone (or done with us): nothing else to do.
process.on("disconnect", () => process.exit(0))

// zlink reports the libzmq version it matches as `version`, and its own as `zlinkVersion`.
const ready: ReadyMessage = {
  ready: true,
  pid: process.pid,
  version:
    zmqOrNone === undefined
      ? `node ${process.version}`
      : String((zmqOrNone as { zlinkVersion?: string }).zlinkVersion ?? zmqOrNone.version),
}
process.send?.(ready)
