import { Config, Layer } from "effect"
import { RedisClient } from "../../src/infra/redis/client.js"
import * as RedisEventBus from "../../src/infra/redis/eventBus.js"
import * as RedisRateLimiter from "../../src/infra/redis/rateLimiter.js"
import * as RedisUserLock from "../../src/infra/redis/userLock.js"
import { leaseSettings, Settings } from "../../src/settings.js"
import { eventBusContract } from "../contracts/eventBus.js"
import { rateLimiterContract } from "../contracts/rateLimiter.js"
import { realClock } from "../contracts/time.js"
import { userLockContract } from "../contracts/userLock.js"

const client = RedisClient.layerConfig(
  Config.map(Settings.redis, (redis) => ({ ...redis, connectionName: "swiftpay-test" }))
)

userLockContract("redis", Layer.provide(RedisUserLock.layerConfig(leaseSettings), client), { time: realClock })
rateLimiterContract("redis", Layer.provide(RedisRateLimiter.layer, client), { time: realClock })
eventBusContract("redis", Layer.provide(RedisEventBus.layer(), client), { time: realClock })
