/**
 * A FIFO queue with O(1) push and shift: an array with a moving head, compacted when the dead
 * prefix grows past half of it. `Array#shift` is O(n) once V8 leaves its fast path.
 */
export class Deque<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes every item for which `drop` returns true, keeping the order of the rest. */
  removeWhere(drop: (item: T) => boolean): number {
    const kept: (T | undefined)[] = []
    let removed = 0
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T
      if (drop(item)) removed++
      else kept.push(item)
    }
    this.items = kept
    this.head = 0
    return removed
  }

  clear(): T[] {
    const rest = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return rest
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T
  }
}
