/**
 * A tour of the socket patterns, written for the `zeromq` v6 package. It runs unchanged on zlink:
 *
 *   pnpm --filter @zl/examples start         # on zeromq (libzmq)
 *   pnpm --filter @zl/examples start:zlink   # the same file, with "zeromq" resolved to "zlink"
 *
 * `pnpm typecheck` compiles it against both packages' declarations (tsconfig.zlink.json for zlink's).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"

const dir = mkdtempSync(join(tmpdir(), "zl-tour-"))

/** REQ/REP over tcp: a client asks, a server answers in upper case. */
async function requestReply(): Promise<void> {
  const server = new zmq.Reply()
  await server.bind("tcp://127.0.0.1:*")
  const client = new zmq.Request()
  client.connect(server.lastEndpoint!)
  const serving = (async () => {
    for await (const [request] of server) {
      await server.send(request!.toString().toUpperCase())
      if (request!.toString() === "bye") break
    }
  })()
  for (const word of ["hello", "zero", "bye"]) {
    await client.send(word)
    const [reply] = await client.receive()
    console.log(`req/rep: ${word} -> ${reply!.toString()}`)
  }
  await serving
  client.close()
  server.close()
}

/** PUB/SUB over ipc: only the subscribed topic arrives. */
async function publishSubscribe(): Promise<void> {
  const pub = new zmq.Publisher()
  await pub.bind(`ipc://${join(dir, "news.ipc")}`)
  const sub = new zmq.Subscriber()
  sub.connect(pub.lastEndpoint!)
  sub.subscribe("news.")
  // Subscriptions travel to the publisher asynchronously: publish a probe until one arrives.
  const probe = setInterval(() => void pub.send(["news.probe", ""]), 10)
  for await (const [topic] of sub) if (topic!.toString() === "news.probe") break
  clearInterval(probe)
  for (const topic of ["sport.1", "news.1", "weather.1", "news.2"])
    await pub.send([topic, `body of ${topic}`])
  await pub.send(["news.end", ""])
  for await (const [topic, body] of sub) {
    if (topic!.toString() === "news.probe") continue
    if (topic!.toString() === "news.end") break
    console.log(`pub/sub: ${topic!.toString()} (${body!.toString()})`)
  }
  sub.close()
  pub.close()
}

/** PUSH/PULL over inproc: a ventilator, two workers, a sink. */
async function pipeline(): Promise<void> {
  const ventilator = new zmq.Push()
  await ventilator.bind("inproc://tasks")
  const sink = new zmq.Pull()
  await sink.bind("inproc://results")
  const workers = [0, 1].map(async () => {
    const tasks = new zmq.Pull()
    tasks.connect("inproc://tasks")
    const results = new zmq.Push()
    results.connect("inproc://results")
    for await (const [task] of tasks) {
      const n = Number(task!.toString())
      await results.send(String(n * n))
      if (n < 0) break
    }
    tasks.close()
    results.close()
  })
  for (let n = 1; n <= 6; n++) await ventilator.send(String(n))
  let sum = 0
  for (let i = 0; i < 6; i++) {
    const [square] = await sink.receive()
    sum += Number(square!.toString())
  }
  console.log(`push/pull: sum of squares 1..6 = ${sum}`)
  await ventilator.send("-1")
  await ventilator.send("-1")
  await Promise.all(workers)
  ventilator.close()
  sink.close()
}

/** ROUTER/DEALER over tcp: the router answers each dealer by its routing id. */
async function routerDealer(): Promise<void> {
  const router = new zmq.Router()
  await router.bind("tcp://127.0.0.1:*")
  const dealers = ["alpha", "beta"].map((routingId) => {
    const dealer = new zmq.Dealer({ routingId })
    dealer.connect(router.lastEndpoint!)
    return dealer
  })
  for (const dealer of dealers) await dealer.send(`hi from ${dealer.routingId}`)
  const seen: string[] = []
  for (let i = 0; i < dealers.length; i++) {
    const [id, body] = await router.receive()
    seen.push(`${id!.toString()}: ${body!.toString()}`)
    await router.send([id!, `welcome ${id!.toString()}`])
  }
  for (const line of seen.sort()) console.log(`router: ${line}`)
  for (const dealer of dealers) {
    const [reply] = await dealer.receive()
    console.log(`dealer ${dealer.routingId}: ${reply!.toString()}`)
    dealer.close()
  }
  router.close()
}

await requestReply()
await publishSubscribe()
await pipeline()
await routerDealer()
rmSync(dir, { recursive: true, force: true })
console.log("tour complete")
