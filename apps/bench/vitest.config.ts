import { defineProject } from "vitest/config"

// The runner's logic, and the mixed soak's short version (its processes start from a snapshot of zlink's build).
export default defineProject({
  test: { include: ["test/**/*.test.ts"] },
})
