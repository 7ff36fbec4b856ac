import { defineProject } from "vitest/config"

// The examples run as child processes against the built zlink package, exactly as a user runs them.
export default defineProject({
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
})
