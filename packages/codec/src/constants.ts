/**
 * Every ZMTP 3.1 wire constant the codec uses, in one place (RFC 37, rfc.zeromq.org/spec/37).
 */

/** Frame flag bits (RFC 37 "Framing"): bit 0 MORE, bit 1 LONG, bit 2 COMMAND; bits 3-7 are reserved. */
export const FrameFlag = {
  /** More frames of the same message follow. */
  MORE: 0x01,
  /** The size field is 8 octets (big-endian) instead of 1. */
  LONG: 0x02,
  /** The frame is a command, not message data. */
  COMMAND: 0x04,
} as const

/** The greeting is exactly 64 octets (RFC 37 "Version Negotiation"). */
export const GREETING_SIZE = 64
/** Signature length: `0xFF`, 8 octets of padding, `0x7F`. */
export const SIGNATURE_SIZE = 10
/** Octets after which the major version is known (signature plus one). */
export const VERSION_MAJOR_OFFSET = 10
/** Offset of the minor version octet. */
export const VERSION_MINOR_OFFSET = 11
/** Offset of the 20-octet, NUL-padded mechanism name. */
export const MECHANISM_OFFSET = 12
/** Length of the mechanism field. */
export const MECHANISM_SIZE = 20
/** Offset of the as-server octet. */
export const AS_SERVER_OFFSET = 32
/** First octet of the signature. */
export const SIGNATURE_START = 0xff
/** Last octet of the signature; bit 0 set marks a versioned (ZMTP >= 2.0) peer. */
export const SIGNATURE_END = 0x7f
/** The ZMTP major version this codec speaks. */
export const ZMTP_MAJOR = 3
/** The ZMTP minor version this codec announces (3.1). */
export const ZMTP_MINOR = 1

/** The largest size a short frame can carry; larger frames use the 8-octet LONG size. */
export const MAX_SHORT_SIZE = 255
/** Header of a short frame: flags and 1 size octet. */
export const SHORT_HEADER_SIZE = 2
/** Header of a long frame: flags and 8 size octets. */
export const LONG_HEADER_SIZE = 9

/**
 * The largest frame this codec will accept even without a `maxMessageSize`: the largest
 * `Uint8Array` every JavaScript engine we target can allocate.
 */
export const MAX_FRAME_SIZE = 2 ** 32 - 1

/** Command names of RFC 37 and of the security mechanisms (RFC 24, RFC 26). */
export const Command = {
  READY: "READY",
  ERROR: "ERROR",
  SUBSCRIBE: "SUBSCRIBE",
  CANCEL: "CANCEL",
  PING: "PING",
  PONG: "PONG",
  HELLO: "HELLO",
  WELCOME: "WELCOME",
  INITIATE: "INITIATE",
  MESSAGE: "MESSAGE",
} as const

/** Longest PING context a peer may send, and the part of it a PONG echoes (RFC 37 "Connection Heartbeating"). */
export const MAX_PING_CONTEXT = 16
/** Longest ERROR reason (1-octet length). */
export const MAX_ERROR_REASON = 255
/** Longest metadata property name (1-octet length). */
export const MAX_PROPERTY_NAME = 255
/**
 * The most properties a metadata block may carry by default. libzmq sends two or three (Socket-Type,
 * Identity, and `ZMQ_METADATA`'s `X-` properties); a peer sending thousands only costs memory.
 */
export const DEFAULT_MAX_PROPERTIES = 64

/**
 * Each part of a multipart message after the first counts this many octets on top of its size
 * against `maxMessageSize`: about what holding one more part costs in memory, so that a message
 * of empty parts is bounded too.
 */
export const PART_OVERHEAD = 32

/** Standard metadata property names, spelled as libzmq sends them (libzmq compares them case-sensitively). */
export const Property = {
  SOCKET_TYPE: "Socket-Type",
  IDENTITY: "Identity",
  RESOURCE: "Resource",
  USER_ID: "User-Id",
} as const

/** Mechanism names of the greeting. */
export const Mechanism = {
  NULL: "NULL",
  PLAIN: "PLAIN",
  CURVE: "CURVE",
} as const

/** The default size of the encoder's largest pooled batch buffer. */
export const DEFAULT_SLAB_SIZE = 64 * 1024
/**
 * The default size of an encoder's first batch buffer: enough for the greeting, the READY command
 * and a few small messages. Each later buffer is twice the last, up to the slab size, so a connection
 * that stays idle after its handshake holds 1 KiB, and a busy one reaches full size after 63 KiB.
 */
export const DEFAULT_INITIAL_SLAB_SIZE = 1024
/** Frames up to this size are copied into the batch buffer; larger ones are handed out by reference. */
export const DEFAULT_COPY_THRESHOLD = 8 * 1024
