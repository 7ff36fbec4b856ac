import { Deque } from "./deque.js"
import type { Pipe } from "./pipe.js"

/**
 * Round-robin over a socket's pipes for sending (RFC 28/30 "load balancing"): each message goes to
 * the next pipe that has room; pipes at their high-water mark are skipped and report room later.
 */
export class LoadBalancer {
  private readonly pipes: Pipe[] = []
  private next = 0

  get size(): number {
    return this.pipes.length
  }

  add(pipe: Pipe): void {
    this.pipes.push(pipe)
  }

  remove(pipe: Pipe): void {
    const at = this.pipes.indexOf(pipe)
    if (at < 0) return
    this.pipes.splice(at, 1)
    if (this.next > at) this.next--
    if (this.next >= this.pipes.length) this.next = 0
  }

  /** The next pipe with room, or undefined when every pipe is full (each then reports room later). */
  pick(): Pipe | undefined {
    const pipes = this.pipes
    const n = pipes.length
    for (let i = 0; i < n; i++) {
      const at = (this.next + i) % n
      const pipe = pipes[at]!
      if (pipe.checkWritable()) {
        this.next = (at + 1) % n
        return pipe
      }
    }
    return undefined
  }

  /** True when some pipe has room (does not mark any as blocked). */
  hasRoom(): boolean {
    return this.pipes.some((pipe) => pipe.writable())
  }
}

interface Source<K, T> {
  key: K
  readonly items: Deque<T>
}

/**
 * Fair-queuing of what arrives (RFC 28/30 "fair-queuing", libzmq's `fq_t`): messages wait per source
 * (the pipe they came from), and `shift` takes one from each source that has any in turn, so that a
 * peer with a burst queued cannot starve the others.
 */
export class FairQueue<K, T> {
  private readonly sources = new Map<K, Source<K, T>>()
  /** Sources with messages waiting, in the order they are served. */
  private readonly ring = new Deque<Source<K, T>>()
  private count = 0
  /** The last source that ran empty, kept for reuse: a busy single peer allocates nothing per message. */
  private spare: Source<K, T> | undefined

  /** Messages waiting, over every source. */
  get length(): number {
    return this.count
  }

  push(key: K, item: T): void {
    let source = this.sources.get(key)
    if (source === undefined) {
      source = this.spare ?? { key, items: new Deque() }
      this.spare = undefined
      source.key = key
      this.sources.set(key, source)
      this.ring.push(source)
    }
    source.items.push(item)
    this.count++
  }

  /** The next message in fair order, with its source, or undefined when none waits. */
  shift(): { readonly key: K; readonly item: T } | undefined {
    const source = this.ring.shift()
    if (source === undefined) return undefined
    const item = source.items.shift()!
    this.count--
    // A source with more waiting goes to the back of the ring; an empty one is forgotten.
    if (source.items.length > 0) this.ring.push(source)
    else {
      this.sources.delete(source.key)
      this.spare = source
    }
    return { key: source.key, item }
  }
}
