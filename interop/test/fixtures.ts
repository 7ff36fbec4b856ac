/**
 * Fixtures shared by every interop suite: the implementations under test, the transports, endpoints,
 * bounded waits and socket bookkeeping.
 *
 * Tests receive the implementation they run against as an explicit value (STYLE rule 24); nothing is
 * injected through globals. An implementation is anything with the `zeromq` v6 API.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { type AddressInfo, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach } from "vitest"

/** The `zeromq` v6 module shape that every implementation provides. */
export type Zmq = typeof import("zeromq")

/**
 * Every implementation of the `zeromq` v6 API under test, by name. Each test runs once per
 * implementation, and each interop test once per ordered pair of implementations.
 */
export const implementations: Record<string, () => Promise<Zmq>> = {
  /** libzmq 4.3.5 through the native `zeromq` 6.8.0 binding. */
  libzmq: () => import("zeromq"),

  /** zlink, resolved to its source by the vitest aliases. */
  zlink: () => import("zlink") as unknown as Promise<Zmq>,
}

/** Where an implementation deliberately (or unavoidably) differs from zeromq v6. */
export interface Traits {
  /**
   * zeromq v6 allows one pending `send()` and one pending `receive()` per socket: a second call
   * while the first waits throws EBUSY synchronously. zlink queues it and completes both in call
   * order instead.
   */
  readonly expectsBusy: boolean
  /**
   * zeromq 6.8.0 throws the documented TypeError when a constructor option is invalid, but the
   * half-built native socket then crashes the process (SIGSEGV) when it exits. Tests that construct
   * a socket with a bad option cannot run in-process against it.
   */
  readonly crashesAfterConstructorError: boolean
  /**
   * zeromq 6.8.0: a relaxed, correlating REQ that receives while the only reply queued is one it
   * discards (the reply to an abandoned request) rejects the receive with EAGAIN, although no
   * receiveTimeout is set. The binding polls ZMQ_EVENTS, sees POLLIN, and libzmq's non-blocking
   * receive then drops the stale reply and returns EAGAIN. zlink keeps the receive pending until
   * the current reply arrives.
   */
  readonly staleReplyRejectsReceive: boolean
  /**
   * libzmq's PAIR has no reconnection logic of its own (zmq_socket(3): PAIR sockets "do not
   * implement functionality such as auto-reconnection"). A binding libzmq PAIR that accepts the
   * replacement of a dropped connection before it has let go of the dropped one's pipe (which takes
   * the application calling into the socket) keeps the new connection open but never attaches it,
   * and both sides then wait for good. Seen in the destructive chaos cell with a libzmq and with a
   * zlink PAIR connecting, 100 ms after the drop; the chaos cells give such a binder one second.
   */
  readonly pairRejectsEarlyReplacement: boolean
  /**
   * libzmq: a binding socket reads what is left in the pipe of a dropped connection fairly with the
   * messages of the connection that replaced it, so one peer's messages can arrive out of order
   * across a reconnect (never within one connection). Seen in the destructive chaos cells for a
   * binding DEALER, with a libzmq and with a zlink DEALER connecting.
   */
  readonly reordersAcrossReconnect: boolean
  /**
   * The options (by property name) whose feature the implementation does not have yet. Setting one
   * to anything but its default (false or null) fails synchronously with ENOTSUP, by design rather
   * than pretending to have the feature; the tests of such a feature assert that failure instead.
   */
  readonly unsupported: ReadonlySet<string>
}

/** Traits by implementation name; an implementation without an entry gets `zlinkTraits`. */
export const traits: Record<string, Traits> = {
  libzmq: {
    expectsBusy: true,
    crashesAfterConstructorError: true,
    staleReplyRejectsReceive: true,
    pairRejectsEarlyReplacement: true,
    reordersAcrossReconnect: true,
    unsupported: new Set(),
  },
}

