import { Effect, Layer } from "effect"
import { HealthChecks, portProbes } from "../http/HealthChecks.js"
import { Jwt } from "../http/Jwt.js"
import { EventBus } from "../ports/EventBus.js"
import * as MemoryQueue from "../ports/memory/queue.js"
import * as MemoryRail from "../ports/memory/rail.js"
import type { PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { RateLimiter } from "../ports/RateLimiter.js"
import type { SettlementRail } from "../ports/SettlementRail.js"
import { UserLock } from "../ports/UserLock.js"
import { Accounts } from "../programs/Accounts.js"
import { PayoutIntake } from "../programs/PayoutIntake.js"
import { PayoutSettlement } from "../programs/PayoutSettlement.js"
import { Recovery } from "../programs/Recovery.js"
import { seedUsers } from "../programs/seed.js"
import { SettlementConsumer } from "../worker/consumer.js"
import * as Banner from "./banner.js"
import * as StartupConfig from "./config.js"
import * as GatewayHttp from "./gatewayHttp.js"
import type { ListenOptions } from "./httpServer.js"
import * as Logging from "./logging.js"

export const MemoryPorts = Layer.mergeAll(
  PayoutStore.layerMemory,
  UserLock.layerMemory,
  RateLimiter.layerMemory,
  EventBus.layerMemory,
  // The memory modules' own layers: the same ports, plus their test handles (MemoryQueue, MemoryRail).
  MemoryQueue.layerConfig(),
  MemoryRail.layerConfig()
)

/** Every use case, on whatever ports are provided. */
export const Programs = Layer.mergeAll(PayoutIntake.layer, PayoutSettlement.layer, Recovery.layer, Accounts.layer)

/** The worker's background loops: queue consumer and recovery. */
export const WorkerLoops = Layer.mergeAll(SettlementConsumer, Recovery.loop)

export const embeddedHealth = HealthChecks.layer({
  store: portProbes.store,
  queue: portProbes.queue,
  lock: portProbes.lock,
  rateLimiter: portProbes.rateLimiter,
  eventBus: portProbes.eventBus
})

export interface EmbeddedOptions extends ListenOptions {
  /** Print the URLs and demo tokens once listening (npm start). */
  readonly banner?: boolean | undefined
}

export type Ports = PayoutStore | UserLock | RateLimiter | EventBus | PayoutQueue | SettlementRail

/**
 * `npm start`: gateway and worker in one process on the given ports (memory
 * layers; tests wrap one to make it fail), the seeded users, HTTP + Socket.IO
 * on HOST:PORT (127.0.0.1 unless HOST says otherwise). Every setting is checked
 * first, all at once; then it is built bottom-up (logging, ports, programs, seed and worker loops,
 * then the edge) and released top-down. Outputs the ports and the server so
 * tests can look inside.
 */
export const layerWith = <A, E>(ports: Layer.Layer<A, E>, options: EmbeddedOptions = {}) => {
  const edge = GatewayHttp.layer({ defaultHost: StartupConfig.defaultHost("embedded"), ...options })
  const app = (options.banner === true ? Layer.provideMerge(Banner.layer, edge) : edge).pipe(
    Layer.provide(Layer.mergeAll(WorkerLoops, Layer.effectDiscard(Effect.orDie(seedUsers)))),
    Layer.provideMerge(Layer.mergeAll(Programs, embeddedHealth, Jwt.layerConfig({ allowDevelopmentSecret: true })))
  )
  return Layer.provideMerge(app, ports).pipe(
    Layer.provide(Logging.layer("pretty")),
    Layer.provide(StartupConfig.layer("embedded"))
  )
}

export const layer = (options: EmbeddedOptions = {}) => layerWith(MemoryPorts, options)
