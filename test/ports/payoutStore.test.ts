import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { payoutStoreContract } from "../contracts/payoutStore.js"

payoutStoreContract("memory", MemoryStore.layer)
