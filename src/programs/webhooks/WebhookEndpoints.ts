import { randomBytes } from "node:crypto"
import { Clock, Context, Effect, Layer, Option } from "effect"
import {
  type Actor,
  actFor,
  deliveryIdOf,
  type EndpointStatus,
  type EventSelection,
  retire,
  type UserId,
  UserNotFound,
  type ValidationError,
  type WebhookDelivery,
  WebhookDeliveryNotFound,
  type WebhookEndpoint,
  WebhookEndpointId,
  WebhookEndpointNotFound
} from "../../domain/index.js"
import { PayoutStore } from "../../ports/PayoutStore.js"
import { type EndpointPatch, WebhookStore } from "../../ports/WebhookStore.js"
import { Settings } from "../../settings.js"

/** A rotated-out secret keeps signing next to the new one this long, so receivers can switch without a gap. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

/** Where an endpoint URL may point: refuses with a VALIDATION_ERROR on `url` (the SSRF guard). */
export class WebhookUrlCheck extends Context.Tag("swiftpay/WebhookUrlCheck")<
  WebhookUrlCheck,
  (url: string) => Effect.Effect<string, ValidationError>
>() {}

/** `whsec_` + 24 random bytes in base64: the Standard Webhooks secret format. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`
const newEndpointId = () => WebhookEndpointId.make(`we_${randomBytes(12).toString("hex")}`)

export interface NewEndpoint {
  readonly url: string
  readonly events: EventSelection
  readonly description?: string | undefined
}

export interface EndpointChanges {
  readonly url?: string | undefined
  readonly events?: EventSelection | undefined
  readonly description?: string | undefined
  readonly status?: EndpointStatus | undefined
}

const make = Effect.gen(function* () {
  const store = yield* WebhookStore
  const payouts = yield* PayoutStore
  const checkUrl = yield* WebhookUrlCheck
  const maxPerUser = yield* Settings.webhookMaxEndpointsPerUser

  /** The endpoint, when the actor may manage it: someone else's is as unknown as a missing one. */
  const owned = (actor: Actor, id: WebhookEndpointId) =>
    Effect.flatMap(store.getEndpoint(id), (found) =>
      Option.isSome(found) && (actor.role === "admin" || found.value.userId === actor.userId)
        ? Effect.succeed(found.value)
        : Effect.fail(new WebhookEndpointNotFound({ endpointId: id }))
    )

  const update = (id: WebhookEndpointId, patch: EndpointPatch) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => store.updateEndpoint(id, patch, now)).pipe(
      Effect.flatMap(
        Option.match({ onNone: () => new WebhookEndpointNotFound({ endpointId: id }), onSome: Effect.succeed })
      )
    )

  return {
    create: (actor: Actor, userId: UserId, input: NewEndpoint) =>
      Effect.gen(function* () {
        const { target } = yield* actFor(actor, userId)
        // an admin's endpoint for an id nobody has yet would receive the events of whoever takes it later
        if (Option.isNone(yield* payouts.getUser(target))) return yield* new UserNotFound({ userId: target })
        const url = yield* checkUrl(input.url)
        const now = yield* Clock.currentTimeMillis
        const endpoint: WebhookEndpoint = {
          id: newEndpointId(),
          userId: target,
          url,
          events: input.events,
          ...(input.description === undefined ? {} : { description: input.description }),
          status: "enabled",
          secret: newSecret(),
          retiredSecrets: [],
          createdAt: now,
          updatedAt: now
        }
        yield* store.createEndpoint(endpoint, maxPerUser)
        return endpoint
      }),

    list: (actor: Actor, userId: UserId) =>
      Effect.flatMap(actFor(actor, userId), ({ target }) => store.listEndpoints(target)),

    get: owned,

    change: (actor: Actor, id: WebhookEndpointId, changes: EndpointChanges) =>
      Effect.gen(function* () {
        yield* owned(actor, id)
        const url = changes.url === undefined ? undefined : yield* checkUrl(changes.url)
        return yield* update(id, {
          ...(url === undefined ? {} : { url }),
          ...(changes.events === undefined ? {} : { events: changes.events }),
          ...(changes.description === undefined ? {} : { description: changes.description }),
          ...(changes.status === undefined ? {} : { status: changes.status }),
          ...(changes.status === "disabled"
            ? { disabledReason: `Disabled by ${actor.role === "admin" ? "an admin" : "its owner"}` }
            : {})
        })
      }),

    remove: (actor: Actor, id: WebhookEndpointId) =>
      Effect.flatMap(owned(actor, id), () => store.deleteEndpoint(id)).pipe(Effect.asVoid),

    /**
     * A new secret; the old ones sign alongside it for ROTATION_OVERLAP_MS each.
     * A compare-and-set on the secret read: of two racing rotations, each
     * answers a secret that signs (the loser rotates again, after the winner).
     */
    rotateSecret: (actor: Actor, id: WebhookEndpointId) =>
      Effect.gen(function* () {
        for (let tries = 0; tries < 5; tries++) {
          const current = yield* owned(actor, id)
          const now = yield* Clock.currentTimeMillis
          const rotated = yield* store.updateEndpoint(
            id,
            { secret: newSecret(), retiredSecrets: retire(current, now + ROTATION_OVERLAP_MS, now) },
            now,
            { secret: current.secret }
          )
          if (Option.isSome(rotated)) return rotated.value
        }
        return yield* Effect.dieMessage("secret rotation kept losing to concurrent rotations")
      }),

    deliveries: (
      actor: Actor,
      id: WebhookEndpointId,
      page: { readonly before?: string | undefined; readonly limit: number }
    ) => Effect.flatMap(owned(actor, id), () => store.listDeliveries(id, page)),

    /** Due again now, whatever became of it; its attempts so far are kept. */
    retry: (actor: Actor, id: WebhookEndpointId, eventId: string) =>
      Effect.gen(function* () {
        yield* owned(actor, id)
        const again = yield* store.retry(deliveryIdOf(id, eventId), yield* Clock.currentTimeMillis)
        return yield* Option.match(again, {
          onNone: () => Effect.fail(new WebhookDeliveryNotFound({ eventId })),
          onSome: (d): Effect.Effect<WebhookDelivery> => Effect.succeed(d)
        })
      })
  }
})

type Shape = Effect.Effect.Success<typeof make>

/** Managing a user's webhook endpoints: who may, and the rules on URLs, secrets and limits. */
export class WebhookEndpoints extends Context.Tag("swiftpay/WebhookEndpoints")<WebhookEndpoints, Shape>() {
  static readonly layer = Layer.effect(WebhookEndpoints, make)
}
