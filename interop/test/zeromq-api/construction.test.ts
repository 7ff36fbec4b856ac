/**
 * Construction and validation: constructors called wrongly, `new Socket(type)` with a libzmq socket
 * type number, sealed sockets and contexts (subclasses included), option values of the wrong type or
 * range, and the protected option methods by number. Each check is a short program run against the
 * implementation, and its outcome (what it returned, or the class, code and message of what it
 * threw) must be the one written here, measured on zeromq 6.8.0.
 *
 * zeromq 6.8.0 crashes at exit after a constructor option fails (`Traits.crashesAfterConstructorError`):
 * for that implementation the checks marked `crashes` run in one child process instead, whose
 * output is read before it dies.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { type Impl, impls } from "../fixtures.js"

interface Check {
  /** The body of a function of `zmq` (the implementation); what it returns is the outcome. */
  readonly source: string
  /** `= <JSON>` for a returned value, `<Class>[ <code>]: <message>` for what it threw. */
  readonly expected: string | RegExp
  /** Runs a constructor whose options fail after the native socket or context exists. */
  readonly crashes?: true
}

/** Closes what a check made, after reading from it. */
const closing = (make: string, read: string) =>
  `const s = ${make}; try { return ${read} } finally { s.close() }`

const CHECKS: Record<string, Check> = {
  // ---- constructors called wrongly
  "a socket class without new": { source: "zmq.Dealer()", expected: /^TypeError: Class constructor/ },
  "Socket without new": {
    source: "zmq.Socket(5)",
    expected: /^TypeError: Class constructors? .*without 'new'$/,
  },
  "Context without new": {
    source: "zmq.Context()",
    expected: /^TypeError: Class constructors? .*without 'new'$/,
  },
  "new Socket()": { source: "new zmq.Socket()", expected: "TypeError: Socket type must be a number" },
  "new Socket('5')": { source: "new zmq.Socket('5')", expected: "TypeError: Socket type must be a number" },
  "new Socket(5, 1)": { source: "new zmq.Socket(5, 1)", expected: "TypeError: Options must be an object" },
  "new Socket(5, null)": {
    source: "new zmq.Socket(5, null)",
    expected: "TypeError: Options must be an object",
  },
  "new Socket(5, {}, 1)": {
    source: "new zmq.Socket(5, {}, 1)",
    expected: "TypeError: Expected 2 arguments but received 3",
  },
  "new Dealer(1)": { source: "new zmq.Dealer(1)", expected: "TypeError: Options must be an object" },
  "new Dealer with an array, a function, extra arguments": {
    source: closing("new zmq.Dealer([])", "0"),
    expected: "= 0",
  },
  "new Dealer(() => 1, 1, 2)": {
    source: closing("new zmq.Dealer(() => 1, 1, 2)", "s.type"),
    expected: "= 5",
  },
  "a context option that is not a context": {
    source: "new zmq.Dealer({ context: {} })",
    expected: "Error: Invalid argument",
  },
  "a context option that is undefined": {
    source: "new zmq.Dealer({ context: undefined })",
    expected: "Error: Invalid argument",
  },
  "new Context(1)": { source: "new zmq.Context(1)", expected: "TypeError: Options must be an object" },
  "new Context({}, 1)": {
    source: "new zmq.Context({}, 1)",
    expected: "TypeError: Expected 1 argument but received 2",
  },

  // ---- socket type numbers
  "new Socket(type) for PAIR to XSUB": {
    source: `return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((type) => {
      ${closing("new zmq.Socket(type, { linger: 5 })", "[s.type, s.linger, typeof s.send, typeof s.receive, Object.getPrototypeOf(s) === zmq.Socket.prototype]")}
    })`,
    expected: `= ${JSON.stringify([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((type) => [type, 5, "function", "function", true]))}`,
  },
  "the type converted as ToInt32": {
    source: `return [5.5, NaN, 2 ** 32 + 5].map((type) => { ${closing("new zmq.Socket(type)", "s.type")} })`,
    expected: "= [5,0,5]",
  },
  "an unknown type number": { source: "new zmq.Socket(21)", expected: "Error EINVAL: Invalid argument" },
  "a negative type number": { source: "new zmq.Socket(-1)", expected: "Error EINVAL: Invalid argument" },
  "new Socket(5) has only the base options": {
    source: closing("new zmq.Socket(5)", "[s.routingId, s.sendHighWaterMark, s.linger]"),
    // JSON shows the two undefined properties as null.
    expected: "= [null,null,-1]",
  },
  "new Socket(5) reaches DEALER's routing id by number": {
    source: closing("new zmq.Socket(5)", `(s.setStringOption(5, "id"), s.getStringOption(5))`),
    expected: '= "id"',
  },
  "new Socket(2) subscribes by number": {
    source: closing("new zmq.Socket(2)", `(s.setStringOption(6, "topic"), s.setStringOption(7, "topic"), 0)`),
    expected: "= 0",
  },
  "a subclass of Socket": {
    source: `class Mine extends zmq.Socket { constructor() { super(6) } }
      ${closing("new Mine()", "[s.type, s instanceof zmq.Socket]")}`,
    expected: "= [6,true]",
  },

  // ---- sealed
  "assigning a misspelled option": {
    source: closing("new zmq.Dealer()", "(s.sendHighWatermark = 1)"),
    expected: "TypeError: Cannot add property sendHighWatermark, object is not extensible",
  },
  "a socket has no own properties": {
    source: closing(
      "new zmq.Dealer()",
      "[Object.isExtensible(s), Object.isSealed(s), Reflect.ownKeys(s).length]",
    ),
    expected: "= [false,true,0]",
  },
  "assigning a read-only option": {
    source: closing("new zmq.Dealer()", "(s.securityMechanism = 1)"),
    expected: "TypeError: Cannot set property securityMechanism of #<Socket> which has only a getter",
  },
  "a subclass field": {
    source: "class My extends zmq.Dealer { foo = 1 }; new My()",
    expected: "TypeError: Cannot define property foo, object is not extensible",
  },
  "a subclass adding an option as an accessor": {
    source: `class My extends zmq.Dealer {
        get lingerMs() { return this.getInt32Option(17) }
        set lingerMs(value) { this.setInt32Option(17, value) }
      }
      ${closing("new My({ lingerMs: 42 })", "[s.lingerMs, s.linger]")}`,
    expected: "= [42,42]",
  },
  "an unknown constructor option": {
    source: "new zmq.Dealer({ linger: 5, foo: 1 })",
    expected: "TypeError: Cannot add property foo, object is not extensible",
    crashes: true,
  },
  "a read-only constructor option": {
    source: "new zmq.Dealer({ type: 5 })",
    expected: "TypeError: Cannot set property type of #<Socket> which has only a getter",
    crashes: true,
  },
  "a constructor option of the wrong type": {
    source: "new zmq.Dealer({ linger: 'x' })",
    expected: "TypeError: Option value must be a number",
    crashes: true,
  },
  "an option of another type given to new Socket": {
    source: "new zmq.Socket(5, { routingId: 'x' })",
    expected: "TypeError: Cannot add property routingId, object is not extensible",
    crashes: true,
  },
  "assigning an unknown context property": {
    source: "const c = new zmq.Context(); c.foo = 1",
    expected: "TypeError: Cannot add property foo, object is not extensible",
  },
  "a context subclass field": {
    source: "class C extends zmq.Context { foo = 1 }; new C()",
    expected: "TypeError: Cannot define property foo, object is not extensible",
  },
  "an unknown context option": {
    source: "new zmq.Context({ foo: 1 })",
    expected: "TypeError: Cannot add property foo, object is not extensible",
    crashes: true,
  },
  "a context option out of range": {
    source: "new zmq.Context({ ioThreads: -1 })",
    expected: "Error EINVAL: Invalid argument",
    crashes: true,
  },
  "a context option of the wrong type": {
    source: "new zmq.Context({ blocky: 1 })",
    expected: "TypeError: Option value must be a boolean",
    crashes: true,
  },

  // ---- option values
  "a number option given a string": {
    source: closing("new zmq.Dealer()", "(s.linger = '5')"),
    expected: "TypeError: Option value must be a number",
  },
  "a boolean option given 0": {
    source: closing("new zmq.Dealer()", "(s.immediate = 0)"),
    expected: "TypeError: Option value must be a boolean",
  },
  "a string option given undefined": {
    source: closing("new zmq.Dealer()", "(s.routingId = undefined)"),
    expected: "TypeError: Option value must be a string or buffer",
  },
  "a string option given a Uint16Array": {
    source: closing("new zmq.Dealer()", "(s.routingId = new Uint16Array([0x6261]), s.routingId)"),
    expected: '= "ab"',
  },
  "a string option given a DataView": {
    source: closing("new zmq.Dealer()", "(s.routingId = new DataView(new ArrayBuffer(2)))"),
    expected: "Error: Invalid argument",
  },
  "context defaults": {
    source: `const c = new zmq.Context()
      return [c.blocky, c.ioThreads, c.ipv6, c.maxMessageSize, c.maxSockets, c.maxSocketsLimit, c.threadPriority]`,
    expected: "= [true,1,false,2147483647,1023,65535,null]",
  },
  "context ioThreads out of range": {
    source: "const c = new zmq.Context(); c.ioThreads = -1",
    expected: "Error EINVAL: Invalid argument",
  },
  "context maxSockets 0": {
    source: "const c = new zmq.Context(); c.maxSockets = 0",
    expected: "Error EINVAL: Invalid argument",
  },
  "context blocky given 0": {
    source: "const c = new zmq.Context(); c.blocky = 0",
    expected: "TypeError: Option value must be a boolean",
  },
  "context maxSocketsLimit assigned": {
    source: "const c = new zmq.Context(); c.maxSocketsLimit = 1",
    expected: "TypeError: Cannot set property maxSocketsLimit of #<Context> which has only a getter",
  },

  // ---- by number
  "getInt32Option()": {
    source: closing("new zmq.Dealer()", "s.getInt32Option()"),
    expected: "TypeError: Identifier must be a number",
  },
  "getInt32Option(17, 1)": {
    source: closing("new zmq.Dealer()", "s.getInt32Option(17, 1)"),
    expected: "TypeError: Expected 1 argument but received 2",
  },
  "setInt32Option(17, 1, 2)": {
    source: closing("new zmq.Dealer()", "s.setInt32Option(17, 1, 2)"),
    expected: "TypeError: Expected 2 arguments but received 3",
  },
  "setBoolOption(9999, 0)": {
    source: closing("new zmq.Dealer()", "s.setBoolOption(9999, 0)"),
    expected: "TypeError: Option value must be a boolean",
  },
  "setStringOption(9999, 0)": {
    source: closing("new zmq.Dealer()", "s.setStringOption(9999, 0)"),
    expected: "TypeError: Option value must be a string or buffer",
  },
  "an unknown option number": {
    source: closing("new zmq.Dealer()", "s.setInt32Option(9999, 0)"),
    expected: "Error EINVAL: Invalid argument",
  },
  "an unknown option number on a closed socket": {
    source: "const s = new zmq.Dealer(); s.close(); s.setInt32Option(9999, 1)",
    expected: "Error ENOTSOCK: Socket operation on non-socket",
  },
  "the identifier as ToInt32": {
    source: closing("new zmq.Dealer()", "(s.setInt32Option(2 ** 32 + 17.9, 7), s.linger)"),
    expected: "= 7",
  },
  "an option of another size": {
    source: closing("new zmq.Dealer()", "s.getInt64Option(17)"),
    expected: "Error EINVAL: Invalid argument",
  },
  "int64 -1 read unsigned": {
    source: closing("new zmq.Dealer()", "s.getUint64Option(22)"),
    expected: "= 18446744073709552000",
  },
  "a 4-octet string as a C int": {
    source: closing("new zmq.Dealer()", "(s.setStringOption(17, 'abcd'), s.linger)"),
    expected: `= ${0x64636261}`,
  },
  "a C int as a routing id": {
    source: closing("new zmq.Dealer()", "(s.setInt32Option(5, 1), s.routingId)"),
    expected: '= "\\u0001"',
  },
  "a strict boolean given 2": {
    source: closing("new zmq.Dealer()", "s.setInt32Option(39, 2)"),
    expected: "Error EINVAL: Invalid argument",
  },
  "a relaxed boolean given -1": {
    source: closing("new zmq.Dealer()", "(s.setInt32Option(94, -1), s.loopbackFastPath)"),
    expected: "= true",
  },
  "a ROUTER option given -1": {
    source: closing("new zmq.Router()", "s.setInt32Option(33, -1)"),
    expected: "Error EINVAL: Invalid argument",
  },
  "a ROUTER option read by number": {
    source: closing("new zmq.Router()", "(s.setInt32Option(33, 2), s.getBoolOption(33))"),
    expected: "Error EINVAL: Invalid argument",
  },
  "ZMQ_XPUB_VERBOSER read by number": {
    source: closing("new zmq.XPublisher()", "(s.setBoolOption(78, true), s.getBoolOption(78))"),
    expected: "Error EINVAL: Invalid argument",
  },
  "ZMQ_SUBSCRIBE read by number": {
    source: closing("new zmq.Subscriber()", "s.getStringOption(6)"),
    expected: "Error EINVAL: Invalid argument",
  },
  "a context by number": {
    source: `const c = new zmq.Context()
      c.setInt32Option(70, 2); c.setInt32Option(3, 5)
      return [c.blocky, c.getInt32Option(3), c.getInt32Option(42), c.getBoolOption(1), typeof c.getUint32Option]`,
    expected: '= [true,65535,0,true,"undefined"]',
  },
  "a context boolean given -1 by number": {
    source: "const c = new zmq.Context(); c.setInt32Option(70, -1)",
    expected: "Error EINVAL: Invalid argument",
  },
}

