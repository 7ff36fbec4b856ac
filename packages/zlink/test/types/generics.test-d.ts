/**
 * Type assertions on zlink's declarations, checked by `tsc` (the package's `typecheck`): the
 * generics of the zeromq v6 API, and where zlink's types must be the very types of the `zeromq`
 * package, a comparison with them.
 */
import { expectTypeOf } from "vitest"
import type * as zmq from "zeromq"
import * as zl from "../../src/index.js"

type Iterated<T> = T extends { [Symbol.asyncIterator](): AsyncIterator<infer U, undefined> } ? U : never

// ---- Readable<M> --------------------------------------------------------------------------------

expectTypeOf<zl.Readable["receive"]>().returns.resolves.toEqualTypeOf<Buffer[]>()
expectTypeOf<zl.Readable<[zl.Message, zl.Message]>["receive"]>().returns.resolves.toEqualTypeOf<
  [Buffer, Buffer]
>()
expectTypeOf<Iterated<zl.Readable<[zl.Message, zl.Message]>>>().toEqualTypeOf<[Buffer, Buffer]>()
expectTypeOf<Iterated<zl.Readable>>().toEqualTypeOf<Buffer[]>()
// @ts-expect-error a message is an array of frames
export type NotFrames = zl.Readable<string>

// Every receiving socket iterates over what its receive() resolves with.
expectTypeOf<Iterated<zl.Pair>>().toEqualTypeOf<Buffer[]>()
expectTypeOf<Iterated<zl.Router>>().toEqualTypeOf<Buffer[]>()
expectTypeOf<Iterated<zl.Subscriber>>().toEqualTypeOf<Buffer[]>()
expectTypeOf<zl.Pull["receive"]>().returns.resolves.toEqualTypeOf<Buffer[]>()
expectTypeOf<zl.Pair>().toMatchTypeOf<zl.Readable>()
expectTypeOf<zl.Push>().not.toMatchTypeOf<zl.Readable>()

// ---- Writable<M, O> -----------------------------------------------------------------------------

expectTypeOf<zl.Writable["send"]>().parameters.toEqualTypeOf<[message: zl.MessageLike | zl.MessageLike[]]>()
expectTypeOf<zl.Writable<[string, zl.MessageLike]>["send"]>().parameters.toEqualTypeOf<
  [message: [string, zl.MessageLike]]
>()
expectTypeOf<zl.Writable<zl.MessageLike, [{ group: string }]>["send"]>().parameters.toEqualTypeOf<
  [message: zl.MessageLike, { group: string }]
>()
expectTypeOf<zl.Writable["send"]>().returns.toEqualTypeOf<Promise<void>>()
expectTypeOf<zl.Push>().toMatchTypeOf<zl.Writable>()
expectTypeOf<zl.Subscriber>().not.toMatchTypeOf<zl.Writable>()
// @ts-expect-error a message is frames, not an object
export type NotAMessage = zl.Writable<{ body: string }>

// ---- SocketOptions<S> ---------------------------------------------------------------------------

expectTypeOf<zl.SocketOptions<zl.Dealer>>()
  .toHaveProperty("routingId")
  .toEqualTypeOf<string | null | undefined>()
expectTypeOf<zl.SocketOptions<zl.Dealer>>().toHaveProperty("context").toEqualTypeOf<zl.Context | undefined>()
expectTypeOf<zl.SocketOptions<zl.Dealer>>()
  .toHaveProperty("sendHighWaterMark")
  .toEqualTypeOf<number | undefined>()
expectTypeOf<zl.SocketOptions<zl.Dealer>>().not.toHaveProperty("lastEndpoint")
expectTypeOf<zl.SocketOptions<zl.Dealer>>().not.toHaveProperty("type")
expectTypeOf<zl.SocketOptions<zl.Dealer>>().not.toHaveProperty("send")
expectTypeOf<zl.SocketOptions<zl.Pull>>().not.toHaveProperty("routingId")
expectTypeOf<zl.SocketOptions<zl.Pull>>().not.toHaveProperty("sendTimeout")
expectTypeOf<zl.SocketOptions<zl.Push>>().toHaveProperty("sendTimeout")
expectTypeOf<zl.SocketOptions<zl.XPublisher>>().toHaveProperty("verbosity")
expectTypeOf<zl.SocketConstructorOptions<zl.Router>>().toEqualTypeOf<zl.SocketOptions<zl.Router>>()
expectTypeOf(zl.Dealer).constructorParameters.toEqualTypeOf<[options?: zl.SocketOptions<zl.Dealer>]>()
expectTypeOf<Record<string, never>>().toMatchTypeOf<zl.SocketOptions<zl.Router>>()

// ---- events -------------------------------------------------------------------------------------

