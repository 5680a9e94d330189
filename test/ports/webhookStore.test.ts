import * as MemoryWebhookStore from "../../src/ports/memory/webhookStore.js"
import { webhookStoreContract } from "../contracts/webhookStore.js"

webhookStoreContract("memory", MemoryWebhookStore.layer)
