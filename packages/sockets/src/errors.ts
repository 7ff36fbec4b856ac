import { ZlError } from "@zl/codec"

/** Builds the errno-coded error the socket API rejects with (`EAGAIN`, `EFSM`, `EBADF`, ...). */
export function socketError(code: string, message: string, cause?: unknown): ZlError {
  return new ZlError(code, message, cause === undefined ? undefined : { cause })
}

/** Turns whatever a transport threw into a coded `ZlError`, keeping the OS errno name where there is one. */
export function asZlError(err: unknown, fallback = "EINVAL"): ZlError {
  if (ZlError.isInstance(err)) return err
  const code = (err as { code?: unknown })?.code
  const message = err instanceof Error ? err.message : String(err)
  return new ZlError(typeof code === "string" ? code : fallback, message, { cause: err })
}
