import { PayoutEventType } from "../../domain/index.js"

const DECODE_ERROR_REF = "#/components/schemas/HttpApiDecodeError"
const FRAMEWORK_SCHEMAS = ["HttpApiDecodeError", "Issue", "PropertyKey"]

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const strip = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(strip)
  if (!isRecord(node)) return node
  const { anyOf, ...rest } = node
  if (Array.isArray(anyOf)) {
    const kept = anyOf.filter((s) => !(isRecord(s) && s.$ref === DECODE_ERROR_REF))
    if (kept.length < anyOf.length) {
      return kept.length === 1 && isRecord(kept[0]) ? strip({ ...rest, ...kept[0] }) : strip({ ...rest, anyOf: kept })
    }
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strip(v)]))
}

/**
 * The framework's decode errors never reach clients in their own shape (the
 * edge answers them as VALIDATION_ERROR), so the document leaves them out.
 */
export const withoutFrameworkErrors = (spec: Record<string, unknown>): Record<string, unknown> => {
  const stripped = strip(spec)
  if (!isRecord(stripped)) return spec
  const components = isRecord(stripped.components) ? stripped.components : {}
  const schemas = isRecord(components.schemas) ? components.schemas : {}
  return {
    ...stripped,
    components: {
      ...components,
      schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => !FRAMEWORK_SCHEMAS.includes(name)))
    }
  }
}

const header = (name: string, description: string, example: string) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
  example
})

/**
 * The requests SwiftPay makes to a webhook endpoint (OpenAPI 3.1 `webhooks`):
 * the framework documents only what the server answers, so this is added here.
 */
export const withWebhooks = (spec: Record<string, unknown>): Record<string, unknown> => ({
  ...spec,
  webhooks: {
    payoutEvent: {
      post: {
        summary: "A payout event, POSTed to every enabled endpoint that wants its type (Standard Webhooks)",
        description:
          "Verify the signature with the endpoint's secret (e.g. with the standardwebhooks package) and drop repeats by webhook-id. Any 2xx within 10 s is delivered; 410 disables the endpoint; anything else is retried for about a day.",
        parameters: [
          header("webhook-id", "The eventId: the same on every attempt", "evt_user_001_0000000003"),
          header("webhook-timestamp", "This attempt's time, Unix seconds", "1764790000"),
          header(
            "webhook-signature",
            "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated when two secrets are in force",
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
          )
        ],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["type", "timestamp", "data"],
                properties: {
                  type: {
                    type: "string",
                    enum: [...PayoutEventType.literals]
                  },
                  timestamp: { type: "string", format: "date-time", description: "when the event happened" },
                  data: { $ref: "#/components/schemas/PayoutEvent" }
                }
              }
            }
          }
        },
        responses: {
          "200": { description: "Any 2xx: delivered" },
          "410": { description: "Gone: SwiftPay disables the endpoint" }
        }
      }
    }
  }
})
