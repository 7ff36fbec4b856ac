/**
 * @zl/sockets: ZeroMQ socket types over any registered transport, plus `inproc://`.
 *
 * @packageDocumentation
 */
export { Context, type ContextOptions } from "./context.js"
export type { SocketEvent, SocketEventListener, SocketEventType } from "./events.js"
export { HeldQueue, Hold } from "./hold.js"
export { checkOptions, defaultOptions, type SocketOptions } from "./options.js"
export type { ContextResources, SocketResources } from "./resources.js"
export { MAX_PENDING_OPERATIONS, SENT, SocketBase } from "./socket-base.js"
export {
  DealerSocket,
  PairSocket,
  PublisherSocket,
  PullSocket,
  PushSocket,
  ReplySocket,
  RequestSocket,
  RouterSocket,
  SubscriberSocket,
  XPublisherSocket,
  XSubscriberSocket,
} from "./socket-types.js"
export { PipeTrie, SubscriptionTrie } from "./trie.js"
