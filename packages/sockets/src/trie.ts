/**
 * Subscription tries: prefix matching of message bodies against subscribed topics. An empty topic
 * subscribes to everything.
 *
 * Topics come from peers, so both tries are built to stay cheap whatever a peer sends:
 * - they are radix trees: each node holds a run of octets (its `label`), so a topic costs memory in
 *   proportion to its length (one node and one copy of its octets), not a node per octet;
 * - no operation recurses: every walk is a loop, and its depth never depends on a topic's length;
 * - an insert copies at most the octets of the topic it inserts, and a removal copies nothing, so
 *   the work a subscription or a cancellation costs is proportional to its own size.
 *
 * A node whose value is gone but that still leads to others is kept as it is rather than merged
 * with its only child: merging would copy the child's octets, work a peer could trigger again and
 * again with short subscriptions to a long topic's prefixes.
 */

interface RadixNode<V> {
  /** The octets on the edge from the parent; empty only for the root. */
  label: Uint8Array
  parent: RadixNode<V> | undefined
  /** Children keyed by the first octet of their label. */
  children: Map<number, RadixNode<V>> | undefined
  /** What is stored for the topic ending here; undefined when no topic ends here. */
  value: V | undefined
}

function radixNode<V>(label: Uint8Array, parent: RadixNode<V> | undefined): RadixNode<V> {
  return { label, parent, children: undefined, value: undefined }
}

const EMPTY = new Uint8Array(0)

/** The child of `node` whose whole label lies in `data` at `at`, if there is one. */
function step<V>(node: RadixNode<V>, data: Uint8Array, at: number): RadixNode<V> | undefined {
  const child = node.children?.get(data[at]!)
  if (child === undefined) return undefined
  const label = child.label
  if (label.length > data.length - at) return undefined
  // The first octet matched through the key.
  for (let k = 1; k < label.length; k++) if (label[k] !== data[at + k]) return undefined
  return child
}

/** A radix tree from byte strings to values, shared by both tries. */
class RadixTree<V> {
  readonly root: RadixNode<V> = radixNode(EMPTY, undefined)

  /** The node of exactly `topic`, if there is one. */
  find(topic: Uint8Array): RadixNode<V> | undefined {
    let node = this.root
    let i = 0
    while (i < topic.length) {
      const child = step(node, topic, i)
      if (child === undefined) return undefined
      i += child.label.length
      node = child
    }
    return node
  }

  /** The node of exactly `topic`, made (and an edge split) when needed. */
  insert(topic: Uint8Array): RadixNode<V> {
    let node = this.root
    let i = 0
    while (i < topic.length) {
      const first = topic[i]!
      const child = node.children?.get(first)
      if (child === undefined) {
        // A copy: the topic may view a connection's read buffer.
        const leaf = radixNode<V>(topic.slice(i), node)
        node.children ??= new Map()
        node.children.set(first, leaf)
        return leaf
      }
      const label = child.label
      const end = Math.min(label.length, topic.length - i)
      let common = 1
      while (common < end && label[common] === topic[i + common]) common++
      if (common < label.length) {
        // The topic leaves (or ends inside) the child's edge: a new node takes the shared part. Its
        // octets are copied from the topic, so the copy is never larger than what is being inserted.
        const middle = radixNode<V>(topic.slice(i, i + common), node)
        child.label = label.subarray(common)
        child.parent = middle
        middle.children = new Map([[child.label[0]!, child]])
        node.children!.set(first, middle)
        node = middle
      } else {
        node = child
      }
      i += common
    }
    return node
  }

  /** Removes `node` and the ancestors it leaves without a value or a child. */
  prune(node: RadixNode<V>): void {
    let current: RadixNode<V> = node
    while (current !== this.root && current.value === undefined && (current.children?.size ?? 0) === 0) {
      const parent = current.parent!
      parent.children!.delete(current.label[0]!)
      if (parent.children!.size === 0) parent.children = undefined
      current.parent = undefined
      current = parent
    }
  }

  /** The topic of `node`: the labels from the root down to it. */
  topicOf(node: RadixNode<V>): Uint8Array {
    let length = 0
    for (let n: RadixNode<V> | undefined = node; n !== undefined; n = n.parent) length += n.label.length
    const topic = new Uint8Array(length)
    let end = length
    for (let n: RadixNode<V> | undefined = node; n !== undefined; n = n.parent) {
      end -= n.label.length
      topic.set(n.label, end)
    }
    return topic
  }

