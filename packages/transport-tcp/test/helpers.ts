import { createServer } from "node:net"

/** The compliance suite's connection recorder, under the name these tests use. */
export { ConnectionProbe as Recorder } from "@zl/transport/compliance"

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** True when this machine can listen on the IPv6 loopback. */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once("error", () => resolve(false))
    server.listen(0, "::1", () => server.close(() => resolve(true)))
  })
}
