import { Config, ConfigError, Either, Option, Redacted } from "effect"

/** How to reach Redis: `REDIS_URL` wins; otherwise host, port, password and db. */
export interface RedisConnectOptions {
  readonly url?: Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly db?: number | undefined
}

export const RedisConfig: Config.Config<RedisConnectOptions> = Config.all({
  url: Config.redacted("REDIS_URL").pipe(
    Config.mapOrFail((url) =>
      /^rediss?:\/\//.test(Redacted.value(url))
        ? Either.right(url)
        : Either.left(ConfigError.InvalidData(["REDIS_URL"], "must be a URL starting with redis:// or rediss://"))
    ),
    Config.option
  ),
  host: Config.string("REDIS_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.integer("REDIS_PORT").pipe(
    Config.validate({ message: "must be a port from 1 to 65535", validation: (n) => n >= 1 && n <= 65_535 }),
    Config.withDefault(6379)
  ),
  password: Config.redacted("REDIS_PASSWORD").pipe(Config.option),
  db: Config.integer("REDIS_DB").pipe(
    Config.validate({ message: "must be an integer between 0 and 15", validation: (n) => n >= 0 && n <= 15 }),
    Config.withDefault(0)
  )
}).pipe(
  Config.map(({ url, host, port, password, db }) => ({
    url: Option.getOrUndefined(url),
    host,
    port,
    password: Option.getOrUndefined(password),
    db
  }))
)
