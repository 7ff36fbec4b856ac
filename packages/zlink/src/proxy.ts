import { rethrow, zmqError } from "./errors.js"
import { coreOf, type SocketState, stateOf, validateArguments } from "./internal.js"
import type { MessageLike } from "./message.js"
import type { Socket } from "./socket.js"

const isObject = (value: unknown): boolean => typeof value === "object" && value !== null
const PROXY_ARGUMENTS = [
  [isObject, "Front-end must be a socket object"],
  [isObject, "Back-end must be a socket object"],
] as const

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
    // zeromq's checks, in its order: two objects (TypeError), then sockets (a plain Error, as
    // Node-API's failure to unwrap).
    // biome-ignore lint/complexity/noArguments: the count of arguments is checked, as zeromq does.
    validateArguments(arguments, PROXY_ARGUMENTS)
    if (coreOf(frontEnd) === undefined || coreOf(backEnd) === undefined) throw new Error("Invalid argument")
    this.frontEnd = frontEnd
    this.backEnd = backEnd
  }

  /**
   * Runs until `terminate()`; rejects if a socket fails meanwhile. As with zeromq, both sockets
   * must be bound or connected first (`EINVAL`); while the proxy runs they belong to it (their
   * operations throw `EBUSY`, and a `close()` waits for the end), and when it ends both are closed.
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
    const frontState = stateOf(this.frontEnd)
    const backState = stateOf(this.backEnd)
    const loops: Promise<void>[] = []
    const front = this.frontEnd as unknown as Endpoint
    const back = this.backEnd as unknown as Endpoint
    if (front.receive && back.send) loops.push(this.forward(frontState, backState))
    if (back.receive && front.send) loops.push(this.forward(backState, frontState))
    frontState.block()
    backState.block()
    // A running proxy keeps the process alive, paused or not, as zeromq's does.
    const hold = frontState.context.hold
    hold.acquire()
    const end = (): void => {
      hold.release()
      this.running = false
      this.terminated = true
      this.aborter.abort()
      for (const state of [frontState, backState]) {
        state.unblock(0)
        if (!state.closed) state.close()
      }
    }
    return Promise.all(loops).then(end, (err: unknown) => {
      end()
      rethrow(err)
    })
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

  /** Stops the proxy; `run()` resolves, and both sockets are closed. */
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

  /** Moves messages from one socket to the other, through the core sockets the proxy holds. */
  private async forward(from: SocketState, to: SocketState): Promise<void> {
    const signal = this.aborter.signal
    while (!this.terminated) {
      let message: Uint8Array[]
      try {
        message = await from.core.receive(signal)
      } catch (err) {
        if (this.terminated) return
        throw err
      }
      while (this.paused && !this.terminated)
        await new Promise<void>((resolve) => this.resumers.push(resolve))
      if (this.terminated) return
      await to.core.send(message)
    }
  }
}
