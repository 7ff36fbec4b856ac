/**
 * The failure that ended the C++ zlink's ipc transport (reference/zlink-asio-performance-report.md):
 * small messages over ipc:// never arrived, for every pattern, and the benchmark hung on
 * DEALER_ROUTER with 1 KiB messages. Here every benchmark pattern must deliver small messages over
 * ipc, and DEALER_ROUTER and ROUTER_ROUTER must get 100,000 messages of 1 KiB through.
 *
 * libzmq on both sides (2-core machine, zeromq 6.8.0) takes about 2 s for each 100,000-message
 * case; the limit of 55 s leaves room for slower machines and implementations without letting a
 * stall pass.
 */
import { describe, it } from "vitest"
import { pairs, socketTracker } from "./fixtures.js"
import { benchPatterns, type LinkEnv, stream } from "./links.js"
import { checkSequenced, type Frames, sequenced } from "./messages.js"

const open = socketTracker()

function oneFrame(size: number): (message: Frames, seq: number) => void {
  return (message, seq) => {
    if (message.length !== 1) throw new Error(`message ${seq}: ${message.length} frames, expected 1`)
    checkSequenced(message[0], seq, size)
  }
}

for (const { binder, connecter, label } of pairs()) {
  describe(`ipc regression: ${label}`, () => {
    const env: LinkEnv = { binder: binder.zmq, connecter: connecter.zmq, transport: "ipc", open }

    for (const [name, pattern] of Object.entries(benchPatterns)) {
      for (const size of [64, 256, 1024]) {
        it(`${name}: 1,000 messages of ${size} B arrive complete`, async () => {
          const link = await pattern.open(env)
          await stream(link, 1_000, (seq) => [sequenced(seq, size)], oneFrame(size), {
            echo: false,
            timeout: 10_000,
          })
        })
      }
    }

    for (const name of ["DEALER_ROUTER", "ROUTER_ROUTER"]) {
      it(`${name}: 100,000 messages of 1 KiB complete well within 60 s`, { timeout: 60_000 }, async (ctx) => {
        const link = await benchPatterns[name]!.open(env)
        const started = performance.now()
        await stream(link, 100_000, (seq) => [sequenced(seq, 1024)], oneFrame(1024), {
          echo: false,
          timeout: 55_000,
        })
        const seconds = (performance.now() - started) / 1000
        ctx.annotate(`${name} ipc 100,000 x 1 KiB: ${seconds.toFixed(2)} s`)
      })
    }
  })
}
