/**
 * @zl/codec: the ZMTP 3.1 wire format (rfc.zeromq.org/spec/37): greeting, commands and frames.
 * No I/O and no platform imports: `Uint8Array` in, `Uint8Array` out.
 *
 * @packageDocumentation
 */
export {
  encodeCancel,
  encodeCommand,
  encodeErrorCommand,
  encodeMetadata,
  encodePing,
  encodePong,
  encodeReady,
  encodeSubscribe,
  type Metadata,
  type MetadataInput,
  type ParsedCommand,
  type Ping,
  parseCommand,
  parseErrorCommand,
  parseMetadata,
  parsePing,
} from "./command.js"
export {
  Command,
  DEFAULT_COPY_THRESHOLD,
  DEFAULT_INITIAL_SLAB_SIZE,
  DEFAULT_MAX_PROPERTIES,
  DEFAULT_SLAB_SIZE,
  FrameFlag,
  GREETING_SIZE,
  MAX_FRAME_SIZE,
  MAX_PING_CONTEXT,
  Mechanism,
  PART_OVERHEAD,
  Property,
  SIGNATURE_SIZE,
  ZMTP_MAJOR,
  ZMTP_MINOR,
} from "./constants.js"
export { Decoder, type DecoderOptions, type DecoderSink } from "./decoder.js"
export { Encoder, type EncoderOptions } from "./encoder.js"
export { ZlError, ZmtpError, ZmtpErrorCode } from "./errors.js"
export { encodeGreeting, type Greeting, type GreetingOptions, GreetingReader } from "./greeting.js"

/** The version of this package. */
export const version: string = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev"
