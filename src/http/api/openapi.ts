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
