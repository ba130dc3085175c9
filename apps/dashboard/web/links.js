import { el } from './dom.js'
import { shortName } from './format.js'

// Where things lead: every entity value opens its entity page, every finding its evidence, every
// incident its timeline. Views are addressed by the hash, so a link is a plain <a href>.

const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i
const BY_ROLE = [
  [/(^|_)(identity|spiffe)$/, 'spiffe'],
  [/(^|_)ip$/, 'ip'],
  [/^(user|principal|subject|actor|caller)$/, 'user'],
  [/(^|_)(service|workload)$/, 'workload'],
  [/(^|_)revision$/, 'revision'],
]

/** The entity kind a value of `role` (a finding's entity key or a row's field) is, or undefined. */
export function entityKindOf(role, value) {
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) return undefined
  if (value.startsWith('spiffe://')) return 'spiffe'
  if (IP.test(value)) return 'ip'
  for (const [pattern, kind] of BY_ROLE) if (pattern.test(role)) return kind
  return undefined
}

export const entityHref = (kind, value) => `#/entity/${kind}/${encodeURIComponent(value)}`
export const findingHref = (id) => `#/finding/${encodeURIComponent(id)}`
export const incidentHref = (key) => `#/incident/${encodeURIComponent(key)}`
export const requestHref = (id) => `#/request/${encodeURIComponent(id)}`

/** A SQL string literal of `text` (quotes and backslashes escaped), for a hunt built from a value. */
const sqlString = (text) => `'${String(text).replace(/[\\']/g, (c) => `\\${c}`)}'`

/**
 * A hunt of the decisions a WAF rule matched, newest first, in the current range: the rule's
 * requests with their clients, what was decided and why.
 */
export function wafRuleHuntHref(ruleId) {
  const query = `SELECT ts, client_ip, enforcement_point, decision, rule_actions[${sqlString(ruleId)}] AS rule_action,
       action, resource, reason, request_id
FROM decision
WHERE mapContains(rule_actions, ${sqlString(ruleId)})
ORDER BY ts DESC
LIMIT 200`
  const params = new URLSearchParams(location.search)
  params.set('q', query)
  params.delete('hf')
  return `?${params}#/hunt`
}

/** A link to the entity page when `value` is an entity, else plain text; `label` defaults to its short name. */
export function entityLink(role, value, label) {
  const kind = entityKindOf(role, value)
  const text = label ?? shortName(value)
  if (!kind) return el('span', '', text)
  const link = el('a', 'entity-link', text)
  link.href = entityHref(kind, value)
  link.title = `${kind}: ${value}`
  link.dataset.entityKind = kind
  return link
}
