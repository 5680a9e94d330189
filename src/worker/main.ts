import { runMain } from "../runtime/launch.js"
import * as Worker from "./runtime.js"

runMain(Worker.layer)
