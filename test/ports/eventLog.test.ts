import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { eventLogContract } from "../contracts/eventLog.js"

eventLogContract("memory", MemoryStore.layer)
