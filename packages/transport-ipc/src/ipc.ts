import { lstat, stat, unlink } from "node:fs/promises"
import { createServer, connect as netConnect, type Server } from "node:net"
import { dirname } from "node:path"
import {
  type Connection,
  type DialOptions,
  type Listener,
  type ListenOptions,
  parseIpcAddress,
  TRANSPORT_SPEC_VERSION,
  type Transport,
  type TransportContext,
  TransportError,
  type TransportOptions,
  transportSymbol,
} from "@zl/transport"
import { acceptStream, StreamSocketConnection, whenConnected } from "@zl/transport/internal"

const NAMESPACE = "zl:ipc"

/**
 * The size of `sockaddr_un.sun_path`: 108 octets on Linux, 104 on macOS and the BSDs. A path must
 * fit with its terminating NUL; an abstract name (which starts with a NUL instead) may fill it.
 */
const SUN_PATH_SIZE = process.platform === "linux" || process.platform === "android" ? 108 : 104

/** Abstract sockets (`ipc://@name`) exist on Linux only. */
const ABSTRACT_SOCKETS = process.platform === "linux" || process.platform === "android"

/**
 * Options of {@link ipc}. Each is a default: the same name in a socket's options
 * (`ListenOptions.options`) overrides it for that bind.
 *
 * @example
 * ```ts
 * const factory = ipc({ backlog: 500 })
 * ```
 */
export interface IpcOptions {
  /** `ZMQ_BACKLOG`: the queue of connections not yet accepted. Default `100`, as libzmq. */
  readonly backlog?: number
}

interface Settings {
  readonly backlog: number
}

/**
 * The `ipc://` transport, on `node:net` over Unix domain sockets. `ipc:///path/to/socket` binds or
 * connects a socket file; `ipc://@name` a Linux abstract socket, which has no file. A bind takes over
 * a path that holds a socket file (as libzmq does), and a listener removes its own file when it
 * closes.
 *
 * @example
 * ```ts
 * import { createTransportContext, TransportRegistry } from "@zl/transport"
 * import { ipc } from "@zl/transport-ipc"
 *
 * const registry = new TransportRegistry(createTransportContext(), [ipc()])
 * const listener = await registry.get("ipc").listen("/tmp/feed.sock", (connection) => connection.start(handlers))
 * const client = await registry.get("ipc").dial("/tmp/feed.sock")
 * ```
 */
export function ipc(options: IpcOptions = {}): (context: TransportContext) => IpcTransport {
  const defaults = settings({ backlog: 100 }, options)
  return (context) => new IpcTransport(context, defaults)
}

/**
 * The transport built by {@link ipc}.
 *
 * @example
 * ```ts
 * const transport: IpcTransport = ipc()(createTransportContext())
 * const listener = await transport.listen("/tmp/feed.sock", (connection) => connection.start(handlers))
 * ```
 */
export class IpcTransport implements Transport {
  readonly [Symbol.toStringTag] = "IpcTransport"
  readonly [transportSymbol] = true as const
  readonly specVersion = TRANSPORT_SPEC_VERSION
  readonly schemes: readonly string[] = ["ipc"]
  readonly framing = "stream" as const
  private readonly context: TransportContext
  private readonly defaults: Settings

  /** @internal Built by {@link ipc}. */
  constructor(context: TransportContext, defaults: Settings) {
    this.context = context
    this.defaults = defaults
  }

  /** Checks the path against the platform's limits: `EINVAL`, `ENAMETOOLONG`. */
  validate(address: string): void {
    resolve(address)
  }

