import { defineProject } from "vitest/config"

// The runner's logic, the mixed soak's short version (its processes start from a snapshot of
// zlink's build) and the churn client against ROUTERs in the test process (zlink's build, which
// turbo makes before the tests).
export default defineProject({
  test: { include: ["test/**/*.test.ts"] },
})
