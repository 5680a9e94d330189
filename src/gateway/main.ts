import { runMain } from "../runtime/launch.js"
import * as Gateway from "./runtime.js"

runMain(Gateway.layer)
