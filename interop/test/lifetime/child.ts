/**
 * One process-lifetime scenario in a process of its own, for `lifetime.test.ts`. Started by `fork()`
 * with `node --import tsx --import ../chaos/sources.mjs child.ts <libzmq|zlink> <scenario>`.
 *
 * It sets the scenario up, prints `ready` on stdout, and then does nothing more of its own: whether
 * the process exits, and when, is what the test measures. A scenario that waits on a pending
 * operation completes it when the test sends `finish` over the IPC channel, whose own handle is
 * unref'd so that it never keeps the process alive. Reports are lines on stdout (synchronous on a
 * pipe, so none is lost at exit); an unexpected error prints `failed <message>`.
 */
import type * as zeromq from "zeromq"

type Zmq = typeof zeromq

const [implementation, scenario] = process.argv.slice(2)
const zmq: Zmq =
  implementation === "zlink" ? ((await import("zlink")) as unknown as Zmq) : await import("zeromq")

let onFinish: (() => unknown) | undefined
process.on("message", (message) => {
  if (message === "finish") void run(() => onFinish?.())
})
// Listening for commands must not be what keeps this process alive.
process.channel?.unref()

function report(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function run(step: () => unknown): Promise<void> {
  try {
    await step()
  } catch (err) {
    report(`failed ${(err as { code?: string }).code ?? ""} ${String(err)}`)
  }
}

/** Reports how a pending operation ended: `resolved`, or `rejected <code>`. */
function settled(operation: Promise<unknown>): void {
  operation.then(
    () => report("resolved"),
    (err: { code?: string }) => report(`rejected ${err.code}`),
  )
}

const endpoint = "tcp://127.0.0.1:*"

/** A port nobody listens on: bound, read, and closed again. */
async function deadEndpoint(): Promise<string> {
  const { createServer } = await import("node:net")
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `tcp://127.0.0.1:${port}`
}

const scenarios: Record<string, () => Promise<void> | void> = {
  /** Sockets that were never used. */
  unused: () => {
    new zmq.Dealer()
    new zmq.Router()
  },

  /** Bound and connected over tcp and ipc, a message exchanged, heartbeats on; nothing closed. */
  "bound and connected": async () => {
    const heartbeats = { heartbeatInterval: 100, heartbeatTimeout: 1000 }
    const router = new zmq.Router(heartbeats)
    await router.bind(endpoint)
    const dealer = new zmq.Dealer(heartbeats)
    dealer.connect(router.lastEndpoint!)
    await dealer.send("hello")
    await router.receive()
    const { tmpdir } = await import("node:os")
    const pull = new zmq.Pull()
    await pull.bind(`ipc://${tmpdir()}/zl-lifetime-${process.pid}.sock`)
    const push = new zmq.Push()
    push.connect(pull.lastEndpoint!)
    await push.send("hello")
    await pull.receive()
  },

  /** Reconnecting to an endpoint nobody listens on. */
  reconnecting: async () => {
    const dealer = new zmq.Dealer({ reconnectInterval: 50 })
    dealer.connect(await deadEndpoint())
  },

  /**
   * Monitor events with a listener (event-emitter mode), which zeromq serves with a receive loop
   * that runs until the socket closes. `finish` closes it.
   */
  "event listeners": async () => {
    const dealer = new zmq.Dealer({ reconnectInterval: 50 })
    let retries = 0
    dealer.events.on("connect:retry", () => retries++)
    dealer.events.on("end", () => report(`end after ${retries > 0 ? "retries" : "no retry"}`))
    dealer.connect(await deadEndpoint())
    onFinish = () => dealer.close()
  },

  /** A send that waits: a DEALER without a peer. `finish` connects it to a ROUTER. */
  "waiting send": () => {
    const dealer = new zmq.Dealer()
    settled(dealer.send("waits"))
    onFinish = async () => {
      const router = new zmq.Router()
      await router.bind(endpoint)
      dealer.connect(router.lastEndpoint!)
    }
  },

  /** A send that waits for at most 1.5 s. */
  "waiting send with a timeout": () => {
    settled(new zmq.Dealer({ sendTimeout: 1500 }).send("waits"))
  },

  /** A PUB drops what nobody subscribed to: its send does not wait. */
  "send without subscribers": () => {
    settled(new zmq.Publisher().send("dropped"))
  },

  /** A receive that waits on a bound PULL. `finish` connects a PUSH that sends one message. */
  "waiting receive": async () => {
    const pull = new zmq.Pull()
    await pull.bind(endpoint)
    settled(pull.receive())
    onFinish = async () => {
      const push = new zmq.Push()
      push.connect(pull.lastEndpoint!)
      await push.send("finally")
    }
  },

  /** A receive that waits for at most 1.5 s. */
  "waiting receive with a timeout": async () => {
    const pull = new zmq.Pull({ receiveTimeout: 1500 })
    await pull.bind(endpoint)
    settled(pull.receive())
  },

  /** `for await` over a socket. `finish` closes it, which ends the loop. */
  "socket iteration": () => {
    const pull = new zmq.Pull()
    pull.connect("inproc://lifetime-nobody")
    settled(
      (async () => {
        for await (const _ of pull) report("message")
      })(),
    )
    onFinish = () => pull.close()
  },

  /** Monitor events read with `for await`. `finish` closes the socket: `end` ends the loop. */
  "events iteration": () => {
    const dealer = new zmq.Dealer()
    settled(
      (async () => {
        for await (const event of dealer.events) report(`event ${event.type}`)
      })(),
    )
    onFinish = () => dealer.close()
  },

  /** A running proxy. `finish` terminates it. */
  "running proxy": async () => {
    const proxy = new zmq.Proxy(new zmq.Router(), new zmq.Dealer())
    await proxy.frontEnd.bind(endpoint)
    await proxy.backEnd.bind(endpoint)
    settled(proxy.run())
    onFinish = () => proxy.terminate()
  },

  /** A message queued for a peer that is not there, linger 2 s, socket left open. */
  "queued, linger 2 s, open": async () => {
    const dealer = new zmq.Dealer({ linger: 2000 })
    dealer.connect(await deadEndpoint())
    await dealer.send("undeliverable")
  },

  /** The same with a linger of 50 ms: it waits that long, too short for the warning. */
  "queued, linger 50 ms, open": async () => {
    const dealer = new zmq.Dealer({ linger: 50 })
    dealer.connect(await deadEndpoint())
    await dealer.send("undeliverable")
  },

  /** The same, closed. */
  "queued, linger 2 s, closed": async () => {
    const dealer = new zmq.Dealer({ linger: 2000 })
    dealer.connect(await deadEndpoint())
    await dealer.send("undeliverable")
    dealer.close()
  },

  /**
   * The same with the default linger (-1, as `blocky` is true): the process waits until the message
   * is delivered, to a peer the test binds on the endpoint it reads from `endpoint <address>`.
   */
  "queued, default linger": async () => {
    const dealer = new zmq.Dealer({ reconnectInterval: 50 })
    const dead = await deadEndpoint()
    dealer.connect(dead)
    await dealer.send("delivered at last")
    report(`endpoint ${dead}`)
  },

  /** `blocky = false`: new sockets get linger 0, and nothing waits. */
  "queued, not blocky": async () => {
    zmq.context.blocky = false
    const dealer = new zmq.Dealer()
    dealer.connect(await deadEndpoint())
    await dealer.send("dropped")
  },

  /** An unreachable bound socket is closed by the garbage collector: its port can be bound again. */
  "garbage collected": async () => {
    let address = ""
    await (async () => {
      const pull = new zmq.Pull()
      await pull.bind(endpoint)
      address = pull.lastEndpoint!
    })()
    const gc = (globalThis as { gc?: () => void }).gc!
    for (let i = 0; i < 10; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const again = new zmq.Pull()
    await again.bind(address)
    report("bound again")
  },

  /** A receive pending on an unreachable socket: collected, closed, the receive fails. */
  "garbage collected while receiving": () => {
    let receive: Promise<unknown> | undefined
    ;(() => {
      const pull = new zmq.Pull()
      pull.connect("inproc://lifetime-nobody")
      receive = pull.receive()
    })()
    settled(receive!)
    const gc = (globalThis as { gc?: () => void }).gc!
    const collect = setInterval(gc, 20)
    collect.unref()
  },
}

const setUp = scenarios[scenario!]
if (setUp === undefined) throw new Error(`no scenario ${scenario}`)
await run(setUp)
report("ready")
