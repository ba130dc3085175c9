import { maxRuleActions } from '@palisade/schema'

/** What a matched rule did, as the decision event's `rule_actions` holds it (the schema's `ruleAction`). */
export type RuleAction = 'block' | 'allow' | 'captcha' | 'challenge' | 'count' | 'match'

/** The rules that matched one request, by id. */
export type RuleActions = Record<string, RuleAction>

const decisive = new Set<RuleAction>(['block', 'allow', 'captcha', 'challenge'])

/**
 * Add a rule to `rules`: a rule named twice keeps what decided over what only matched (ModSecurity
 * logs a rule once per variable it matched). At most `maxRuleActions` rules are kept, the first
 * ones logged, so that a request matching hundreds of rules keeps its decision rather than losing it.
 */
export function addRuleAction(rules: RuleActions, id: string, action: RuleAction): void {
  const key = id.slice(0, 256)
  const known = rules[key]
  if (known !== undefined) {
    if (!decisive.has(known) && decisive.has(action)) rules[key] = action
    return
  }
  if (Object.keys(rules).length < maxRuleActions) rules[key] = action
}

/** The HTTP method as logged (`GET`), or undefined when there is none (ModSecurity writes `-`). */
export function httpMethodOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const method = value.trim()
  return method === '' || method === '-' ? undefined : method.slice(0, 256)
}

/** The path with its query string (`/foo?a=1`), cut to the schema's 2,048 characters. */
export function withQuery(path: string | undefined, query: string | undefined): string | undefined {
  if (path === undefined) return undefined
  const resource = query !== undefined && query !== '' ? `${path}?${query}` : path
  return resource.slice(0, 2048)
}

/** Parts of a reason joined into one text of at most the schema's 1,024 characters. */
export function reasonText(parts: readonly string[]): string | undefined {
  const text = parts.filter((part) => part !== '').join('; ')
  if (text === '') return undefined
  // The reason is for people: a long match is cut, the decision is kept.
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text
}
