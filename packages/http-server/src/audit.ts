import type { Request } from 'express'

/** One audited action (the store package's `AuditEntry` has this shape). */
export interface AuditRecord {
  tenant: string
  /** Who: `key:<id>`, `token`, a person; `palisade` for the process itself. */
  actor: string
  /** What, as a dotted verb: `sign-in`, `key.create`, `silence.create`, `export.findings`, `hunt.run`. */
  action: string
  /** On what: a key id, a silence id, a file, a query name. */
  target: string
  detail?: Record<string, unknown>
  /** From where: the client's address, `cli`, `startup`. */
  source: string
}

/** Where audited actions go (the store's audit log, hash-chained). */
export interface AuditTrail {
  append(record: AuditRecord): Promise<unknown>
}

/** Tell an app where its audit trail is (the composition root does, once). */
export function useAuditTrail(app: { locals: Record<string, unknown> }, trail: AuditTrail): void {
  app.locals.auditTrail = trail
}

/** The client's address as the audit trail records it. */
export function clientAddress(request: Request): string {
  return request.socket.remoteAddress ?? 'unknown'
}

/**
 * Append what `request`'s principal just did to the app's audit trail (who, tenant and from where
 * are taken from the request). Resolves once stored; an app without a trail (a unit test's) records
 * nothing. Call it from any route: `await recordAudit(request, {action: 'hunt.run', target: name})`.
 */
export async function recordAudit(
  request: Request,
  what: { action: string; target: string; detail?: Record<string, unknown> },
): Promise<void> {
  const trail = request.app.locals.auditTrail as AuditTrail | undefined
  if (!trail) return
  await trail.append({
    tenant: request.principal?.tenant ?? '',
    actor: request.principal?.subject ?? 'anonymous',
    source: clientAddress(request),
    ...what,
  })
}