/** What zlink promises: the zeromq v6 API, with concurrent sends and receives queued in call order. */
const zlinkTraits: Traits = {
  expectsBusy: false,
  crashesAfterConstructorError: false,
  staleReplyRejectsReceive: false,
  pairRejectsEarlyReplacement: false,
  reordersAcrossReconnect: false,
  // Security mechanisms (PLAIN, CURVE, ZAP).
  unsupported: new Set([
    "plainServer",
    "plainUsername",
    "plainPassword",
    "curveServer",
    "curvePublicKey",
    "curveSecretKey",
    "curveServerKey",
    "zapDomain",
    "zapEnforceDomain",
  ]),
}

/** How setting an option of a feature in `Traits.unsupported` fails. */
export const NOT_SUPPORTED = { code: "ENOTSUP", message: "Operation not supported" }

/** One loaded implementation, as tests receive it. */
export interface Impl {
  readonly name: string
  readonly zmq: Zmq
  readonly traits: Traits
}

/** Every implementation in `implementations`, loaded once per test file. */
export const impls: readonly Impl[] = await Promise.all(
  Object.entries(implementations).map(async ([name, load]) => ({
    name,
    zmq: await load(),
    traits: traits[name] ?? zlinkTraits,
  })),
)

/** One side binds, the other connects. */
export interface ImplPair {
  readonly binder: Impl
  readonly connecter: Impl
  /** "libzmq<-libzmq": binder on the left, the arrow points at the side that binds. */
  readonly label: string
}

/** Every ordered (binder, connecter) combination of the implementations under test. */
export function* pairs(list: readonly Impl[] = impls): Generator<ImplPair> {
  for (const binder of list) {
    for (const connecter of list) {
      yield { binder, connecter, label: `${binder.name} (binds) <- ${connecter.name} (connects)` }
    }
  }
}

/** The transports every socket pattern is tested over. */
export const transports = ["tcp", "ipc"] as const
export type Transport = (typeof transports)[number]

let ipcDir: string | undefined
let ipcCount = 0

/** Removes this file's temporary ipc directory (socketTracker does it after the file's tests). */
function removeIpcDir(): void {
  if (ipcDir === undefined) return
  rmSync(ipcDir, { recursive: true, force: true })
  ipcDir = undefined
}

/**
 * An endpoint to bind to: `tcp://127.0.0.1:*` (the system picks a free port; read it back from
 * `lastEndpoint`) or a fresh `ipc://` path in a temporary directory owned by this process.
 *
 * Never `ipc://*`: libzmq resolves it to a directory relative to the working directory.
 */
export function endpointFor(transport: Transport): string {
  if (transport === "tcp") return "tcp://127.0.0.1:*"
  if (ipcDir === undefined) {
    ipcDir = mkdtempSync(join(tmpdir(), "zl-interop-"))
  }
  ipcCount += 1
  return `ipc://${join(ipcDir, `${ipcCount}.sock`)}`
}

/** An ipc endpoint that nothing listens on (its directory exists, the socket file never will). */
export function deadIpcEndpoint(): string {
  return `${endpointFor("ipc")}.nobody`
}

/**
 * An endpoint of `transport` that nothing listens on. For tcp, a port the system just handed to a
 * listener that is closed again, so no fixed port is assumed to be free.
 */
export async function deadEndpoint(transport: Transport): Promise<string> {
  if (transport === "ipc") return deadIpcEndpoint()
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `tcp://127.0.0.1:${port}`
}

/** Something with a `lastEndpoint` that can bind. */
interface Bindable {
  bind(address: string): Promise<void>
  readonly lastEndpoint: string | null
}

