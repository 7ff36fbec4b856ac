/**
 * zlink: ZeroMQ in pure TypeScript with the API of the `zeromq` package v6. Replace
 * `import * as zmq from "zeromq"` with `import * as zmq from "zlink"`.
 *
 * @packageDocumentation
 */
export * from "./api.js"

import * as zlink from "./api.js"

/** The whole module: `import zmq from "zlink"` works as a default import of the `zeromq` package does. */
export default zlink
