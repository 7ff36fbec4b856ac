/**
 * ZeroMQ socket types as they appear in the READY command's `Socket-Type` property, and which pairs
 * of them may talk (RFC 37 "Socket Types"; libzmq `mechanism_t::check_socket_type`).
 */
export const SocketType = {
  PAIR: "PAIR",
  PUB: "PUB",
  SUB: "SUB",
  REQ: "REQ",
  REP: "REP",
  DEALER: "DEALER",
  ROUTER: "ROUTER",
  PULL: "PULL",
  PUSH: "PUSH",
  XPUB: "XPUB",
  XSUB: "XSUB",
} as const

export type SocketType = (typeof SocketType)[keyof typeof SocketType]

const peers: Readonly<Record<SocketType, readonly SocketType[]>> = {
  PAIR: ["PAIR"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PULL: ["PUSH"],
  PUSH: ["PULL"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
}

/**
 * True when a socket of type `local` may talk to a peer announcing `remote`.
 *
 * @example
 * ```ts
 * isCompatible("DEALER", "ROUTER") // true
 * isCompatible("PUB", "PUSH") // false
 * ```
 */
export function isCompatible(local: SocketType, remote: string): boolean {
  return (peers[local] as readonly string[]).includes(remote)
}

/**
 * Socket types whose READY carries an `Identity` property. libzmq sends it for REQ, DEALER and ROUTER
 * (`mechanism_t::add_basic_properties`), possibly empty.
 */
export function sendsIdentity(type: SocketType): boolean {
  return type === "REQ" || type === "DEALER" || type === "ROUTER"
}
