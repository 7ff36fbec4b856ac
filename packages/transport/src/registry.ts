import { invalidArgument, TransportError, TransportErrorCode } from "./errors.js"
import {
  isTransport,
  TRANSPORT_SPEC_VERSION,
  type Transport,
  type TransportContext,
  type TransportFactory,
} from "./types.js"

/**
 * Builds a {@link TransportContext}, filling what is not given: a no-op `log` and a `now` on the
 * monotonic clock (`performance.now()`).
 *
 * @example
 * ```ts
 * const context = createTransportContext({ log: (level, ns, msg) => console.log(level, ns, msg) })
 * const registry = new TransportRegistry(context, [tcp()])
 * ```
 */
export function createTransportContext(overrides: Partial<TransportContext> = {}): TransportContext {
  return {
    log: overrides.log ?? (() => {}),
    now: overrides.now ?? (() => performance.now()),
  }
}

/**
 * The transports of one context, keyed by scheme. There is no module-global registry: each context
 * (or socket) owns one, so two contexts can serve the same scheme differently and tests never leak
 * state into each other.
 *
 * A factory registered later replaces an earlier one for the schemes it declares, so an application
 * can override one transport of a default set.
 *
 * @example
 * ```ts
 * const registry = new TransportRegistry(createTransportContext(), [tcp(), ipc()])
 * const { scheme, address } = parseEndpoint("tcp://127.0.0.1:5555")
 * const connection = await registry.get(scheme).dial(address)
 * ```
 */
export class TransportRegistry {
  /** The context every transport of this registry is built with. */
  readonly context: TransportContext
  private readonly transports = new Map<string, Transport>()

  constructor(context: TransportContext, factories: Iterable<TransportFactory> = []) {
    this.context = context
    for (const factory of factories) this.register(factory)
  }

  /**
   * Builds the transport with this registry's context and serves its schemes with it.
   *
   * @returns the transport built.
   * @throws TransportError `EINVAL` when the factory does not return a transport (see `isTransport`),
   * implements a contract version this package does not know, or declares no valid scheme.
   * @example
   * ```ts
   * registry.register(memory())
   * ```
   */
  register(factory: TransportFactory): Transport {
    if (typeof factory !== "function") throw invalidArgument("a transport factory must be a function")
    const transport: unknown = factory(this.context)
    if (!isTransport(transport)) throw invalidArgument("the factory did not return a transport")
    if (transport.specVersion !== TRANSPORT_SPEC_VERSION) {
      throw invalidArgument(
        `${transport[Symbol.toStringTag]} implements transport contract version ${String(transport.specVersion)}; this registry knows ${TRANSPORT_SPEC_VERSION}`,
      )
    }
    const schemes = transport.schemes
    if (!Array.isArray(schemes) || schemes.length === 0) {
      throw invalidArgument(`${transport[Symbol.toStringTag]} declares no scheme`)
    }
    for (const scheme of schemes) {
      if (typeof scheme !== "string" || !/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
        throw invalidArgument(`${transport[Symbol.toStringTag]} declares an invalid scheme ${String(scheme)}`)
      }
    }
    for (const scheme of schemes) this.transports.set(scheme, transport)
    return transport
  }

  /**
   * The transport serving `scheme` (without `://`).
   *
   * @throws TransportError `EPROTONOSUPPORT` when none is registered.
   * @example
   * ```ts
   * const transport = registry.get("tcp")
   * ```
   */
  get(scheme: string): Transport {
    const transport = this.transports.get(scheme.toLowerCase())
    if (transport === undefined) {
      throw new TransportError(
        TransportErrorCode.EPROTONOSUPPORT,
        `no transport registered for ${JSON.stringify(scheme)}://`,
      )
    }
    return transport
  }

  /**
   * True when a transport serves `scheme`.
   *
   * @example
   * ```ts
   * if (!registry.has("ipc")) console.warn("ipc:// unavailable")
   * ```
   */
  has(scheme: string): boolean {
    return this.transports.has(scheme.toLowerCase())
  }

  /**
   * The schemes served, in registration order.
   *
   * @example
   * ```ts
   * registry.schemes() // ["tcp", "ipc"]
   * ```
   */
  schemes(): string[] {
    return [...this.transports.keys()]
  }
}
