/**
 * Subscription tries: prefix matching of message bodies against subscribed topics, byte by byte.
 * An empty topic subscribes to everything.
 */

interface CountNode {
  /** How many times this exact topic was subscribed. */
  count: number
  children: Map<number, CountNode> | undefined
}

function countNode(): CountNode {
  return { count: 0, children: undefined }
}

/**
 * A reference-counted set of topics: SUB and XSUB keep their own subscriptions in one, to filter what
 * arrives and to replay subscriptions to new peers.
 *
 * @example
 * ```ts
 * const trie = new SubscriptionTrie()
 * trie.add(bytes("weather."))
 * trie.matches(bytes("weather.paris")) // true
 * ```
 */
export class SubscriptionTrie {
  private readonly root = countNode()
  private topics = 0

  /** Distinct topics subscribed. */
  get size(): number {
    return this.topics
  }

  /** Adds one subscription to `topic`; true when the topic was not subscribed before. */
  add(topic: Uint8Array): boolean {
    let node = this.root
    for (let i = 0; i < topic.length; i++) {
      const byte = topic[i]!
      node.children ??= new Map()
      let next = node.children.get(byte)
      if (next === undefined) {
        next = countNode()
        node.children.set(byte, next)
      }
      node = next
    }
    node.count++
    if (node.count === 1) this.topics++
    return node.count === 1
  }

  /** Removes one subscription to `topic`; true when that was its last one. False if it was not subscribed. */
  remove(topic: Uint8Array): boolean {
    const path: CountNode[] = [this.root]
    let node = this.root
    for (let i = 0; i < topic.length; i++) {
      const next = node.children?.get(topic[i]!)
      if (next === undefined) return false
      path.push(next)
      node = next
    }
    if (node.count === 0) return false
    node.count--
    if (node.count > 0) return false
    this.topics--
    // Prune nodes that no longer lead to a subscription.
    for (let i = topic.length; i > 0; i--) {
      const child = path[i]!
      if (child.count > 0 || (child.children !== undefined && child.children.size > 0)) break
      path[i - 1]!.children!.delete(topic[i - 1]!)
    }
    return true
  }

  /** True when some subscribed topic is a prefix of `data`. */
  matches(data: Uint8Array): boolean {
    let node: CountNode | undefined = this.root
    if (node.count > 0) return true
    for (let i = 0; i < data.length; i++) {
      node = node.children?.get(data[i]!)
      if (node === undefined) return false
      if (node.count > 0) return true
    }
    return false
  }

  /** Every distinct topic subscribed. */
  topicsList(): Uint8Array[] {
    const out: Uint8Array[] = []
    const walk = (node: CountNode, prefix: number[]): void => {
      if (node.count > 0) out.push(Uint8Array.from(prefix))
      if (node.children === undefined) return
      for (const [byte, child] of node.children) {
        prefix.push(byte)
        walk(child, prefix)
        prefix.pop()
      }
    }
    walk(this.root, [])
    return out
  }
}

interface PipeNode<P> {
  members: Set<P> | undefined
  children: Map<number, PipeNode<P>> | undefined
}

function pipeNode<P>(): PipeNode<P> {
  return { members: undefined, children: undefined }
}

/**
 * Topics to subscribers: PUB and XPUB find, for a message, every pipe subscribed to some prefix of
 * it, each once. Subscriptions are sets per topic (a pipe subscribing twice to one topic counts once,
 * as libzmq's multi-trie does).
 */
export class PipeTrie<P extends object> {
  private readonly root: PipeNode<P> = pipeNode()

  /** Subscribes `pipe` to `topic`; true when `topic` had no subscriber before. */
  add(topic: Uint8Array, pipe: P): boolean {
    let node = this.root
    for (let i = 0; i < topic.length; i++) {
      const byte = topic[i]!
      node.children ??= new Map()
      let next = node.children.get(byte)
      if (next === undefined) {
        next = pipeNode()
        node.children.set(byte, next)
      }
      node = next
    }
    node.members ??= new Set()
    const first = node.members.size === 0
    node.members.add(pipe)
    return first
  }

  /** Unsubscribes `pipe` from `topic`; true when `topic` has no subscriber left. */
  remove(topic: Uint8Array, pipe: P): boolean {
    const path: PipeNode<P>[] = [this.root]
    let node = this.root
    for (let i = 0; i < topic.length; i++) {
      const next = node.children?.get(topic[i]!)
      if (next === undefined) return false
      path.push(next)
      node = next
    }
    if (node.members === undefined || !node.members.delete(pipe)) return false
    if (node.members.size > 0) return false
    node.members = undefined
    for (let i = topic.length; i > 0; i--) {
      const child = path[i]!
      if (child.members !== undefined || (child.children !== undefined && child.children.size > 0)) break
      path[i - 1]!.children!.delete(topic[i - 1]!)
    }
    return true
  }

  /**
   * Removes every subscription of `pipe`; calls `lastGone(topic)` for each topic left without
   * subscribers. Returns every topic `pipe` was subscribed to.
   */
  removePipe(pipe: P, lastGone?: (topic: Uint8Array) => void): Uint8Array[] {
    const topics: Uint8Array[] = []
    const walk = (node: PipeNode<P>, prefix: number[]): void => {
      if (node.members?.has(pipe)) topics.push(Uint8Array.from(prefix))
      if (node.children === undefined) return
      for (const [byte, child] of node.children) {
        prefix.push(byte)
        walk(child, prefix)
        prefix.pop()
      }
    }
    walk(this.root, [])
    for (const topic of topics) {
      if (this.remove(topic, pipe)) lastGone?.(topic)
    }
    return topics
  }

  /**
   * Calls `visit` for every pipe subscribed to a prefix of `data`. A pipe subscribed to several
   * matching prefixes may be visited more than once; callers dedupe with a per-send mark.
   */
  match(data: Uint8Array, visit: (pipe: P) => void): void {
    let node: PipeNode<P> | undefined = this.root
    for (let i = 0; ; i++) {
      if (node.members !== undefined) for (const pipe of node.members) visit(pipe)
      if (i >= data.length) return
      node = node.children?.get(data[i]!)
      if (node === undefined) return
    }
  }
}
