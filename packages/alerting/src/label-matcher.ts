import { LabelMatcherInvalidError } from './errors.ts'
/** One Alertmanager-style matcher, such as `severity="page"` or `service=~"pdp-.*"`. */
export interface LabelMatcher {
  name: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
  /** Set for `=~` and `!~`: the value anchored at both ends, as Alertmanager does. */
  regex?: RegExp
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/

/**
 * Parse `name<op>value` with op one of `=`, `!=`, `=~`, `!~`; the value may be double-quoted (JSON
 * escapes) or bare. Throws {@link LabelMatcherInvalidError} saying what is wrong; callers collect it.
 */
export function parseLabelMatcher(text: string): LabelMatcher {
  const match = MATCHER.exec(text)
  if (!match)
    throw new LabelMatcherInvalidError(
      `matcher "${text}" is not of the form name="value" (operators =, !=, =~, !~)`,
    )
  const [, name = '', op = '=', raw = ''] = match
  let value = raw
  if (raw.startsWith('"')) {
    try {
      value = JSON.parse(raw) as string
    } catch (error) {
      throw new LabelMatcherInvalidError(
        `matcher "${text}" has an unterminated or badly escaped quoted value`,
        error,
      )
    }
  }
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, regex: new RegExp(`^(?:${value})$`) }
    } catch (error) {
      throw new LabelMatcherInvalidError(
        `matcher "${text}" has an invalid regular expression: ${(error as Error).message}`,
        error,
      )
    }
  }
  return { name, op: op as '=' | '!=', value }
}

/** Whether every matcher accepts `labels`; a missing label reads as the empty string. */
export function labelsMatch(
  matchers: readonly LabelMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.every((matcher) => {
    const value = labels[matcher.name] ?? ''
    if (matcher.op === '=') return value === matcher.value
    if (matcher.op === '!=') return value !== matcher.value
    const found = matcher.regex!.test(value)
    return matcher.op === '=~' ? found : !found
  })
}
