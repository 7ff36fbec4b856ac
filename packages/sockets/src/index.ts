/**
 * @zl/sockets: ZeroMQ socket types over any registered transport, plus `inproc://`.
 *
 * @packageDocumentation
 */
export { closeEvents, protocolErrorName } from "./connection-events.js"
export { Context, type ContextOptions } from "./context.js"
export type { SocketEvent, SocketEventListener, SocketEventType } from "./events.js"
export { HeldQueue, Hold } from "./hold.js"
export { checkOptions, defaultOptions, type SocketOptions } from "./options.js"
export { PairSocket } from "./pattern-pair.js"
export { PullSocket, PushSocket } from "./pattern-pipeline.js"
export {
  PublisherSocket,
  SubscriberSocket,
  XPublisherSocket,
  XSubscriberSocket,
} from "./pattern-pub-sub.js"
export { ReplySocket, RequestSocket } from "./pattern-req-rep.js"
export { DealerSocket, RouterSocket } from "./pattern-router-dealer.js"
export type { ContextResources, SocketResources } from "./resources.js"
export { SocketBase } from "./socket-base.js"
export { MAX_PENDING_OPERATIONS, SENT } from "./socket-operations.js"
export { PipeTrie, SubscriptionTrie } from "./trie.js"
