/**
 * The ROUTER process of the scale run: one zlink ROUTER bound on tcp://127.0.0.1, driven over IPC
 * (`protocol.ts`). Started with `--expose-gc`, so that its memory can be measured after collection.
 */
import * as zmq from "zlink"
import type { CloseReport, Handles, PeerCounts, Received, RouterLog, RouterOps } from "./protocol.js"
import { handleCounts, memoryAfterGc, serve, sleep, waitUntil } from "./serve.js"

/** Before the first socket exists: what "nothing left behind" is compared with. */
let handlesBefore: Handles = {}

let router: zmq.Router | undefined
const counts: PeerCounts = {
  live: 0,
  accepts: 0,
  handshakes: 0,
  disconnects: 0,
  errors: 0,
  errorSamples: [],
}

function need(): zmq.Router {
  if (router === undefined) throw new Error("no ROUTER bound")
  return router
}

function queuedMessages(): number {
  return zmq.context.resources().queued
}

const ERROR_EVENTS = [
  "accept:error",
  "handshake:error:protocol",
  "handshake:error:auth",
  "handshake:error:other",
] as const

type Op<K extends keyof RouterOps> = (args: RouterOps[K][0]) => Promise<RouterOps[K][1]> | RouterOps[K][1]

const bind: Op<"bind"> = async ({ backlog }) => {
  // Taken with the IPC channel listening and stdout and stderr opened (Node opens them lazily).
  void process.stdout
  void process.stderr
  handlesBefore = handleCounts()
  // Mandatory: a reply that finds no peer fails the run (EHOSTUNREACH) instead of vanishing.
  const socket = new zmq.Router({ mandatory: true, backlog, linger: 0 })
  router = socket
  const events = socket.events
  events.on("accept", () => {
    counts.accepts++
  })
  events.on("handshake", () => {
    counts.handshakes++
    counts.live++
  })
  events.on("disconnect", () => {
    counts.disconnects++
    counts.live--
  })
  for (const type of ERROR_EVENTS) {
    events.on(type, (event) => {
      counts.errors++
      if (counts.errorSamples.length < 5) counts.errorSamples.push(`${type}: ${String(event.error)}`)
    })
  }
  await socket.bind("tcp://127.0.0.1:*")
  const endpoint = socket.lastEndpoint
  if (endpoint === null) throw new Error("bind resolved but lastEndpoint is null")
  return endpoint
}

const peers: Op<"peers"> = async ({ live, timeoutMs }) => {
  await waitUntil(
    () => counts.live === live,
    timeoutMs,
    () => `${counts.live} of ${live} peers connected (${JSON.stringify(counts)})`,
  )
  return { ...counts, errorSamples: [...counts.errorSamples] }
}

const queued: Op<"queued"> = async ({ count, timeoutMs }) => {
  await waitUntil(
    () => queuedMessages() >= count,
    timeoutMs,
    () => `${queuedMessages()} of ${count} requests queued at the ROUTER`,
  )
  return queuedMessages()
}

const serveRequests: Op<"serve"> = async ({ count, timeoutMs }) => {
  const socket = need()
  socket.receiveTimeout = timeoutMs
  const received: Received[] = []
  let malformed = 0
  let replies = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const message = await socket.receive()
    const [id, tag, name, seq] = message
    if (message.length !== 4 || id === undefined || tag?.toString() !== "req" || !name || !seq) {
      malformed++
      continue
    }
    received.push([id.toString("hex"), name.toString(), Number(seq.toString())])
    await socket.send([id, "rep", name, seq])
    replies++
  }
  const log: RouterLog = { received, malformed, replies, seconds: (performance.now() - started) / 1000 }
  return log
}

function sameCounts(a: Handles, b: Handles): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false
  return true
}

const close: Op<"close"> = async ({ timeoutMs }) => {
  const socket = need()
  const beforeClose = zmq.context.resources() as unknown as Record<string, number>
  socket.close()
  router = undefined
  // Node closes handles asynchronously: give the listener and the last connections their turn.
  const deadline = Date.now() + timeoutMs
  let handlesAfter = handleCounts()
  while (!sameCounts(handlesBefore, handlesAfter) && Date.now() < deadline) {
    await sleep(20)
    handlesAfter = handleCounts()
  }
  const report: CloseReport = {
    beforeClose,
    afterClose: zmq.context.resources() as unknown as Record<string, number>,
    handlesBefore,
    handlesAfter,
  }
  return report
}

serve({ bind, peers, memory: memoryAfterGc, queued, serve: serveRequests, close })
