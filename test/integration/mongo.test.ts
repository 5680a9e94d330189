import { payoutStoreContract } from "../contracts/payoutStore.js"
import { storeUnderTest } from "../infra/mongoServer.js"

const { name, layer, options } = storeUnderTest(process.env.MONGODB_URI)
payoutStoreContract(name, layer, options)
