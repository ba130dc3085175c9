import type { Express } from 'express'
import { type Access, declaredAccess } from './access.ts'

/** One registered route of an express app: its method, full path pattern and declared access. */
export interface RegisteredRoute {
  method: string
  /** The pattern as registered, mount points included (`/api/v2/silence/:id`). */
  path: string
  /** What its {@link allow} gate declares; undefined when the route has none (a bug). */
  access: Access | undefined
}

// The parts of express 5's router (the `router` package) this walk reads.
interface Layer {
  rawPath?: unknown
  handle: unknown
  route?: { path: unknown; methods: Record<string, boolean>; stack: { handle: unknown }[] }
}

function mountPath(layer: Layer): string {
  const raw = layer.rawPath
  if (typeof raw === 'string') return raw === '/' ? '' : raw.replace(/\/$/, '')
  return ''
}

// Only a gate on the route itself counts: one a router applies to everything after it would
// silently cover the next route someone adds, which is what the role × route test is there to catch.
function walk(stack: Layer[], prefix: string, out: RegisteredRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const access = layer.route.stack
        .map((entry) => declaredAccess(entry.handle))
        .find((a) => a !== undefined)
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all')
          out.push({ method: method.toUpperCase(), path: `${prefix}${String(layer.route.path)}`, access })
      }
      continue
    }
    const nested = (layer.handle as { stack?: Layer[] }).stack
    if (Array.isArray(nested)) {
      walk(nested, `${prefix}${mountPath(layer)}`, out)
    }
  }
}

/**
 * Every route registered on `app` (routers mounted on it included), with the access it declares,
 * for the role × route test and for tools that list what a role may call.
 */
export function listRoutes(app: Express): RegisteredRoute[] {
  const router = (app as unknown as { router?: { stack: Layer[] } }).router
  const out: RegisteredRoute[] = []
  if (router) walk(router.stack, '', out)
  return out
}
