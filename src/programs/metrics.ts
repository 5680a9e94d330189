import { Duration, Metric, MetricBoundaries } from "effect"

const latencyBoundaries = MetricBoundaries.exponential({ start: 1, factor: 2, count: 16 })

/** Payouts that reached a final status, labelled `status` = completed | failed | canceled | returned. */
export const payoutsFinished = Metric.counter("swiftpay_payouts_total", {
  description: "Payouts by final status",
  incremental: true
})

export const payoutsAccepted = Metric.counter("swiftpay_payouts_accepted_total", {
  description: "Payouts accepted (money held)",
  incremental: true
})

export const intakeLatency = Metric.histogram(
  "swiftpay_intake_duration_ms",
  latencyBoundaries,
  "Time to accept a payout request, in milliseconds"
).pipe(Metric.mapInput(Duration.toMillis))

export const settlementLatency = Metric.histogram(
  "swiftpay_settlement_duration_ms",
  latencyBoundaries,
  "Time for one settlement attempt, in milliseconds"
).pipe(Metric.mapInput(Duration.toMillis))

export const settlementsInFlight = Metric.gauge("swiftpay_settlements_in_flight", {
  description: "Settlement attempts running in this process"
})

export const recoveryRequeued = Metric.counter("swiftpay_recovery_requeued_total", {
  description: "Payouts Recovery put on the queue again (never queued, or their settlement lease expired)",
  incremental: true
})

export const velocityRefusals = Metric.counter("swiftpay_velocity_refusals_total", {
  description: "Payouts refused by the velocity check (VELOCITY_LIMIT), each logged for review",
  incremental: true
})

export const intakePublishDeferred = Metric.counter("swiftpay_intake_publish_deferred_total", {
  description: "Accepted payouts whose queue message was left to Recovery (broker down or slow)",
  incremental: true
})

/** Webhook attempts, labelled `outcome` = delivered | retry | failed | gone. */
export const webhookAttempts = Metric.counter("swiftpay_webhook_attempts_total", {
  description: "Webhook delivery attempts by outcome",
  incremental: true
})

/** Webhook deliveries that ended, labelled `status` = delivered | failed. */
export const webhookDeliveries = Metric.counter("swiftpay_webhook_deliveries_total", {
  description: "Webhook deliveries that ended, by final status",
  incremental: true
})

export const webhookLatency = Metric.histogram(
  "swiftpay_webhook_attempt_duration_ms",
  latencyBoundaries,
  "Time for one webhook attempt (request to answer or error), in milliseconds"
).pipe(Metric.mapInput(Duration.toMillis))

/** Labelled `sink` = bus | webhooks. */
export const eventLag = Metric.gauge("swiftpay_event_relay_lag_seconds", {
  description: "Age of the oldest recorded event the sink has not been handed yet, when last looked at"
})

/** 0 closed, 1 half-open, 2 open. */
export const railCircuit = Metric.gauge("swiftpay_rail_circuit_state", {
  description: "The rail circuit breaker: 0 closed, 1 half-open (one trial call), 2 open (the rail is not called)"
})

export const railDeferred = Metric.counter("swiftpay_rail_breaker_deferred_total", {
  description: "Payout messages put back in the broker, unclaimed, because the rail circuit breaker was open",
  incremental: true
})
