import { rethrow, zmqError } from "./errors.js"
import { stateOf } from "./internal.js"
import type { MessageLike } from "./message.js"
import { receiveWithSignal, type Socket } from "./socket.js"

interface Endpoint {
  receive?(): Promise<Buffer[]>
  send?(message: MessageLike | MessageLike[]): Promise<void>
}

/**
 * Forwards messages between a front-end and a back-end socket in both directions where the socket
 * types allow it (`zmq_proxy_steerable`): ROUTER/DEALER brokers, XSUB/XPUB forwarders, PULL/PUSH
 * streamers.
 *
 * @example
 * ```ts
 * const proxy = new Proxy(new Router(), new Dealer())
 * await proxy.frontEnd.bind("tcp://*:5559")
 * await proxy.backEnd.bind("tcp://*:5560")
 * await proxy.run() // resolves after proxy.terminate()
 * ```
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the zeromq v6 API names this class Proxy.
export class Proxy<F extends Socket = Socket, B extends Socket = Socket> {
  readonly frontEnd: F
  readonly backEnd: B
  private running = false
  private paused = false
  private terminated = false
  private readonly aborter = new AbortController()
  private resumers: (() => void)[] = []

  constructor(frontEnd: F, backEnd: B) {
    this.frontEnd = frontEnd
    this.backEnd = backEnd
  }

  /**
   * Runs until `terminate()`; rejects if a socket fails or is closed meanwhile. As with zeromq, both
   * sockets must be bound or connected first (`EINVAL`).
   */
  run(): Promise<void> {
    if (stateOf(this.frontEnd).endpoints === 0) {
      throw zmqError("EINVAL", { message: "Front-end socket must be bound or connected" })
    }
    if (stateOf(this.backEnd).endpoints === 0) {
      throw zmqError("EINVAL", { message: "Back-end socket must be bound or connected" })
    }
    if (this.running) throw zmqError("EBUSY", { message: "The proxy is already running" })
    if (this.terminated || this.frontEnd.closed || this.backEnd.closed) throw zmqError("EBADF")
    this.running = true
    const loops: Promise<void>[] = []
    const front = this.frontEnd as unknown as Endpoint
    const back = this.backEnd as unknown as Endpoint
    if (front.receive && back.send) loops.push(this.forward(this.frontEnd, this.backEnd))
    if (back.receive && front.send) loops.push(this.forward(this.backEnd, this.frontEnd))
    return Promise.all(loops).then(
      () => {
        this.running = false
      },
      (err: unknown) => {
        this.running = false
        rethrow(err)
      },
    )
  }

  /** Stops forwarding until `resume()`; messages wait in the sockets. */
  pause(): void {
    this.assertRunning()
    this.paused = true
  }

  /** Resumes forwarding after `pause()`. */
  resume(): void {
    this.assertRunning()
    this.paused = false
    for (const resume of this.resumers.splice(0)) resume()
  }

  /** Stops the proxy; `run()` resolves. The sockets stay open. */
  terminate(): void {
    this.assertRunning()
    this.terminated = true
    this.aborter.abort()
    for (const resume of this.resumers.splice(0)) resume()
  }

  private assertRunning(): void {
    // zeromq fails commands to a proxy that is not running with EBADF.
    if (!this.running || this.terminated) throw zmqError("EBADF")
  }

  private async forward(from: Socket, to: Socket): Promise<void> {
    const signal = this.aborter.signal
    const sink = to as unknown as Required<Endpoint>
    while (!this.terminated) {
      let message: Buffer[]
      try {
        message = await receiveWithSignal(from, signal)
      } catch (err) {
        if (this.terminated) return
        throw err
      }
      while (this.paused && !this.terminated)
        await new Promise<void>((resolve) => this.resumers.push(resolve))
      await sink.send(message)
    }
  }
}
