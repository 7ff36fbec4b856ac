/**
 * A DEALER process of the scale run: `dealer-process.ts <zlink|libzmq> <maxSockets>`, many DEALERs of
 * one implementation, in groups, driven over IPC (`protocol.ts`).
 */
import type * as Zeromq from "zeromq"
import type { DealerImpl, DealerOps, DealerReport } from "./protocol.js"
import { memoryAfterGc, serve, sleep } from "./serve.js"

type Zmq = typeof Zeromq

const impl = process.argv[2] as DealerImpl
if (impl !== "zlink" && impl !== "libzmq") throw new Error(`unknown implementation ${String(impl)}`)
const zmq = (await import(impl === "zlink" ? "zlink" : "zeromq")) as unknown as Zmq
// libzmq's context refuses sockets beyond ZMQ_MAX_SOCKETS (1023 by default); it is read when the
// context starts, that is before the first socket.
zmq.context.maxSockets = Number(process.argv[3] ?? 1023)

interface Member {
  readonly name: string
  readonly socket: Zeromq.Dealer
}

const groups = new Map<string, Member[]>()

function group(name: string): Member[] {
  const members = groups.get(name)
  if (members === undefined) throw new Error(`no group ${name}`)
  return members
}

function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
}

type Op<K extends keyof DealerOps> = (args: DealerOps[K][0]) => Promise<DealerOps[K][1]> | DealerOps[K][1]

const open: Op<"open"> = ({ group: name, endpoint, names, explicit }) => {
  if (groups.has(name)) throw new Error(`group ${name} exists`)
  const members = names.map((dealer, i) => {
    const socket = new zmq.Dealer({ linger: 0, ...(explicit[i] ? { routingId: dealer } : {}) })
    socket.connect(endpoint)
    return { name: dealer, socket }
  })
  groups.set(name, members)
  return null
}

const send: Op<"send"> = async ({ group: name, requests }) => {
  let sent = 0
  await Promise.all(
    group(name).map(async ({ name: dealer, socket }) => {
      for (let seq = 0; seq < requests; seq++) {
        await socket.send(["req", dealer, String(seq)])
        sent++
      }
    }),
  )
  return sent
}

const collect: Op<"collect"> = async ({ group: name, requests, timeoutMs, graceMs }) => {
  const members = group(name)
  const report: DealerReport = {
    dealers: members.length,
    received: 0,
    foreign: 0,
    outOfOrder: 0,
    missing: 0,
    extra: 0,
    problems: [],
  }
  const problem = (text: string) => {
    if (report.problems.length < 10) report.problems.push(text)
  }
  await Promise.all(
    members.map(async ({ name: dealer, socket }) => {
      socket.receiveTimeout = timeoutMs
      for (let seq = 0; seq < requests; seq++) {
        let message: Buffer[]
        try {
          message = await socket.receive()
        } catch (error) {
          if (codeOf(error) !== "EAGAIN") throw error
          report.missing += requests - seq
          problem(`${dealer}: replies ${seq}..${requests - 1} did not come within ${timeoutMs} ms`)
          return
        }
        const [tag, who, number] = message.map((frame) => frame.toString())
        if (message.length !== 3 || tag !== "rep") {
          report.outOfOrder++
          problem(`${dealer}: malformed reply ${JSON.stringify(message.map(String))}`)
        } else if (who !== dealer) {
          report.foreign++
          problem(`${dealer}: got the reply meant for ${who}`)
        } else if (number !== String(seq)) {
          report.outOfOrder++
          problem(`${dealer}: expected reply ${seq}, got ${number}`)
        } else report.received++
      }
    }),
  )
  // A duplicate would arrive after the last expected reply: give it time, then look without waiting.
  await sleep(graceMs)
  await Promise.all(
    members.map(async ({ name: dealer, socket }) => {
      socket.receiveTimeout = 0
      try {
        const message = await socket.receive()
        report.extra++
        problem(`${dealer}: unexpected message ${JSON.stringify(message.map(String))}`)
      } catch (error) {
        if (codeOf(error) !== "EAGAIN") throw error
      }
    }),
  )
  return report
}

const close: Op<"close"> = ({ group: name }) => {
  for (const { socket } of group(name)) socket.close()
  groups.delete(name)
  return null
}

serve({ open, send, collect, memory: memoryAfterGc, close })
