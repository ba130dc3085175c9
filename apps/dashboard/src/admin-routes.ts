import {
  allow,
  clientAddress,
  isRole,
  type KeyAdmin,
  KeyNotFoundError,
  type Principal,
  sendError,
} from '@palisade/http-server'
import express, { type Request, type Response, type Router } from 'express'

/** The audit trail as the dashboard reads it (the store's `AuditLog`). */
export interface AuditReader {
  list(query: { tenant?: string; limit?: number }): Promise<unknown[]>
}

const KEY_ID = /^[0-9a-f]{16}$/
const KEY_NAME = /^[\w .@:/-]{1,100}$/

function principalOf(request: Request): Principal {
  if (!request.principal) throw new Error('route reached without a principal')
  return request.principal
}

/** The tenant a caller administers: its own, or every tenant (undefined) for a platform admin. */
function scopeOf(principal: Principal): string | undefined {
  return principal.role === 'platform-admin' ? undefined : principal.tenant
}

function byOf(request: Request) {
  return { actor: principalOf(request).subject, source: clientAddress(request) }
}

function notConfigured(response: Response, what: string): void {
  sendError(response, 503, 'NOT_CONFIGURED', `${what} needs the store; this server has none`)
}

/**
 * `/api/v1/keys` (what `palisade keys …` calls) and `/api/v1/audit`, admins only. Mount behind the
 * dashboard's authentication gate. A key's plain text is answered once, at creation or rotation.
 */
export function mountAdminRoutes(router: Router, deps: { keys?: KeyAdmin; audit?: AuditReader }): void {
  const json = express.json({ limit: '4kb' })
  const keyIdOf = (request: Request, response: Response): string | undefined => {
    const id = String(request.params.id ?? '')
    if (KEY_ID.test(id)) return id
    sendError(response, 404, 'NOT_FOUND', `no API key "${id}"`)
    return undefined
  }
  const keyNotFound = (response: Response, error: unknown): boolean => {
    if (!(error instanceof KeyNotFoundError)) return false
    sendError(response, 404, 'NOT_FOUND', error.message)
    return true
  }

  router.get('/api/v1/keys', allow('administer'), (request, response) => {
    if (!deps.keys) return notConfigured(response, 'key management')
    response.json({ keys: deps.keys.list(scopeOf(principalOf(request))) })
  })

  router.post('/api/v1/keys', allow('administer'), json, async (request, response) => {
    if (!deps.keys) return notConfigured(response, 'key management')
    const principal = principalOf(request)
    const body = (request.body ?? {}) as { role?: unknown; name?: unknown }
    if (!isRole(body.role))
      return sendError(response, 400, 'BAD_REQUEST', 'role: one of the roles in the README')
    if (typeof body.name !== 'string' || !KEY_NAME.test(body.name))
      return sendError(response, 400, 'BAD_REQUEST', 'name: 1 to 100 letters, digits, spaces or . @ : / _ -')
    // An admin hands out at most what it holds; only a platform admin makes another.
    if (body.role === 'platform-admin' && principal.role !== 'platform-admin')
      return sendError(response, 403, 'FORBIDDEN', 'only a platform admin may create a platform-admin key')
    // The tenant is the caller's (a platform admin picks one with X-Palisade-Tenant), never the body's.
    const created = await deps.keys.create(
      { tenant: principal.tenant, role: body.role, name: body.name },
      byOf(request),
    )
    response.status(201).json(created)
  })

  router.post('/api/v1/keys/:id/rotate', allow('administer'), async (request, response) => {
    if (!deps.keys) return notConfigured(response, 'key management')
    const id = keyIdOf(request, response)
    if (!id) return
    try {
      response.status(201).json(await deps.keys.rotate(id, scopeOf(principalOf(request)), byOf(request)))
    } catch (error) {
      if (!keyNotFound(response, error)) throw error
    }
  })

  router.delete('/api/v1/keys/:id', allow('administer'), async (request, response) => {
    if (!deps.keys) return notConfigured(response, 'key management')
    const id = keyIdOf(request, response)
    if (!id) return
    try {
      response.json({ key: await deps.keys.revoke(id, scopeOf(principalOf(request)), byOf(request)) })
    } catch (error) {
      if (!keyNotFound(response, error)) throw error
    }
  })

  router.get('/api/v1/audit', allow('administer'), async (request, response) => {
    if (!deps.audit) return notConfigured(response, 'the audit trail')
    const limit = Number(request.query.limit ?? 200)
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
      return sendError(response, 400, 'BAD_REQUEST', 'limit: an integer from 1 to 5000')
    response.json({ rows: await deps.audit.list({ tenant: scopeOf(principalOf(request)), limit }) })
  })
}
