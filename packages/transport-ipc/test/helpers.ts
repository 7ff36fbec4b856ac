/** The compliance suite's connection recorder, under the name these tests use. */
export { ConnectionProbe as Recorder } from "@zl/transport/compliance"

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
