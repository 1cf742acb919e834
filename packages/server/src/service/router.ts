import type { RouteDef, RouteMethod } from './types.js'

/** The routes of one path, by method, and the `Allow` header DRF sends with a 405. */
export interface PathRoutes {
  readonly byMethod: ReadonlyMap<string, RouteDef>
  readonly allow: string
}

/** A match: the path's routes and its parameters. */
export interface RouteMatch {
  readonly routes: PathRoutes
  readonly params: Record<string, string>
}

interface Pattern {
  readonly parts: readonly string[]
  readonly routes: PathRoutes
}

/**
 * Matches request paths to routes: a map lookup for fixed paths (every hot one), a segment walk for paths with
 * `:params`. A missing trailing slash matches as well (Fastify's `ignoreTrailingSlash`, DRF's `APPEND_SLASH`).
 */
export class Router {
  readonly #fixed = new Map<string, PathRoutes>()
  readonly #patterns: Pattern[] = []

  constructor(routes: readonly RouteDef[]) {
    const byPath = new Map<string, Map<string, RouteDef>>()
    for (const route of routes) {
      const methods = byPath.get(route.path) ?? new Map<string, RouteDef>()
      if (methods.has(route.method))
        throw new Error(`route ${route.method} ${route.path} is defined twice`)
      methods.set(route.method, route)
      byPath.set(route.path, methods)
    }
    for (const [path, methods] of byPath) {
      const names = [...methods.keys()] as RouteMethod[]
      const allow = [...names, ...(names.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ')
      const entry: PathRoutes = { byMethod: methods, allow }
      if (path.includes('/:')) this.#patterns.push({ parts: path.split('/'), routes: entry })
      else this.#fixed.set(path, entry)
    }
  }

  /** The routes for a path (without query string), or null when no route has that path. */
  match(path: string): RouteMatch | null {
    const fixed =
      this.#fixed.get(path) ?? (path.endsWith('/') ? undefined : this.#fixed.get(`${path}/`))
    if (fixed) return { routes: fixed, params: {} }
    if (this.#patterns.length === 0) return null
    const withSlash = path.endsWith('/') ? path : `${path}/`
    const parts = withSlash.split('/')
    outer: for (const pattern of this.#patterns) {
      if (pattern.parts.length !== parts.length) continue
      const params: Record<string, string> = {}
      for (let i = 0; i < parts.length; i++) {
        const want = pattern.parts[i] as string
        const got = parts[i] as string
        if (want.startsWith(':')) {
          if (got === '' || got.length > 200) continue outer
          let value: string
          try {
            value = decodeURIComponent(got)
          } catch {
            continue outer
          }
          params[want.slice(1)] = value
        } else if (want !== got) continue outer
      }
      return { routes: pattern.routes, params }
    }
    return null
  }

  /** Every route, in definition order per path (for the OpenAPI document). */
  routes(): RouteDef[] {
    return [...this.#fixed.values(), ...this.#patterns.map((p) => p.routes)].flatMap((r) => [
      ...r.byMethod.values(),
    ])
  }
}
