const MIN_CAPACITY = 8
/** Below this capacity a drained queue keeps its slots; above it, it shrinks as it drains. */
const KEEP_CAPACITY = 1024

/**
 * A FIFO queue with O(1) push and shift: a ring buffer whose capacity is a power of two. It grows
 * by doubling when full and halves when a quarter full (down to {@link KEEP_CAPACITY}), so a queue
 * that fills and drains at a steady depth never allocates.
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined)
  private head = 0
  private size = 0

  get length(): number {
    return this.size
  }

  push(item: T): void {
    const capacity = this.items.length
    if (this.size === capacity) this.resize(capacity * 2)
    this.items[(this.head + this.size) & (this.items.length - 1)] = item
    this.size++
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.size > 0 ? this.items[this.head] : undefined
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined
    const items = this.items
    const item = items[this.head]
    items[this.head] = undefined
    this.head = (this.head + 1) & (items.length - 1)
    this.size--
    if (items.length > KEEP_CAPACITY && this.size < items.length >>> 2) this.resize(items.length >>> 1)
    return item
  }

  /** Removes every item for which `drop` returns true, keeping the order of the rest. */
  removeWhere(drop: (item: T) => boolean): number {
    const kept = this.clear()
    let removed = 0
    for (const item of kept) {
      if (drop(item)) removed++
      else this.push(item)
    }
    return removed
  }

  /** Empties the queue; returns what it held, oldest first. */
  clear(): T[] {
    const rest = this.toArray()
    this.items = new Array<T | undefined>(MIN_CAPACITY).fill(undefined)
    this.head = 0
    this.size = 0
    return rest
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.items
    const mask = items.length - 1
    for (let i = 0; i < this.size; i++) yield items[(this.head + i) & mask] as T
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.size)
    const items = this.items
    const mask = items.length - 1
    for (let i = 0; i < this.size; i++) out[i] = items[(this.head + i) & mask] as T
    return out
  }

  private resize(capacity: number): void {
    const old = this.items
    const mask = old.length - 1
    const items = new Array<T | undefined>(capacity).fill(undefined)
    for (let i = 0; i < this.size; i++) items[i] = old[(this.head + i) & mask]
    this.items = items
    this.head = 0
  }
}
