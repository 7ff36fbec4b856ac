/**
 * The hub of the mixed soak: `node --expose-gc soak-hub.js zlink`, the zlink process whose memory
 * and handles are measured. It binds a PULL, a PUB, a REP and a ROUTER on tcp and on ipc for its
 * peers to connect to, and connects a PUSH, a SUB, a REQ and a DEALER to every peer that is up. Its
 * sockets live for the whole run (the REQ is made again every few seconds and after a timeout); its
 * peers come and go. Once a second it collects garbage and samples its memory.
 */
import { join } from "node:path"
import { getHeapStatistics } from "node:v8"
import type * as Zlink from "zlink"
import type { RssSample } from "./protocol.js"
import {
  DealerFlow,
  EchoFlow,
  type Flow,
  PublishFlow,
  PullFlow,
  PushFlow,
  Registry,
  RequestFlow,
  SubscribeFlow,
  sleep,
  type Zmq,
} from "./soak-flows.js"
import type { HubEndpoints, HubFinal, HubOps, PeerEndpoints, Report } from "./soak-protocol.js"
import { serveOps } from "./soak-protocol.js"

const zlink = (await import("zlink")) as typeof Zlink
const zmq = zlink as unknown as Zmq

const registry = new Registry()
const samples: RssSample[] = []
const started = performance.now()
let sampler: ReturnType<typeof setInterval> | undefined
let handlesBefore: Record<string, number> = {}
let resourcesBefore: Record<string, number> = {}

let pull: PullFlow | undefined
let pub: PublishFlow | undefined
let rep: EchoFlow | undefined
let router: EchoFlow | undefined
let push: PushFlow | undefined
let sub: SubscribeFlow | undefined
let req: RequestFlow | undefined
let dealer: DealerFlow | undefined
const peers = new Map<string, PeerEndpoints>()

function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

function resources(): Record<string, number> {
  return { ...zlink.context.resources() }
}

function sample(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("the hub needs --expose-gc")
  gc()
  const m = process.memoryUsage()
  samples.push({
    t: (performance.now() - started) / 1000,
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    heapPhysical: getHeapStatistics().total_physical_size,
  })
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("the hub has not started")
  return value
}

function connecting(): [PushFlow, SubscribeFlow, RequestFlow, DealerFlow] {
  return [need(push), need(sub), need(req), need(dealer)]
}

function all(): Flow<{ close(): void; readonly closed: boolean }>[] {
  return [need(pull), need(pub), need(rep), need(router), ...connecting()]
}

type Op<K extends keyof HubOps> = (args: HubOps[K][0]) => Promise<HubOps[K][1]> | HubOps[K][1]

const start: Op<"start"> = async ({ ipcDir, rate, reqRecreateMs }) => {
  // Node opens stdout and stderr lazily; open them before the baseline so they do not count as new.
  void process.stdout
  void process.stderr
  handlesBefore = handleCounts()
  resourcesBefore = resources()
  const both = (name: string) => ["tcp://127.0.0.1:*", `ipc://${join(ipcDir, `hub-${name}.sock`)}`]
  pull = new PullFlow(zmq, "hub PULL <- peer PUSH", "hub", registry, both("pull"), true)
  pub = new PublishFlow(zmq, "hub PUB -> peer SUB", "hub", registry, both("pub"), rate)
  rep = new EchoFlow(zmq, "hub REP <- peer REQ", "hub", registry, "rep", both("rep"))
  router = new EchoFlow(zmq, "hub ROUTER <- peer DEALER", "hub", registry, "router", both("router"))
  push = new PushFlow(zmq, "hub PUSH -> peer PULL", "hub", registry, rate)
  sub = new SubscribeFlow(zmq, "hub SUB <- peer PUB", "hub", registry, 300)
  req = new RequestFlow(zmq, "hub REQ -> peer REP", "hub", registry, rate, 1000, reqRecreateMs)
  dealer = new DealerFlow(zmq, "hub DEALER -> peer ROUTER", "hub", registry, rate, 8, 1000)
  for (const flow of all()) await flow.start()
  sample()
  sampler = setInterval(sample, 1000)
  const endpointsOf = (flow: { endpointsBound(): string[] }) => {
    const [tcp, ipc] = flow.endpointsBound()
    return { tcp: tcp!, ipc: ipc! }
  }
  const endpoints: HubEndpoints = {
    pull: endpointsOf(pull),
    pub: endpointsOf(pub),
    rep: endpointsOf(rep),
    router: endpointsOf(router),
  }
  return endpoints
}

const peerUp: Op<"peerUp"> = ({ tag, endpoints }) => {
  const [toPull, toPub, toRep, toRouter] = connecting()
  peers.set(tag, endpoints)
  toPull.connectTo(endpoints.pull)
  toPub.connectTo(endpoints.pub)
  toRep.connectTo(endpoints.rep)
  toRouter.connectTo(endpoints.router)
  return null
}

const peerDown: Op<"peerDown"> = ({ tag }) => {
  const endpoints = peers.get(tag)
  if (endpoints === undefined) throw new Error(`no peer ${tag}`)
  peers.delete(tag)
  const [toPull, toPub, toRep, toRouter] = connecting()
  toPull.disconnectFrom(endpoints.pull)
  toPub.disconnectFrom(endpoints.pub)
  toRep.disconnectFrom(endpoints.rep)
  toRouter.disconnectFrom(endpoints.router)
  return null
}

const report: Op<"report"> = (): Report => ({ flows: registry.flows, samples })

function same(a: Record<string, number>, b: Record<string, number>): boolean {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
    if ((a[key] ?? 0) !== (b[key] ?? 0)) return false
  return true
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await sleep(20)
}

const stop: Op<"stop"> = async ({ timeoutMs }): Promise<HubFinal> => {
  for (const flow of all()) flow.sending = false
  for (const tag of [...peers.keys()]) peerDown({ tag })
  // Every peer is gone and every endpoint disconnected: the sockets, still open, must hold no peer,
  // engine, queued message or fair-queue source.
  const quiet = () => {
    const r = zlink.context.resources()
    return r.pipes === 0 && r.engines === 0 && r.queued === 0 && r.sources === 0 && r.pendingSends === 0
  }
  await waitFor(quiet, timeoutMs)
  const resourcesQuiet = resources()
  clearInterval(sampler)
  sampler = undefined
  sample()
  for (const flow of all()) await flow.stop()
  await waitFor(() => same(handlesBefore, handleCounts()), timeoutMs)
  return {
    flows: registry.flows,
    samples,
    handlesBefore,
    handlesAfter: handleCounts(),
    resourcesBefore,
    resourcesQuiet,
    resourcesAfter: resources(),
  }
}

serveOps({ start, peerUp, peerDown, report, stop }, String(zlink.version))
