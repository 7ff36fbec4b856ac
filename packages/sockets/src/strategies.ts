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

/** Where a socket keeps what arrived until the application takes it. */
export interface Inbox<K, T> {
  /** Items waiting, over every source. */
  readonly length: number
  /** The source of the item the last `shift` returned. */
  readonly lastKey: K | undefined
  push(key: K, item: T): void
  /** The next item (its source then in `lastKey`), or undefined when none waits. */
  shift(): T | undefined
  /**
   * When items of `key` wait, they become `item` alone (keeping their place in the order) and this
   * returns true; otherwise nothing changes and it returns false.
   */
  replace(key: K, item: T): boolean
  /** `key` will add nothing more: what it keeps for that source goes once its items are taken. */
  forget(key: K): void
  /** Removes every waiting item `drop` says yes to; calls `removed(key)` for each. Order is kept. */
  removeWhere(drop: (item: T) => boolean, removed: (key: K) => void): void
  /** Sources with state kept: it must not grow with departed sources. */
  readonly sourceCount: number
}

interface Source<K, T> {
  readonly key: K
  readonly items: Deque<T>
  /** In the ring of sources with items waiting. */
  queued: boolean
  /** Forgotten while items were waiting: dropped once they are taken. */
  gone: boolean
}

/**
 * Fair-queuing of what arrives (RFC 28/30 "fair-queuing", libzmq's `fq_t`): messages wait per source
 * (the pipe they came from), and `shift` takes one from each source that has any in turn, so that a
 * peer with a burst queued cannot starve the others. A source's queue is kept while the source lives,
 * so a busy peer costs no allocation per message.
 */
export class FairQueue<K, T> implements Inbox<K, T> {
  lastKey: K | undefined = undefined
  private readonly sources = new Map<K, Source<K, T>>()
  /** Sources with items waiting, in the order they are served. */
  private readonly ring = new Deque<Source<K, T>>()
  private count = 0
  private lastPushed: Source<K, T> | undefined = undefined

  get length(): number {
    return this.count
  }

  push(key: K, item: T): void {
    // A busy peer sends runs of messages: the source of the last push is checked before the map.
    let source = this.lastPushed
    if (source === undefined || source.key !== key) {
      source = this.sources.get(key)
      if (source === undefined) {
        source = { key, items: new Deque(), queued: false, gone: false }
        this.sources.set(key, source)
      }
      this.lastPushed = source
    }
    source.items.push(item)
    this.count++
    if (!source.queued) {
      source.queued = true
      this.ring.push(source)
    }
  }

  shift(): T | undefined {
    const source = this.ring.shift()
    if (source === undefined) return undefined
    const item = source.items.shift()
    this.count--
    this.lastKey = source.key
    // A source with more waiting goes to the back of the ring.
    if (source.items.length > 0) this.ring.push(source)
    else {
      source.queued = false
      if (source.gone) this.drop(source)
    }
    return item
  }

  replace(key: K, item: T): boolean {
    const source = this.sources.get(key)
    if (source === undefined || source.items.length === 0) return false
    this.count -= source.items.clear().length - 1
    source.items.push(item)
    return true
  }

  forget(key: K): void {
    const source = this.sources.get(key)
    if (source === undefined) return
    if (source.queued) source.gone = true
    else this.drop(source)
  }

  removeWhere(drop: (item: T) => boolean, removed: (key: K) => void): void {
    for (const source of this.ring.toArray()) {
      const count = source.items.removeWhere(drop)
      this.count -= count
      for (let i = 0; i < count; i++) removed(source.key)
    }
    // Sources left with nothing waiting leave the ring, as after their last shift.
    this.ring.removeWhere((source) => {
      if (source.items.length > 0) return false
      source.queued = false
      if (source.gone) this.drop(source)
      return true
    })
  }

  private drop(source: Source<K, T>): void {
    this.sources.delete(source.key)
    if (this.lastPushed === source) this.lastPushed = undefined
  }

  get sourceCount(): number {
    return this.sources.size
  }
}

/** Arrival order over every source, each item remembering its source (libzmq's XPUB input). */
export class ArrivalQueue<K, T> implements Inbox<K, T> {
  lastKey: K | undefined = undefined
  private readonly keys = new Deque<K>()
  private readonly items = new Deque<T>()

  get length(): number {
    return this.items.length
  }

  push(key: K, item: T): void {
    this.keys.push(key)
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.items.length === 0) return undefined
    this.lastKey = this.keys.shift()
    return this.items.shift()
  }

  replace(key: K, item: T): boolean {
    const keys = this.keys.clear()
    const items = this.items.clear()
    let found = false
    for (let i = 0; i < items.length; i++) {
      if (keys[i] !== key) {
        this.keys.push(keys[i]!)
        this.items.push(items[i]!)
      } else if (!found) {
        // The first waiting item of `key` gives its place to the new one; the others go.
        found = true
        this.keys.push(key)
        this.items.push(item)
      }
    }
    return found
  }

  forget(_key: K): void {}

  removeWhere(drop: (item: T) => boolean, removed: (key: K) => void): void {
    const keys = this.keys.clear()
    const items = this.items.clear()
    for (let i = 0; i < items.length; i++) {
      if (drop(items[i]!)) removed(keys[i]!)
      else {
        this.keys.push(keys[i]!)
        this.items.push(items[i]!)
      }
    }
  }

  /** Nothing is kept per source. */
  get sourceCount(): number {
    return 0
  }
}
