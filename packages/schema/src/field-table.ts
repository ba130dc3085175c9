import { z } from 'zod'
import { type EventKind, eventSchemas } from './event-kinds.ts'

/** One row of the event field table in the README. */
export interface FieldDoc {
  kind: EventKind | 'all'
  field: string
  type: string
  required: boolean
  description: string
}

function typeName(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ')
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as Record<string, unknown>[]).map(typeName).join(' or ')
  if (typeof schema.format === 'string') return String(schema.format)
  return String(schema.type ?? 'any')
}

/** The documented fields of every kind, common fields once; generated from the schemas themselves. */
export function fieldTable(): FieldDoc[] {
  const rows: FieldDoc[] = []
  const common = new Set<string>()
  for (const [kind, schema] of Object.entries(eventSchemas) as [EventKind, z.ZodType][]) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, Record<string, unknown>>
      required?: string[]
    }
    for (const [field, prop] of Object.entries(json.properties)) {
      const isCommon = ['event_id', 'tenant', 'ts', 'source', 'service'].includes(field)
      if (isCommon && common.has(field)) continue
      if (isCommon) common.add(field)
      rows.push({
        kind: isCommon ? 'all' : kind,
        field,
        type: typeName(prop),
        required: json.required?.includes(field) ?? false,
        description:
          String(prop.description ?? '') +
          (prop.default !== undefined ? ` (default \`${String(prop.default)}\`)` : ''),
      })
    }
  }
  return rows
}

/** The field table as Markdown. */
export function fieldTableMarkdown(): string {
  const lines = ['| kind | field | type | required | meaning |', '|---|---|---|---|---|']
  for (const row of fieldTable()) {
    lines.push(
      `| ${row.kind} | \`${row.field}\` | ${row.type} | ${row.required ? 'yes' : ''} | ${row.description} |`,
    )
  }
  return lines.join('\n')
}
