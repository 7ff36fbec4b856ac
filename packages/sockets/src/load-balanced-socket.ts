import { type Pipe, sendProbe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"
import { LoadBalancer } from "./strategies.js"

/** Shared by DEALER, PUSH and REQ: sending load-balanced over the pipes (RFC 28/30). */
export abstract class LoadBalancedSocket extends SocketBase {
  protected readonly balancer = new LoadBalancer()

  protected xattach(pipe: Pipe): void {
    // ZMQ_PROBE_ROUTER is an option of DEALER and REQ (libzmq's dealer_t), not of PUSH.
    if (this.options.probeRouter && this.type !== "PUSH") sendProbe(pipe)
    this.balancer.add(pipe)
  }

  protected xdetach(pipe: Pipe): void {
    this.balancer.remove(pipe)
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    const pipe = this.balancer.pick()
    if (pipe === undefined) return false
    pipe.write(frames)
    return true
  }

  protected override xwritable(): boolean {
    return this.balancer.hasRoom()
  }
}
