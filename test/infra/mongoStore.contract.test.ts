/** The PayoutStore contract on the Mongo layer: CongoServer in process, so it runs in `npm test` (MONGODB_URI: a real server). */
import { limitsContract } from "../contracts/limits.js"
import { payoutStoreContract } from "../contracts/payoutStore.js"
import { storeUnderTest } from "./mongoServer.js"

const { name, layer, options } = storeUnderTest(process.env.MONGODB_URI)
payoutStoreContract(name, layer, options)
limitsContract(name, layer)
