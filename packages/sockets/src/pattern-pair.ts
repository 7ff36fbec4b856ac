import type { Context } from "./context.js"
import type { SocketOptions } from "./options.js"
import type { Pipe } from "./pipe.js"
import { SocketBase } from "./socket-base.js"

/** PAIR (RFC 31): exactly one peer; a second connection is refused. */
export class PairSocket extends SocketBase {
  private pipe: Pipe | undefined

  constructor(context: Context, options?: Partial<SocketOptions>) {
    super("PAIR", context, options)
  }

  protected xattach(pipe: Pipe): void {
    if (this.pipe === undefined) this.pipe = pipe
    else pipe.drop()
  }

  protected xdetach(pipe: Pipe): void {
    if (this.pipe === pipe) this.pipe = undefined
  }

  protected override xsend(frames: readonly Uint8Array[]): boolean {
    const pipe = this.pipe
    if (pipe === undefined || !pipe.checkWritable()) return false
    pipe.write(frames)
    return true
  }

  protected override xwritable(): boolean {
    return this.pipe?.writable() ?? false
  }

  protected override xaccept(pipe: Pipe, frames: Uint8Array[]): Uint8Array[] | null {
    return pipe === this.pipe ? frames : null
  }
}
