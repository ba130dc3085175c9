import { createHash } from 'node:crypto'
import type { AuditLog } from '@palisade/clickhouse'
import type { Declarations } from '@palisade/declarations'

// Maps and sets (intent's lookups) have no JSON of their own: list their entries so they count.
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return [...value.entries()]
  if (value instanceof Set) return [...value.values()]
  if (value instanceof RegExp) return value.source
  return value
}

function digestOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value, replacer) ?? '')
    .digest('hex')
}

/** The declaration kinds whose changes are audited, and what of them is compared. */
const audited = (declarations: Declarations): Record<string, unknown> => ({
  routing: declarations.routing,
  rules: declarations.rules,
  intent: declarations.intent,
  slos: declarations.slos,
})

/**
 * Record, at start, each declaration kind (routing, rules, intent, SLOs) that differs from what the
 * audit trail last saw loaded (the first start records them all): who changed the files is not
 * known here, so the row says the process loaded them, with the digests before and after.
 */
export async function auditLoadedDeclarations(
  audit: Pick<AuditLog, 'append' | 'last'>,
  declarations: Declarations,
  tenant: string,
): Promise<string[]> {
  const changed: string[] = []
  for (const [kind, value] of Object.entries(audited(declarations))) {
    const digest = digestOf(value)
    const previous = await audit.last('declarations.load', kind)
    const before = previous ? (JSON.parse(previous.detail) as { digest?: string }).digest : undefined
    if (before === digest) continue
    await audit.append({
      tenant,
      actor: 'palisade',
      action: 'declarations.load',
      target: kind,
      detail: { digest, previous: before ?? null },
      source: 'startup',
    })
    changed.push(kind)
  }
  return changed
}
