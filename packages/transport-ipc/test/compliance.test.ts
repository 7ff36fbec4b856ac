import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTransportContext } from "@zl/transport"
import { runTransportCompliance } from "@zl/transport/compliance"
import { ipc } from "../src/index.js"

runTransportCompliance("ipc", async () => {
  const dir = await mkdtemp(join(tmpdir(), "zl-ipc-"))
  let next = 0
  return {
    transport: ipc()(createTransportContext()),
    address: () => join(dir, `s${next++}.sock`),
    teardown: () => rm(dir, { recursive: true, force: true }),
  }
})

if (process.platform === "linux") {
  runTransportCompliance("ipc (abstract sockets)", async () => {
    const prefix = `zl-test-${process.pid}-${Math.random().toString(36).slice(2)}`
    let next = 0
    return {
      transport: ipc()(createTransportContext()),
      address: () => `@${prefix}-${next++}`,
    }
  })
}
