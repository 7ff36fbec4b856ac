/**
 * Socket options as properties: defaults, round trips of each value type, type and range errors, the
 * warning for options set too late, and options on a closed socket. Runs once per implementation.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  bindAny,
  deadIpcEndpoint,
  type Impl,
  impls,
  NOT_SUPPORTED,
  socketTracker,
  thrownBy,
} from "../fixtures.js"

const open = socketTracker()

/** Defaults every socket type shares (libzmq 4.3.5 through zeromq 6.8.0). */
const COMMON_DEFAULTS = {
  affinity: 0,
  backlog: 100,
  connectTimeout: 0,
  curveServer: false,
  handshakeInterval: 30_000,
  heartbeatInterval: 0,
  heartbeatTimeToLive: 0,
  heartbeatTimeout: -1,
  immediate: false,
  interface: null,
  ipv6: false,
  lastEndpoint: null,
  loopbackFastPath: false,
  maxMessageSize: -1,
  plainPassword: null,
  plainServer: false,
  plainUsername: null,
  rate: 100,
  reconnectInterval: 100,
  reconnectMaxInterval: 0,
  recoveryInterval: 10_000,
  securityMechanism: null,
  socksProxy: null,
  tcpKeepalive: -1,
  tcpKeepaliveCount: -1,
  tcpKeepaliveIdle: -1,
  tcpKeepaliveInterval: -1,
  tcpMaxRetransmitTimeout: 0,
  threadSafe: false,
  typeOfService: 0,
  zapDomain: null,
  zapEnforceDomain: false,
  closed: false,
  readable: false,
}

const SEND_DEFAULTS = { multicastHops: 1, sendBufferSize: -1, sendHighWaterMark: 1000, sendTimeout: -1 }
const RECEIVE_DEFAULTS = { receiveBufferSize: -1, receiveHighWaterMark: 1000, receiveTimeout: -1 }

type SocketClass =
  | "Pair"
  | "Publisher"
  | "Subscriber"
  | "XPublisher"
  | "XSubscriber"
  | "Dealer"
  | "Router"
  | "Request"
  | "Reply"
  | "Push"
  | "Pull"

/**
 * What each socket type reports before it binds or connects. `writable` starts true only where a
 * send can never wait for a peer (PUB and XPUB drop, ROUTER drops unroutable messages, XSUB keeps
 * subscriptions); SUB and XSUB default to linger 0.
 */
