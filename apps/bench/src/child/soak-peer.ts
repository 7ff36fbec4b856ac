/**
 * A peer of the mixed soak: `node soak-peer.js <zlink|zeromq>`. Over one transport (tcp or ipc) it
 * connects a PUSH, a SUB, a REQ and a DEALER to the hub, and binds a PULL, a REP, a ROUTER and a PUB
 * for the hub to connect to. A stable peer closes and recreates one of its connecting sockets every
 * few seconds; the other peers are killed and started again by the runner.
 */
import { join } from "node:path"
import { getHeapStatistics } from "node:v8"
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
  type Zmq,
} from "./soak-flows.js"
import type { PeerEndpoints, PeerOps, Report } from "./soak-protocol.js"
import { serveOps } from "./soak-protocol.js"

const impl = process.argv[2]
if (impl !== "zlink" && impl !== "zeromq") throw new Error(`unknown implementation ${String(impl)}`)
const zmq = (await import(impl)) as unknown as Zmq

const registry = new Registry()
const samples: RssSample[] = []
const started = performance.now()
let timers: ReturnType<typeof setInterval>[] = []
let flows: Flow<{ close(): void; readonly closed: boolean }>[] = []

function sample(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return
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

type Op<K extends keyof PeerOps> = (args: PeerOps[K][0]) => Promise<PeerOps[K][1]> | PeerOps[K][1]

const start: Op<"start"> = async ({
  tag,
  transport,
  hub,
  ipcDir,
  rate,
  restartEveryMs,
  sample: sampling,
}) => {
  const local = (name: string) =>
    transport === "tcp" ? "tcp://127.0.0.1:*" : `ipc://${join(ipcDir, `${tag}-${process.pid}-${name}.sock`)}`
  const pull = new PullFlow(zmq, "peer PULL <- hub PUSH", tag, registry, [local("pull")], false)
  const rep = new EchoFlow(zmq, "peer REP <- hub REQ", tag, registry, "rep", [local("rep")])
  const router = new EchoFlow(zmq, "peer ROUTER <- hub DEALER", tag, registry, "router", [local("router")])
  const pub = new PublishFlow(zmq, "peer PUB -> hub SUB", tag, registry, [local("pub")], rate)
  const push = new PushFlow(zmq, "peer PUSH -> hub PULL", tag, registry, rate)
  push.connectTo(hub.pull[transport])
  const sub = new SubscribeFlow(zmq, "peer SUB <- hub PUB", tag, registry, 300)
  sub.connectTo(hub.pub[transport])
  const req = new RequestFlow(zmq, "peer REQ -> hub REP", tag, registry, rate, 1000)
  req.connectTo(hub.rep[transport])
  const dealer = new DealerFlow(zmq, "peer DEALER -> hub ROUTER", tag, registry, rate, 8, 1000)
  dealer.connectTo(hub.router[transport])
  const restartable = [push, sub, req, dealer]
  flows = [pull, rep, router, pub, ...restartable]
  for (const flow of flows) await flow.start()
  if (restartEveryMs > 0) {
    let next = 0
    let restarting = false
    timers.push(
      setInterval(() => {
        if (restarting) return
        restarting = true
        const flow = restartable[next++ % restartable.length]!
        flow.restart().finally(() => {
          restarting = false
        })
      }, restartEveryMs),
    )
  }
  if (sampling) {
    sample()
    timers.push(setInterval(sample, 1000))
  }
  const endpoints: PeerEndpoints = {
    pull: pull.endpointsBound()[0]!,
    rep: rep.endpointsBound()[0]!,
    router: router.endpointsBound()[0]!,
    pub: pub.endpointsBound()[0]!,
  }
  return endpoints
}

const report: Op<"report"> = (): Report => ({ flows: registry.flows, samples })

const stop: Op<"stop"> = async (): Promise<Report> => {
  for (const timer of timers) clearInterval(timer)
  timers = []
  for (const flow of flows) await flow.stop()
  flows = []
  return { flows: registry.flows, samples }
}

serveOps({ start, report, stop }, String(zmq.version))
