import { projectConfig } from "../vitest.shared.js"

// Each test file runs in its own child process (`forks`): the libzmq binding keeps native threads and
// file descriptors, and a process per file keeps one file's sockets from outliving it into the next.
// The shared config also aliases every workspace package (`zlink` included, once it exists) to its
// `src/`, so the interop suite never needs a build.
export default projectConfig({
  include: ["test/**/*.test.ts"],
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: "forks",
})
