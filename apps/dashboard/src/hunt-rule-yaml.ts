import type { SavedHunt } from '@palisade/clickhouse'

/** `hunt.<words of the name>`: a rule id the rules linter accepts. */
export function huntRuleId(name: string): string {
  const words = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, 'h$1')
    .slice(0, 60)
  return `hunt.${words || 'saved'}`
}

/**
 * A saved hunt as a rule file for `alerts/rules/`: detector type `hunt` (runs the query on a
 * schedule over the last `lookback`, one finding per row) with the same inline tests as every
 * rule — one that must fire and one that must not, for the author to fill with the events that
 * made the hunt worth keeping. Strings are JSON-quoted, which YAML reads as they are.
 */
export function huntRuleYaml(hunt: SavedHunt): string {
  const query = hunt.query
    .trim()
    .split('\n')
    .map((line) => `        ${line}`.trimEnd())
    .join('\n')
  return `# From the saved hunt "${hunt.name.replaceAll('\n', ' ')}" (${hunt.id}). Put it under alerts/rules/,
# fill the two tests with events, and run \`palisade rules test\`.
rules:
  - id: ${huntRuleId(hunt.name)}
    detector: hunt
    title: ${JSON.stringify(hunt.name)}
    severity: ticket
    params:
      # Runs every \`every\` over the last \`lookback\` of the signed-in tenant's hunt tables; each row
      # is a finding, its entities the row's \`entity_columns\`.
      every: 5m
      lookback: 15m
      entity_columns: []
      query: |-
${query}
    dedup_period: 1h
    group_by: [rule]
    runbook_url: https://runbooks.palisade.example/hunts/${hunt.id}
    tests:
      - name: fires on the events the hunt was written for
        events: []
        expect:
          - severity: ticket
      - name: stays quiet on ordinary traffic
        events: []
        expect: []
`
}
