import { projectConfig } from "../vitest.shared.js"

// The short seeded run in `test/run.test.ts` is bounded by its own clock (about 20 s); the timeout
// leaves room for a loaded machine without letting a hang go unnoticed.
export default projectConfig({
  include: ["test/**/*.test.ts"],
  testTimeout: 90_000,
})
