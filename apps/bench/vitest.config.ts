import { defineProject } from "vitest/config"

// The runner's logic, and the churn client against ROUTERs in the test process (zlink's build,
// which turbo makes before the tests): nothing here starts a benchmark process.
export default defineProject({
  test: { include: ["test/**/*.test.ts"] },
})
