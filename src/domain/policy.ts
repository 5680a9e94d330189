import { Either } from "effect"
import { Forbidden } from "./errors.js"
import type { UserId } from "./ids.js"

/** Who is calling: the verified `sub` and `role` of a bearer token. */
export interface Actor {
  readonly userId: UserId
  readonly role: "user" | "admin"
}

const AuthorizedId: unique symbol = Symbol.for("swiftpay/Authorized")

/**
 * Proof that `actor` passed a policy for `target`. Only the policies below make
 * one, and the code that reads or moves a user's money takes it as a parameter:
 * a path that skips the check does not compile.
 */
export interface Authorized<Target> {
  readonly [AuthorizedId]: typeof AuthorizedId
  readonly actor: Actor
  readonly target: Target
}

/** A rule: the actor may act on this target, or Forbidden. An Either, so it is yielded like an Effect. */
export type Policy<Target> = (actor: Actor, target: Target) => Either.Either<Authorized<Target>, Forbidden>

const grant = <Target>(actor: Actor, target: Target): Authorized<Target> => ({
  [AuthorizedId]: AuthorizedId,
  actor,
  target
})

/** A user acts on its own account only; an admin on any. */
export const actFor: Policy<UserId> = (actor, userId) =>
  actor.role === "admin" || actor.userId === userId ? Either.right(grant(actor, userId)) : Either.left(new Forbidden())

/** An owned resource (a payout) is the owner's account's: whoever may act for the owner may read it. */
export const readOwned =
  <Target extends { readonly userId: UserId }>(): Policy<Target> =>
  (actor, target) =>
    Either.map(actFor(actor, target.userId), () => grant(actor, target))

/** Only the admin role. */
export const administer: Policy<"admin"> = (actor, target) =>
  actor.role === "admin"
    ? Either.right(grant(actor, target))
    : Either.left(new Forbidden({ message: "Admin role required" }))

/** True when the policy lets `actor` at `target`: for rules that answer with a boolean (socket rooms). */
export const allows = <Target>(policy: Policy<Target>, actor: Actor, target: Target): boolean =>
  Either.isRight(policy(actor, target))

/**
 * The per-user payout bucket is the actor's own: an admin's payouts, for whomever,
 * count against the admin, never against that user or a user with the admin's id.
 */
export const rateLimitKey = (actor: Actor): string =>
  actor.role === "admin" ? `rl:admin:${actor.userId}` : `rl:user:${actor.userId}`
