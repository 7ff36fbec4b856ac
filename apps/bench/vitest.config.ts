import { defineProject } from "vitest/config"

// The runner's logic only: nothing here starts a benchmark process.
export default defineProject({
  test: { include: ["test/**/*.test.ts"] },
})
