/** The WebhookStore contract on the Mongo adapter: CongoServer in process (MONGODB_URI: a real server). */
import { webhookStoreContract } from "../contracts/webhookStore.js"
import { webhookStoreUnderTest } from "./mongoServer.js"

const { name, layer } = webhookStoreUnderTest(process.env.MONGODB_URI)
webhookStoreContract(name, layer)
