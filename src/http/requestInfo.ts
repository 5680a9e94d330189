import { randomUUID } from "node:crypto"
import { Context, Effect, Option, Ref } from "effect"
import type { Actor } from "../domain/index.js"

/**
 * What the access log line of a request needs from deeper in: who the request
 * turned out to be (set by authentication) and the error code it was answered
 * with (set where errors are rendered). One per request, provided by the edge.
 */
export class RequestInfo extends Context.Tag("swiftpay/RequestInfo")<
  RequestInfo,
  {
    readonly requestId: string
    readonly actor: Ref.Ref<Option.Option<Actor>>
    readonly errorCode: Ref.Ref<Option.Option<string>>
  }
>() {}

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

/** The caller's `X-Request-Id` when it is 1..128 of `[A-Za-z0-9._-]`, else a fresh UUID. */
export const requestIdFrom = (incoming: string | undefined): Effect.Effect<string> =>
  incoming !== undefined && VALID_REQUEST_ID.test(incoming) ? Effect.succeed(incoming) : Effect.sync(randomUUID)

export const makeRequestInfo = (requestId: string) =>
  Effect.map(Effect.all([Ref.make(Option.none<Actor>()), Ref.make(Option.none<string>())]), ([actor, errorCode]) =>
    RequestInfo.of({ requestId, actor, errorCode })
  )

const note = <A>(pick: (info: RequestInfo["Type"]) => Ref.Ref<Option.Option<A>>, value: A) =>
  Effect.flatMap(Effect.serviceOption(RequestInfo), (info) =>
    Option.match(info, { onNone: () => Effect.void, onSome: (i) => Ref.set(pick(i), Option.some(value)) })
  )

export const noteActor = (actor: Actor) => note((i) => i.actor, actor)
export const noteErrorCode = (code: string) => note((i) => i.errorCode, code)
