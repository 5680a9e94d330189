/** `npm run seed`: the users of docs/api.md on the MongoDB of `MONGODB_URI`, created only where absent. */
import { Effect } from "effect"
import { seedUsers } from "../programs/seed.js"
import * as Infra from "../runtime/infra.js"
import { runProgram } from "../runtime/launch.js"

runProgram(
  seedUsers.pipe(
    Effect.tap((created) =>
      Effect.log(created.length === 0 ? "seed: every user already exists" : `seed: created ${created.join(", ")}`)
    ),
    Effect.provide(Infra.Store)
  )
)