  /** Every node with a value, depth first, with an explicit stack. */
  *nodes(): Generator<RadixNode<V>> {
    const stack: RadixNode<V>[] = [this.root]
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.value !== undefined) yield node
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child)
    }
  }
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
  /** How many times each topic was subscribed. */
  private readonly tree = new RadixTree<number>()
  private topics = 0

  /** Distinct topics subscribed. */
  get size(): number {
    return this.topics
  }

  /** Adds one subscription to `topic`; true when the topic was not subscribed before. */
  add(topic: Uint8Array): boolean {
    const node = this.tree.insert(topic)
    node.value = (node.value ?? 0) + 1
    if (node.value === 1) this.topics++
    return node.value === 1
  }

  /** Removes one subscription to `topic`; true when that was its last one. False if it was not subscribed. */
  remove(topic: Uint8Array): boolean {
    const node = this.tree.find(topic)
    if (node?.value === undefined) return false
    node.value--
    if (node.value > 0) return false
    node.value = undefined
    this.topics--
    this.tree.prune(node)
    return true
  }

  /** True when some subscribed topic is a prefix of `data`. */
  matches(data: Uint8Array): boolean {
    let node: RadixNode<number> | undefined = this.tree.root
    for (let i = 0; ; i += node.label.length) {
      if (node.value !== undefined) return true
      if (i >= data.length) return false
      node = step(node, data, i)
      if (node === undefined) return false
    }
  }

  /** Every distinct topic subscribed. */
  topicsList(): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const node of this.tree.nodes()) out.push(this.tree.topicOf(node))
    return out
  }
}

/**
 * Topics to subscribers: PUB and XPUB find, for a message, every pipe subscribed to some prefix of
 * it, each once. Subscriptions are sets per topic (a pipe subscribing twice to one topic counts once,
 * as libzmq's multi-trie does). Each pipe's subscriptions are also indexed by pipe, so that a peer
 * leaving costs work in proportion to its own subscriptions, not to everyone's.
 */
export class PipeTrie<P extends object> {
  private readonly tree = new RadixTree<Set<P>>()
  /** The nodes each pipe is subscribed at. A node keeps its identity while it holds subscribers. */
  private readonly byPipe = new Map<P, Set<RadixNode<Set<P>>>>()

  /** Subscribes `pipe` to `topic`; true when `topic` had no subscriber before. */
  add(topic: Uint8Array, pipe: P): boolean {
    const node = this.tree.insert(topic)
    node.value ??= new Set()
    const first = node.value.size === 0
    node.value.add(pipe)
    let nodes = this.byPipe.get(pipe)
    if (nodes === undefined) {
      nodes = new Set()
      this.byPipe.set(pipe, nodes)
    }
    nodes.add(node)
    return first
  }

  /** Unsubscribes `pipe` from `topic`; true when `topic` has no subscriber left. */
  remove(topic: Uint8Array, pipe: P): boolean {
    const node = this.tree.find(topic)
    if (node?.value === undefined || !node.value.has(pipe)) return false
    const nodes = this.byPipe.get(pipe)!
    nodes.delete(node)
    if (nodes.size === 0) this.byPipe.delete(pipe)
    return this.unsubscribe(node, pipe)
  }

  /**
   * Removes every subscription of `pipe`; calls `lastGone(topic)` for each topic left without
   * subscribers. Returns every topic `pipe` was subscribed to, in the order it subscribed to them.
   */
  removePipe(pipe: P, lastGone?: (topic: Uint8Array) => void): Uint8Array[] {
    const nodes = this.byPipe.get(pipe)
    if (nodes === undefined) return []
    this.byPipe.delete(pipe)
    const topics: Uint8Array[] = []
    for (const node of nodes) {
      const topic = this.tree.topicOf(node)
      topics.push(topic)
      if (this.unsubscribe(node, pipe)) lastGone?.(topic)
    }
    return topics
  }

  /**
   * Calls `visit` for every pipe subscribed to a prefix of `data`. A pipe subscribed to several
   * matching prefixes may be visited more than once; callers dedupe with a per-send mark.
   */
  match(data: Uint8Array, visit: (pipe: P) => void): void {
    let node: RadixNode<Set<P>> | undefined = this.tree.root
    for (let i = 0; ; i += node.label.length) {
      if (node.value !== undefined) for (const pipe of node.value) visit(pipe)
      if (i >= data.length) return
      node = step(node, data, i)
      if (node === undefined) return
    }
  }

  private unsubscribe(node: RadixNode<Set<P>>, pipe: P): boolean {
    const members = node.value!
    members.delete(pipe)
    if (members.size > 0) return false
    node.value = undefined
    this.tree.prune(node)
    return true
  }
}
