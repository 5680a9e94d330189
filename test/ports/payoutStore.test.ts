import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { payoutStoreContract } from "../contracts/payoutStore.js"

payoutStoreContract("memory", PayoutStore.layerMemory)
