// Shapes of JSON records, for tests that hold a generator's records to the real sources' (the shared
// fixtures): every field path, the paths all records of a kind share, and what one set lacks.

export type Json = Record<string, unknown>

/** Every field path of a record (`a.b.c`; array items as `[]`; the transport under `l4` as `<l4>`). */
export function fieldPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) fieldPaths(item, `${prefix}[]`, out)
    if (value.length === 0) out.add(`${prefix}[]`)
    return out
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const name = prefix.endsWith('l4') && ['TCP', 'UDP'].includes(key) ? '<l4>' : key
      fieldPaths(child, prefix === '' ? name : `${prefix}.${name}`, out)
    }
    return out
  }
  out.add(prefix)
  return out
}

export const jsonLines = (text: string): Json[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json)

export const at = (record: Json, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Json | null | undefined)?.[key], record)

/** Records grouped by a kind the caller names. */
export function groupBy(records: Json[], kindOf: (record: Json) => string): Map<string, Json[]> {
  const groups = new Map<string, Json[]>()
  for (const record of records) {
    const kind = kindOf(record)
    const group = groups.get(kind)
    if (group) group.push(record)
    else groups.set(kind, [record])
  }
  return groups
}
export const commonPaths = (records: Json[]): Set<string> => {
  const [first, ...rest] = records.map((record) => fieldPaths(record))
  return new Set([...first!].filter((path) => rest.every((paths) => paths.has(path))))
}
export const allPaths = (records: Json[]): Set<string> => {
  const out = new Set<string>()
  for (const record of records) for (const path of fieldPaths(record)) out.add(path)
  return out
}
/** The paths not in `known`, except those an allowed pattern matches, sorted. */
export const missingFrom = (paths: Iterable<string>, known: Set<string>, allowed: readonly RegExp[] = []) =>
  [...paths].filter((path) => !known.has(path) && !allowed.some((pattern) => pattern.test(path))).sort()

/** The shared fixtures' Hubble captures (Cilium's hubble-otel samples and the docs' drop export). */
export const hubbleFlowFixturePaths: readonly string[] = [
  'hubble-flow/hubble-otel-basic-sample-10-flows.json',
  'hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json',
  'hubble-flow/hubble-otel-basic-sample-330-dns-flows.first120.json',
  'hubble-flow/hubble-otel-basic-sample-400-icmpv4-flows.json',
  'hubble-flow/cilium-docs-export-fieldmask-dropped.json',
]

/** A Hubble event's kind: the monitor event type, the observation point, and whether it is a reply. */
export const hubbleFlowKind = (flow: Json): string =>
  `${at(flow, 'event_type.type') ?? '-'}/${flow.trace_observation_point ?? '-'}/${flow.is_reply ?? '-'}`
