import * as Embedded from "./runtime/embedded.js"
import { runMain } from "./runtime/launch.js"

runMain(Embedded.layer({ ports: Embedded.MemoryPorts, banner: true }))
