/** `npm run seed`: the API.md users on the MongoDB of `MONGODB_URI`, created only where absent. */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { seedUsers } from "../../programs/seed.js"
import * as MongoPayoutStore from "./payoutStore.js"

seedUsers.pipe(
  Effect.tap((created) =>
    Effect.log(created.length === 0 ? "seed: every user already exists" : `seed: created ${created.join(", ")}`)
  ),
  Effect.provide(MongoPayoutStore.layerConfig),
  NodeRuntime.runMain
)
