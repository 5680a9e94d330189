import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { limitsContract } from "../contracts/limits.js"
import { payoutStoreContract } from "../contracts/payoutStore.js"

payoutStoreContract("memory", MemoryStore.layer)
limitsContract("memory", MemoryStore.layer)
