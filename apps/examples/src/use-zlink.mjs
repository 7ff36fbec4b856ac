// Runs a program written for the `zeromq` package on zlink without touching its source:
// `node --import ./src/use-zlink.mjs program.js` resolves every import of "zeromq" to "zlink".
import { register } from "node:module"

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      return next(specifier === "zeromq" ? "zlink" : specifier, context)
    }
  `)}`,
  import.meta.url,
)
