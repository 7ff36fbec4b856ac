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

const names = Object.values(SocketType)

/**
 * The socket type whose name is exactly `bytes`, compared octet by octet; undefined for anything
 * else. A peer's `Socket-Type` value is checked this way, so that a value of any size costs nothing
 * to refuse.
 *
 * @example
 * ```ts
 * socketTypeOf(new TextEncoder().encode("ROUTER")) // "ROUTER"
 * ```
 */
export function socketTypeOf(bytes: Uint8Array): SocketType | undefined {
  for (const name of names) {
    if (name.length !== bytes.length) continue
    let i = 0
    while (i < bytes.length && bytes[i] === name.charCodeAt(i)) i++
    if (i === bytes.length) return name
  }
  return undefined
}
