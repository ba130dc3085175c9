import type { z } from 'zod'
import { deriveEventId } from './event-id.ts'
import { type EventByKind, type EventKind, eventSchemas } from './event-kinds.ts'

/** Result of validating one record: the normalised event, or a reason a person can act on. */
export type ValidationResult<K extends EventKind> =
  | { ok: true; event: EventByKind[K] }
  | { ok: false; reason: string }

/** Who sent the record and when it arrived: the parts of an event the client does not choose. */
export interface ReceiveContext {
  /** The authenticated tenant: records are stored under it and may not name another. */
  tenant: string
  /** Receive time, epoch ms. */
  observedAt: number
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : 'record'
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`
      return `${path}: ${issue.message}`
    })
    .join('; ')
}

/**
 * Validate one parsed record as an event of `kind`: check every field, fill defaults, bind it to
 * the authenticated tenant and give it a stable id (the client's, else one derived from content).
 */
export function validateEvent<K extends EventKind>(
  kind: K,
  record: unknown,
  context: ReceiveContext,
): ValidationResult<K> {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, reason: 'record is not a JSON object' }
  }
  const parsed = eventSchemas[kind].safeParse(record)
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error.issues) }
  const data = parsed.data as Record<string, unknown> & { tenant?: string; event_id?: string }
  if (data.tenant !== undefined && data.tenant !== context.tenant) {
    return { ok: false, reason: `tenant "${data.tenant}" is not the authenticated tenant` }
  }
  const { event_id: clientId, tenant: _tenant, ...content } = data
  const event = {
    ...content,
    tenant: context.tenant,
    event_id: clientId ?? deriveEventId(kind, { tenant: context.tenant, ...content }),
    observed_at: context.observedAt,
  }
  return { ok: true, event: event as unknown as EventByKind[K] }
}
