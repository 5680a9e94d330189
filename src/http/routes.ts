import { SwiftPayApi } from "./api/SwiftPayApi.js"

export interface Route {
  readonly method: string
  readonly path: string
}

/** Every endpoint of the contract, as `METHOD /path/:param`. */
export const routes: ReadonlyArray<Route> = Object.values(SwiftPayApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((e): Route => ({ method: e.method, path: e.path }))
)

const DOCS = ["/api/docs", "/api/openapi.json"]

const matches = (template: string, pathname: string) => {
  const want = template.split("/")
  const got = pathname.split("/")
  return want.length === got.length && want.every((seg, i) => seg.startsWith(":") || seg === got[i])
}

/** The route template a path belongs to (a metric label: never the raw path), or "unmatched". */
export const routeOf = (method: string, pathname: string): string => {
  if (DOCS.includes(pathname)) return pathname
  const exact = routes.find((r) => r.method === method && r.path === pathname)
  const found = exact ?? routes.find((r) => r.method === method && matches(r.path, pathname))
  return found?.path ?? "unmatched"
}
