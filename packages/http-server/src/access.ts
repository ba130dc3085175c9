import type { NextFunction, Request, Response } from 'express'
import type { Principal, Refusal } from './authenticator.ts'
import { sendError, sendUnauthenticated } from './service-app.ts'

/** The roles an API key (or a signed-in person) holds; one per key. */
export const roles = ['viewer', 'analyst', 'responder', 'admin', 'ingest', 'platform-admin'] as const
/** A role, see {@link roles}. */
export type Role = (typeof roles)[number]

/** Whether `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value)
}

/**
 * What a route does, which decides who may call it. Every route declares one with {@link allow}
 * (the role × route test walks the apps and fails on a route that does not).
 * - `public`: no data, no credentials (health, the login page and its assets, signing in).
 * - `self`: any signed-in caller, about itself (who am I, sign out).
 * - `read`: dashboards, panels, SLOs, alerts as they stand.
 * - `investigate`: findings and their evidence, entities, incidents, hunts, exports.
 * - `respond`: acknowledge, resolve, silence, snooze.
 * - `administer`: API keys, the audit trail, routing, rules, intent.
 * - `ingest`: send telemetry or alerts in.
 * - `operate`: the process's own metrics (every tenant's traffic in one exposition).
 */
export const accesses = [
  'public',
  'self',
  'read',
  'investigate',
  'respond',
  'administer',
  'ingest',
  'operate',
] as const
/** An access level, see {@link accesses}. */
export type Access = (typeof accesses)[number]

const viewer: Access[] = ['self', 'read']
const analyst: Access[] = [...viewer, 'investigate']
const responder: Access[] = [...analyst, 'respond']
// The bootstrap token is an admin and has always sent telemetry and scraped /metrics: admins keep both.
const admin: Access[] = [...responder, 'administer', 'ingest', 'operate']

/** What each role may do (public routes aside). The README's role table says the same. */
export const grants: Readonly<Record<Role, ReadonlySet<Access>>> = {
  viewer: new Set(viewer),
  analyst: new Set(analyst),
  responder: new Set(responder),
  admin: new Set(admin),
  // Collectors and agents: write their own tenant's telemetry, read nothing.
  ingest: new Set<Access>(['self', 'ingest']),
  'platform-admin': new Set(admin),
}

/** Whether a principal may do what a route of `access` does. */
export function mayAccess(principal: Principal | undefined, access: Access): boolean {
  if (access === 'public') return true
  return principal !== undefined && grants[principal.role].has(access)
}

const declared = Symbol.for('palisade.access')

/** Middleware carrying its route's declared access, as {@link allow} makes it. */
export type AccessGate = ((request: Request, response: Response, next: NextFunction) => void) & {
  [declared]: Access
}

/**
 * Middleware declaring (and enforcing) what a route does: `401` without a principal, `403` when
 * the principal's role does not grant `access`. Put it after the authentication and before
 * anything that reads the body, so that a refused caller costs nothing.
 */
export function allow(access: Access): AccessGate {
  const gate = ((request: Request, response: Response, next: NextFunction): void => {
    const principal = request.principal
    if (access === 'public') {
      next()
      return
    }
    if (!principal) {
      sendUnauthenticated(response, 'authenticate first')
      return
    }
    const refusal = refusalOf(principal, access)
    if (refusal) {
      sendError(response, refusal.status, refusal.code, refusal.message)
      return
    }
    next()
  }) as AccessGate
  gate[declared] = access
  return gate
}

/** The access a handler declares, when it is an {@link allow} gate. */
export function declaredAccess(handler: unknown): Access | undefined {
  return typeof handler === 'function' ? (handler as Partial<AccessGate>)[declared] : undefined
}

/** What `allow(access)` refuses a principal whose role does not grant `access` (403); undefined if allowed. */
export function refusalOf(principal: Principal, access: Access): Refusal | undefined {
  if (mayAccess(principal, access)) return undefined
  return {
    status: 403,
    code: 'FORBIDDEN',
    message: `role ${principal.role} may not ${access} (see the README's role table)`,
  }
}
