import { runTransportCompliance } from "../src/compliance.js"
import { createTransportContext, memory } from "../src/index.js"

runTransportCompliance("memory", async () => ({
  transport: memory()(createTransportContext()),
  address: () => "*",
}))

// Backpressure like a small kernel buffer, and deliveries cut into odd pieces.
runTransportCompliance("memory (capacity 64 KiB, split 1000)", async () => ({
  transport: memory({ capacity: 64 * 1024, split: 1000 })(createTransportContext()),
  address: () => "*",
}))
