import { projectConfig } from "../../vitest.shared.js"

// The property tests run 10,000 cases each: on a busy 2-core CI machine one takes up to a minute.
export default projectConfig({ testTimeout: 180_000 })