const DEFAULTS: Record<SocketClass, Record<string, unknown>> = {
  Pair: { type: 0, linger: -1, writable: false, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
  Publisher: { type: 1, linger: -1, writable: true, invertMatching: false, ...SEND_DEFAULTS },
  Subscriber: { type: 2, linger: 0, writable: false, invertMatching: false, ...RECEIVE_DEFAULTS },
  Request: { type: 3, linger: -1, writable: false, routingId: null, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
  Reply: { type: 4, linger: -1, writable: false, routingId: null, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
  Dealer: { type: 5, linger: -1, writable: false, routingId: null, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
  Router: { type: 6, linger: -1, writable: true, routingId: null, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
  Pull: { type: 7, linger: -1, writable: false, ...RECEIVE_DEFAULTS },
  Push: { type: 8, linger: -1, writable: false, ...SEND_DEFAULTS },
  XPublisher: {
    type: 9,
    linger: -1,
    writable: true,
    invertMatching: false,
    ...SEND_DEFAULTS,
    ...RECEIVE_DEFAULTS,
  },
  XSubscriber: { type: 10, linger: 0, writable: true, ...SEND_DEFAULTS, ...RECEIVE_DEFAULTS },
}

/** Collects process warnings while a test runs. */
function captureWarnings(): { readonly messages: string[] } {
  const captured = { messages: [] as string[] }
  let saved: NodeJS.WarningListener[] = []
  const listener = (warning: Error) => {
    captured.messages.push(warning.message)
  }
  beforeEach(() => {
    captured.messages.length = 0
    saved = process.listeners("warning")
    process.removeAllListeners("warning")
    process.on("warning", listener)
  })
  afterEach(() => {
    process.removeAllListeners("warning")
    for (const previous of saved) process.on("warning", previous)
  })
  return captured
}

/** Lets `process.emitWarning` deliver (it emits on the next tick). */
function warningsDelivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function describeImpl({ zmq, traits }: Impl): void {
  describe("defaults", () => {
    for (const [name, expected] of Object.entries(DEFAULTS)) {
      it(`${name} starts with the libzmq defaults`, () => {
        const socket = open(new zmq[name as SocketClass]()) as unknown as Record<string, unknown>
        const actual = Object.fromEntries(
          Object.keys({ ...COMMON_DEFAULTS, ...expected }).map((key) => [key, socket[key]]),
        )
        expect(actual).toEqual({ ...COMMON_DEFAULTS, ...expected })
      })
    }
  })

  describe("round trips", () => {
    it("a boolean option", () => {
      const socket = open(new zmq.Dealer())
      socket.immediate = true
      expect(socket.immediate).toBe(true)
      socket.immediate = false
      expect(socket.immediate).toBe(false)
    })

    it("a 32-bit integer option", () => {
      const socket = open(new zmq.Dealer())
      socket.backlog = 75
      expect(socket.backlog).toBe(75)
    })

    it("a 64-bit integer option beyond 32 bits", () => {
      const socket = open(new zmq.Dealer())
      socket.maxMessageSize = 0xffffffff
      expect(socket.maxMessageSize).toBe(0xffffffff)
      socket.maxMessageSize = 2 ** 40
      expect(socket.maxMessageSize).toBe(2 ** 40)
    })

    it("a string option, including non-ASCII text", () => {
      const socket = open(new zmq.Dealer())
      socket.routingId = "åbçdéfghïjk"
      expect(socket.routingId).toBe("åbçdéfghïjk")
    })

    it("a string option set from a Buffer reads back as a string", () => {
      const socket = open(new zmq.Dealer())
      ;(socket as unknown as { routingId: Buffer }).routingId = Buffer.from("åbçdéfghïjk")
      expect(socket.routingId).toBe("åbçdéfghïjk")
    })

    it("a string option reset to null reads back as null", () => {
      const socket = open(new zmq.Dealer())
      if (traits.unsupported.has("socksProxy")) {
        expect(
          thrownBy(() => {
            socket.socksProxy = "foo"
          }),
        ).toMatchObject(NOT_SUPPORTED)
      } else {
        socket.socksProxy = "foo"
        expect(socket.socksProxy).toBe("foo")
      }
      socket.socksProxy = null
      expect(socket.socksProxy).toBeNull()
    })

    it("timeouts and high-water marks", () => {
      const socket = open(new zmq.Dealer())
      socket.sendTimeout = 25
      socket.receiveTimeout = 0
      socket.sendHighWaterMark = 0
      socket.receiveHighWaterMark = 5
      socket.linger = 0
      expect([socket.sendTimeout, socket.receiveTimeout, socket.sendHighWaterMark]).toEqual([25, 0, 0])
      expect([socket.receiveHighWaterMark, socket.linger]).toEqual([5, 0])
    })

    it("options passed to the constructor", () => {
      const socket = open(
        new zmq.Dealer({ recoveryInterval: 5, linger: 0, routingId: "me", immediate: true }),
      )
      expect([socket.recoveryInterval, socket.linger, socket.routingId, socket.immediate]).toEqual([
        5,
        0,
        "me",
        true,
      ])
    })

    it("securityMechanism follows the mechanism options", () => {
      const socket = open(new zmq.Dealer())
      expect(socket.securityMechanism).toBeNull()
      if (traits.unsupported.has("plainServer")) {
        expect(
          thrownBy(() => {
            socket.plainServer = true
          }),
        ).toMatchObject(NOT_SUPPORTED)
        expect(socket.securityMechanism).toBeNull()
        return
      }
      socket.plainServer = true
      expect(socket.securityMechanism).toBe("plain")
    })
  })

  describe("errors", () => {
    it("assigning a read-only option throws a TypeError", () => {
      const socket = open(new zmq.Dealer())
      const error = thrownBy(() => {
        ;(socket as unknown as { securityMechanism: number }).securityMechanism = 1
      })
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(/securityMechanism/)
    })

    it("assigning an unknown property throws a TypeError (sockets are not extensible)", () => {
      const socket = open(new zmq.Dealer())
      const error = thrownBy(() => {
        ;(socket as unknown as { doesNotExist: number }).doesNotExist = 1
      })
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(/doesNotExist/)
    })

    it("a value of the wrong type throws a TypeError naming the expected type", () => {
      const socket = open(new zmq.Dealer()) as unknown as Record<string, unknown>
      expect(() => {
        socket.sendHighWaterMark = "many"
      }).toThrow(new TypeError("Option value must be a number"))
      expect(() => {
        socket.immediate = 1
      }).toThrow(new TypeError("Option value must be a boolean"))
      expect(() => {
        socket.routingId = 5
      }).toThrow(new TypeError("Option value must be a string or buffer"))
    })

    it("an out-of-range value throws EINVAL", () => {
      const socket = open(new zmq.Dealer())
      for (const assign of [
        () => {
          socket.sendHighWaterMark = -1
        },
        () => {
          socket.routingId = ""
        },
        () => {
          socket.routingId = "x".repeat(256)
        },
      ]) {
        expect(thrownBy(assign)).toMatchObject({ code: "EINVAL", message: "Invalid argument" })
      }
    })

    it.skipIf(traits.crashesAfterConstructorError)(
      "the constructor rejects bad options with a TypeError",
      () => {
        const Dealer = zmq.Dealer as unknown as new (options: Record<string, unknown>) => unknown
        expect(() => new Dealer({ recoveryInterval: "hello" })).toThrow(
          new TypeError("Option value must be a number"),
        )
        expect(thrownBy(() => new Dealer({ securityMechanism: 1 }))).toBeInstanceOf(TypeError)
        expect(thrownBy(() => new Dealer({ doesNotExist: 1 }))).toBeInstanceOf(TypeError)
      },
    )

    it("reading or writing an option of a closed socket throws ENOTSOCK", () => {
      const socket = open(new zmq.Dealer())
      socket.close()
      expect(thrownBy(() => socket.linger)).toMatchObject({ code: "ENOTSOCK" })
      expect(
        thrownBy(() => {
          socket.linger = 5
        }),
      ).toMatchObject({ code: "ENOTSOCK" })
    })
  })

  describe("warnings", () => {
    const warnings = captureWarnings()
    const LATE = "Socket option will not take effect until next connect/bind."

    it("setting routingId after connect warns that it applies from the next connect/bind", async () => {
      const socket = open(new zmq.Dealer())
      socket.connect(deadIpcEndpoint())
      socket.routingId = "late"
      await warningsDelivered()
      expect(warnings.messages).toEqual([LATE])
    })

    it("setting routingId while a bind is in progress warns", async () => {
      const socket = open(new zmq.Dealer())
      const bound = bindAny(socket, "tcp")
      socket.routingId = "late"
      await warningsDelivered()
      await bound
      expect(warnings.messages).toEqual([LATE])
    })

    it("setting routingId after bind warns", async () => {
      const socket = open(new zmq.Dealer())
      await bindAny(socket, "tcp")
      socket.routingId = "late"
      await warningsDelivered()
      expect(warnings.messages).toEqual([LATE])
    })

    it("options that take effect immediately do not warn after connect", async () => {
      const socket = open(new zmq.Dealer())
      socket.connect(deadIpcEndpoint())
      socket.linger = 0
      socket.sendTimeout = 10
      socket.receiveTimeout = 10
      socket.sendHighWaterMark = 10
      socket.receiveHighWaterMark = 10
      await warningsDelivered()
      expect(warnings.messages).toEqual([])
    })

    it("options set before bind or connect do not warn", async () => {
      const socket = open(new zmq.Dealer())
      socket.routingId = "early"
      socket.immediate = true
      await bindAny(socket, "tcp")
      await warningsDelivered()
      expect(warnings.messages).toEqual([])
    })
  })
}

for (const impl of impls) {
  describe(`socket options (${impl.name})`, () => describeImpl(impl))
}