expectTypeOf<zl.EventType>().toEqualTypeOf<zmq.EventType>()
expectTypeOf<zl.EventOfType<"unknown">>().toEqualTypeOf<{ type: "unknown" }>()
expectTypeOf<zl.EventOfType<"end">>().toEqualTypeOf<zmq.EventOfType<"end">>()
expectTypeOf<zl.EventOfType<"bind">>().toEqualTypeOf<zmq.EventOfType<"bind">>()
expectTypeOf<zl.EventOfType<"connect:retry">>().toEqualTypeOf<zmq.EventOfType<"connect:retry">>()
expectTypeOf<zl.EventOfType<"connect:retry">>().toEqualTypeOf<{
  type: "connect:retry"
  address: string
  interval: number
}>()
expectTypeOf<zl.EventOfType<"bind:error">>().toEqualTypeOf<zmq.EventOfType<"bind:error">>()
expectTypeOf<zl.EventOfType<"handshake:error:auth">>().toEqualTypeOf<
  zmq.EventOfType<"handshake:error:auth">
>()
expectTypeOf<zl.EventOfType<"handshake:error:auth">["error"]["status"]>().toEqualTypeOf<300 | 400 | 500>()
expectTypeOf<zl.AuthError>().toHaveProperty("status")
// A failed handshake's protocol error has zeromq's codes, exactly (zlink's own is its `cause`).
expectTypeOf<
  zmq.EventOfType<"handshake:error:protocol">["error"]["code"]
>().toEqualTypeOf<zl.ProtoErrorCode>()
// A disconnect may say why; otherwise as zeromq's.
expectTypeOf<zl.EventOfType<"disconnect">>().toEqualTypeOf<{
  type: "disconnect"
  address: string
  error?: zl.ErrnoError
}>()
expectTypeOf<zl.EventOfType>().toEqualTypeOf<zl.Event>()

expectTypeOf<zl.Observer>().toMatchTypeOf<zl.EventSubscriber>()
expectTypeOf<zl.Observer["on"]>().toBeFunction()
declare const subscriber: zl.EventSubscriber
expectTypeOf(subscriber.on<"connect:retry">)
  .parameter(1)
  .toEqualTypeOf<(data: zl.EventOfType<"connect:retry">) => void>()
expectTypeOf(subscriber.off<"bind">).returns.toEqualTypeOf<zl.EventSubscriber>()
expectTypeOf<Iterated<zl.Observer>>().toEqualTypeOf<zl.Event>()

// ---- context and socket members -----------------------------------------------------------------

expectTypeOf<zl.Context["threadPriority"]>().toEqualTypeOf<number>()
expectTypeOf<zl.Context["threadSchedulingPolicy"]>().toEqualTypeOf<number>()
expectTypeOf<zl.ContextOptions["threadPriority"]>().toEqualTypeOf<number | undefined>()
expectTypeOf<zl.Context>().toHaveProperty("maxSocketsLimit").toEqualTypeOf<number>()
expectTypeOf<zl.Socket["bindSync"]>().toEqualTypeOf<(address: string) => void>()
expectTypeOf<zl.Socket["unbindSync"]>().toEqualTypeOf<(address: string) => void>()
expectTypeOf<zl.Proxy<zl.Router, zl.Dealer>["frontEnd"]>().toEqualTypeOf<zl.Router>()
expectTypeOf<zl.Proxy["backEnd"]>().toEqualTypeOf<zl.Socket>()

// ---- option types are zeromq's ------------------------------------------------------------------

type Same<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
/**
 * The options (non-method properties) both classes have whose types are not the same. `events` and
 * `context` are each package's own Observer and Context; `type` is zeromq's const enum SocketType
 * (which zeromq does not export) and zlink's union of the same numbers.
 */
type DifferentOptions<A, B> = {
  [K in Exclude<keyof A & keyof B, "events" | "context" | "type">]: A[K] extends (...args: never[]) => unknown
    ? never
    : Same<A[K], B[K]> extends true
      ? never
      : K
}[Exclude<keyof A & keyof B, "events" | "context" | "type">]
expectTypeOf<zl.Dealer["type"]>().toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10>()
/** zeromq's options that zlink's class lacks, leaving out GSSAPI, which zlink does not have. */
type MissingOptions<A, B> = Exclude<keyof A, keyof B | `gssapi${string}`>

expectTypeOf<DifferentOptions<zmq.Pair, zl.Pair>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Publisher, zl.Publisher>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Subscriber, zl.Subscriber>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Request, zl.Request>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Reply, zl.Reply>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Dealer, zl.Dealer>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Router, zl.Router>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Pull, zl.Pull>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Push, zl.Push>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.XPublisher, zl.XPublisher>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.XSubscriber, zl.XSubscriber>>().toEqualTypeOf<never>()
expectTypeOf<DifferentOptions<zmq.Context, zl.Context>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Pair, zl.Pair>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Publisher, zl.Publisher>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Subscriber, zl.Subscriber>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Request, zl.Request>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Reply, zl.Reply>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Dealer, zl.Dealer>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Router, zl.Router>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Pull, zl.Pull>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Push, zl.Push>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.XPublisher, zl.XPublisher>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.XSubscriber, zl.XSubscriber>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Context, zl.Context>>().toEqualTypeOf<never>()
expectTypeOf<MissingOptions<zmq.Observer, zl.Observer>>().toEqualTypeOf<never>()