  /**
   * Binds the path (or `@name`). A socket file already at the path is removed and the path taken
   * over, whether a dead process left it or a live one still listens, as libzmq does. Rejects with
   * `EADDRINUSE` (a file that is not a socket), `ENAMETOOLONG` (a path longer than `sun_path`
   * allows), `EINVAL`, `EACCES`, `ENOENT` (no such directory), ...
   */
  async listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options: ListenOptions = {},
  ): Promise<Listener> {
    const config = settings(this.defaults, options.options)
    const { path, abstract } = resolve(address)
    const server = createServer()
    server.on("connection", (socket) =>
      acceptStream(
        socket,
        () => address,
        onConnection,
        (message) => this.context.log("error", NAMESPACE, message),
      ),
    )
    try {
      await bind(server, path, config.backlog)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      // libuv reports a missing directory as EACCES; say what it is.
      if (code === "EACCES" && !abstract && !(await exists(dirname(path)))) {
        throw new TransportError("ENOENT", `no such directory: ${dirname(path)}`, { cause: err })
      }
      if (abstract || code !== "EADDRINUSE" || !(await isSocketFile(path))) {
        throw TransportError.from(err)
      }
      this.context.log("info", NAMESPACE, `taking over the socket file ${path}`)
      await unlink(path).catch(ignoreMissing)
      await bind(server, path, config.backlog).catch((retry: unknown) => {
        throw TransportError.from(retry)
      })
    }
    server.on("error", (err) => this.context.log("error", NAMESPACE, `listener error: ${err.message}`))
    // A listener never keeps the process alive by itself (the `Listener` contract).
    server.unref()
    // The file's identity, so that close removes this listener's file and never a successor's.
    const identity = abstract ? undefined : await stat(path).catch(() => undefined)
    const endpoint = `ipc://${address}`
    this.context.log("debug", NAMESPACE, `listening on ${endpoint}`)
    return new IpcListener(endpoint, server, path, identity)
  }

  /** Connects to the path (or `@name`). Rejects with `ENOENT`, `ECONNREFUSED`, `ENAMETOOLONG`, ... */
  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    settings(this.defaults, options.options)
    const { path } = resolve(address)
    const signal = options.signal
    signal?.throwIfAborted()
    const socket = netConnect({ path })
    await whenConnected(socket, signal)
    return new StreamSocketConnection(socket, address)
  }
}

class IpcListener implements Listener {
  readonly endpoint: string
  private readonly server: Server
  private readonly path: string
  private readonly identity: { readonly dev: number; readonly ino: number } | undefined
  private closed = false

  constructor(
    endpoint: string,
    server: Server,
    path: string,
    identity: { readonly dev: number; readonly ino: number } | undefined,
  ) {
    this.endpoint = endpoint
    this.server = server
    this.path = path
    this.identity = identity
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Closes the listening socket at once (libuv also unlinks the file); the callback would wait
    // for every accepted connection to end, which a listener close must not do.
    this.server.close()
    if (this.identity === undefined) return
    const now = await stat(this.path).catch(() => undefined)
    if (now !== undefined && now.dev === this.identity.dev && now.ino === this.identity.ino) {
      await unlink(this.path).catch(ignoreMissing)
    }
  }
}

/** Parses `address` and checks it against the platform's limits. */
function resolve(address: string): { path: string; abstract: boolean } {
  const parsed = parseIpcAddress(address)
  if (parsed.abstract && !ABSTRACT_SOCKETS) {
    throw new TransportError(
      "EINVAL",
      `abstract ipc sockets (ipc://@name) need Linux, not ${process.platform}`,
    )
  }
  const limit = parsed.abstract ? SUN_PATH_SIZE : SUN_PATH_SIZE - 1
  const length = Buffer.byteLength(parsed.path)
  if (length > limit) {
    // libzmq's code for the same check (ipc_address_t::resolve).
    throw new TransportError(
      "ENAMETOOLONG",
      `ipc path of ${length} octets is longer than the ${limit} that sun_path holds here`,
    )
  }
  return parsed
}

function bind(server: Server, path: string, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ path, backlog }, () => {
      server.off("error", reject)
      resolve()
    })
  })
}

/** True when `path` holds a socket file (or nothing any more): a bind may take it over. */
async function isSocketFile(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined)
  // Gone meanwhile: the retry will tell.
  return info === undefined || info.isSocket()
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined
}

function ignoreMissing(err: unknown): void {
  if ((err as { code?: unknown }).code !== "ENOENT") throw err
}

function settings(base: Settings, options: TransportOptions | IpcOptions | undefined): Settings {
  if (options === undefined) return base
  const backlog = (options as Readonly<Record<string, unknown>>).backlog ?? base.backlog
  if (!Number.isInteger(backlog) || (backlog as number) < 0) {
    throw new TransportError("EINVAL", `ipc option backlog has an invalid value ${String(backlog)}`)
  }
  return { backlog: backlog as number }
}
