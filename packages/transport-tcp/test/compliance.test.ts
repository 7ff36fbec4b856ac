import { createTransportContext } from "@zl/transport"
import { runTransportCompliance } from "@zl/transport/compliance"
import { tcp } from "../src/index.js"

runTransportCompliance("tcp", async () => ({
  transport: tcp()(createTransportContext()),
  address: () => "127.0.0.1:*",
}))