/** Binds `socket` to a fresh endpoint of `transport` and returns the endpoint to connect to. */
export async function bindAny(socket: Bindable, transport: Transport): Promise<string> {
  await socket.bind(endpointFor(transport))
  const endpoint = socket.lastEndpoint
  if (endpoint === null) throw new Error("bind resolved but lastEndpoint is null")
  return endpoint
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Marks a promise's rejection as handled without changing what awaiting it does. */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

/**
 * Settles like `promise`, or rejects after `ms` with a message naming `what` (a string, or a function
 * called at timeout time so it can report progress).
 */
export function within<T>(ms: number, promise: Promise<T>, what: string | (() => string)): Promise<T> {
  quiet(promise)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const label = typeof what === "string" ? what : what()
      reject(new Error(`timed out after ${ms} ms: ${label}`))
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Polls `condition` every `interval` ms until it is true, or rejects after `timeout` ms. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  { timeout = 5_000, interval = 5 }: { timeout?: number; interval?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(interval)
  }
}

/** Reports whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): {
  readonly state: () => "pending" | "resolved" | "rejected"
  readonly promise: Promise<T>
} {
  let state: "pending" | "resolved" | "rejected" = "pending"
  promise.then(
    () => {
      state = "resolved"
    },
    () => {
      state = "rejected"
    },
  )
  return { state: () => state, promise }
}

/** What the socket bookkeeping needs from a socket. */
export interface Closable {
  close(): void
  readonly closed: boolean
  linger: number
}

/**
 * Registers an `afterEach` in the calling scope that closes every socket passed to the returned
 * function, with linger 0 so undelivered messages never hold the process open, and an `afterAll`
 * that removes the temporary ipc directory. Call it once per file, at the top level, then wrap every
 * socket a test creates: `const a = open(new zmq.Pair())`.
 */
export function socketTracker(): <S extends Closable>(socket: S) => S {
  const sockets: Closable[] = []
  afterAll(removeIpcDir)
  afterEach(() => closeAll(sockets))
  return (socket) => {
    sockets.push(socket)
    return socket
  }
}

/**
 * The bookkeeping of `socketTracker` for one test of a concurrent group (`describe.concurrent`),
 * where an `afterEach` would close the sockets of the tests still running: pass the test context's
 * `onTestFinished`, and the sockets registered through the returned function are closed (linger 0)
 * when that test ends. Tests using it bind tcp only, or call `socketTracker()` too for the ipc
 * directory.
 */
export function socketScope(onTestFinished: (fn: () => void) => void): <S extends Closable>(socket: S) => S {
  const sockets: Closable[] = []
  onTestFinished(() => closeAll(sockets))
  return (socket) => {
    sockets.push(socket)
    return socket
  }
}

function closeAll(sockets: Closable[]): void {
  for (const socket of sockets.splice(0)) {
    if (socket.closed) continue
    try {
      socket.linger = 0
    } catch {
      // A socket that is closing already (close() during a pending bind) refuses options.
    }
    socket.close()
  }
}

/** An error's `code`, or undefined when it has none. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code } = error as { code: unknown }
    return typeof code === "string" ? code : undefined
  }
  return undefined
}

/** Runs `fn`, returning what it threw synchronously (or undefined if it returned). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    const result = fn()
    if (result instanceof Promise) quiet(result)
  } catch (error) {
    return error
  }
  return undefined
}

/** How a call ended: threw synchronously, returned, or returned a promise that settled. */
export interface Outcome {
  readonly how: "threw" | "returned" | "rejected" | "resolved"
  readonly error?: unknown
  readonly value?: unknown
}

/**
 * Calls `fn` and reports how it ended, telling a synchronous throw from a rejected promise (zeromq v6
 * throws synchronously for some errors, for example EBUSY and EBADF, and rejects for others).
 * Assert it with `toMatchObject({ how: "threw", error: { code: "EBADF" } })`.
 */
export async function outcome(fn: () => unknown): Promise<Outcome> {
  let result: unknown
  try {
    result = fn()
  } catch (error) {
    return { how: "threw", error }
  }
  if (!(result instanceof Promise)) return { how: "returned", value: result }
  try {
    return { how: "resolved", value: await result }
  } catch (error) {
    return { how: "rejected", error }
  }
}