/**
 * Runs a check's source against `zmq`, as strict code (a module's, where assigning what a sealed
 * object refuses throws); the outcome in the form of {@link Check.expected}.
 */
function outcomeOf(zmq: unknown, source: string): string {
  const body = `"use strict"; ${source.includes("return ") ? source : `return (() => { ${source} })()`}`
  try {
    const value = new Function("zmq", body)(zmq)
    return `= ${JSON.stringify(value)}`
  } catch (error) {
    const { code, message } = error as Error & { code?: string }
    const kind = (error as Error).constructor.name
    return `${kind}${code === undefined ? "" : ` ${code}`}: ${message}`
  }
}

/**
 * The outcomes of `sources` against the native zeromq, run in a child process: `outcomeOf` and the
 * sources go to it as text, and each outcome comes back as one line before it exits (and crashes).
 */
function inChild(sources: readonly string[]): string[] {
  const program = `
    const zmq = require("zeromq")
    const outcomeOf = ${outcomeOf.toString()}
    for (const source of ${JSON.stringify(sources)}) process.stdout.write(JSON.stringify(outcomeOf(zmq, source)) + "\\n")
  `
  const run = spawnSync(process.execPath, ["-e", program], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    encoding: "utf8",
    timeout: 20_000,
  })
  return run.stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as string)
}

function describeImpl({ zmq, traits }: Impl): void {
  const entries = Object.entries(CHECKS)
  const inChildHere = entries.filter(([, check]) => check.crashes && traits.crashesAfterConstructorError)
  let childOutcomes = new Map<string, string>()
  beforeAll(() => {
    if (inChildHere.length === 0) return
    const outcomes = inChild(inChildHere.map(([, check]) => check.source))
    childOutcomes = new Map(inChildHere.map(([name], i) => [name, outcomes[i] ?? "no outcome"]))
  })

  for (const [name, check] of entries) {
    it(name, () => {
      const actual = childOutcomes.get(name) ?? outcomeOf(zmq, check.source)
      if (typeof check.expected === "string") expect(actual).toBe(check.expected)
      else expect(actual).toMatch(check.expected)
    })
  }
}

for (const impl of impls) {
  describe(`construction and validation (${impl.name})`, () => describeImpl(impl))
}
