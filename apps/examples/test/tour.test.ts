import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = fileURLToPath(new URL("..", import.meta.url))
const tsx = ["--import", "tsx", "src/tour.ts"]

const expected = [
  "req/rep: hello -> HELLO",
  "req/rep: zero -> ZERO",
  "req/rep: bye -> BYE",
  "pub/sub: news.1 (body of news.1)",
  "pub/sub: news.2 (body of news.2)",
  "push/pull: sum of squares 1..6 = 91",
  "router: alpha: hi from alpha",
  "router: beta: hi from beta",
  "dealer alpha: welcome alpha",
  "dealer beta: welcome beta",
  "tour complete",
]

describe("a zeromq v6 program runs unchanged on zlink", () => {
  it("prints the expected tour on zeromq (libzmq)", async () => {
    const { stdout } = await run(process.execPath, tsx, { cwd: root, timeout: 50_000 })
    expect(stdout.trim().split("\n")).toEqual(expected)
  })

  it("prints the same tour with every import of zeromq resolved to zlink", async () => {
    const { stdout } = await run(process.execPath, ["--import", "./src/use-zlink.mjs", ...tsx], {
      cwd: root,
      timeout: 50_000,
    })
    expect(stdout.trim().split("\n")).toEqual(expected)
  })
})
