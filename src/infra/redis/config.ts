import type { Redacted } from "effect"

/** How to reach Redis: `REDIS_URL` wins; otherwise host, port, password and db. */
export interface RedisConnectOptions {
  readonly url?: Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly db?: number | undefined
}
