/** How an input is cut into the chunks a transport would deliver. */
import type { Rng } from "./prng.js"

/**
 * Cuts `data` into chunks, in one of several ways: whole, 1-octet chunks, random small-biased sizes,
 * or a fixed stride (2, 9 and 64 straddle the short header, the long header and the greeting).
 * Chunks are views of `data`, made one at a time as they are taken (tens of thousands of views
 * alive at once would weigh more than the input); none is empty unless `data` is.
 */
export function* chunks(rng: Rng, data: Uint8Array): Generator<Uint8Array, void, undefined> {
  const n = data.length
  if (n === 0) {
    yield data
    return
  }
  const mode = rng.below(8)
  if (mode === 0) {
    yield data
    return
  }
  let stride = 0
  if (mode === 1) stride = 1
  else if (mode === 2) stride = rng.pick([2, 3, 9, 10, 11, 63, 64, 65, 256])
  let pos = 0
  // 1-octet chunks of a large input cost a call per octet; beyond 4 KiB they switch to random sizes.
  while (pos < n) {
    const size = stride > 0 && (stride > 1 || pos < 4096) ? stride : 1 + rng.size(mode >= 6 ? 4096 : 300)
    yield data.subarray(pos, Math.min(n, pos + size))
    pos += size
  }
}
