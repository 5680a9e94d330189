import { SwiftPayApi } from "./api/SwiftPayApi.js"
import { DOCS, routerPath } from "./paths.js"

export interface Route {
  readonly method: string
  readonly path: string
}

/** Every endpoint of the contract, as `METHOD /path/:param`. */
export const routes: ReadonlyArray<Route> = Object.values(SwiftPayApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((e): Route => ({ method: e.method, path: e.path }))
)

const matches = (template: string, pathname: string) => {
  const want = template.split("/")
  const got = pathname.split("/")
  return want.length === got.length && want.every((seg, i) => seg.startsWith(":") || seg === got[i])
}

/** The route template a request URL is routed to (a metric label: never the raw path), or "unmatched". */
export const routeOf = (method: string, url: string): string => {
  const pathname = routerPath(url)
  if (DOCS.includes(pathname)) return pathname
  // the router answers HEAD with the GET route
  const served = (r: Route) => r.method === method || (method === "HEAD" && r.method === "GET")
  const exact = routes.find((r) => served(r) && r.path === pathname)
  const found = exact ?? routes.find((r) => served(r) && matches(r.path, pathname))
  return found?.path ?? "unmatched"
}
