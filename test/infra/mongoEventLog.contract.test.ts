/** The EventLog contract on the Mongo layers: CongoServer in process (MONGODB_URI: a real server). */
import { eventLogContract } from "../contracts/eventLog.js"
import { storeUnderTest } from "./mongoServer.js"

const { name, layer } = storeUnderTest(process.env.MONGODB_URI)
eventLogContract(name, layer)
