/**
 * Bulk delivery: 100,000 messages of 64 bytes for each benchmark pattern, over ipc and tcp, between
 * every ordered pair of implementations. The sender and the receiver run concurrently and await
 * every `send()` and `receive()`, the way an application writes it; every message must arrive
 * complete and in order.
 *
 * Publishers run with `sendHighWaterMark = 0` (see links.ts): a PUB drops messages beyond its
 * high-water mark by design, so with the default of 1,000 a fast publisher would lose messages and
 * this test could not demand all of them.
 */
import { describe, it } from "vitest"
import { pairs, socketTracker, transports } from "./fixtures.js"
import { benchPatterns, type LinkEnv, stream } from "./links.js"
import { checkSequenced, sequenced } from "./messages.js"

const open = socketTracker()

const COUNT = 100_000
const SIZE = 64

for (const { binder, connecter, label } of pairs()) {
  for (const transport of [...transports].reverse()) {
    describe(`bulk over ${transport}: ${label}`, () => {
      const env: LinkEnv = { binder: binder.zmq, connecter: connecter.zmq, transport, open }
      for (const [name, pattern] of Object.entries(benchPatterns)) {
        it(`${name}: ${COUNT.toLocaleString("en")} messages of ${SIZE} B arrive complete and in order`, {
          timeout: 60_000,
        }, async () => {
          const link = await pattern.open(env)
          await stream(
            link,
            COUNT,
            (seq) => [sequenced(seq, SIZE)],
            (message, seq) => {
              if (message.length !== 1)
                throw new Error(`message ${seq}: ${message.length} frames, expected 1`)
              checkSequenced(message[0], seq, SIZE)
            },
            { echo: false, timeout: 55_000 },
          )
        })
      }
    })
  }
}
