import { packageBuild } from "../../tsup.shared.js"
import pkg from "./package.json" with { type: "json" }

export default packageBuild(pkg.version)
