import { projectConfig } from "../../vitest.shared.js"

// --expose-gc: the hostile-peer tests measure what an attack costs in memory after a collection.
export default projectConfig({ execArgv: ["--expose-gc"] })
