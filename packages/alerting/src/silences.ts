import { labelsMatch } from './label-matcher.ts'
import type { Muter } from './muter.ts'
import type { Silence } from './routing-config.ts'

/**
 * The silences of the routing file as a {@link Muter}. Silences are indexed by their first equality
 * matcher (`service="pdp"`), so an alert is compared only with the silences that could match it and
 * with those that have no equality matcher at all (regular expressions, `!=`).
 */
export function createSilencer(silences: readonly Silence[]): Muter {
  const byLabel = new Map<string, Map<string, Silence[]>>()
  const unindexed: Silence[] = []
  for (const silence of silences) {
    const equality = silence.matchers.find((matcher) => matcher.op === '=')
    if (!equality) {
      unindexed.push(silence)
      continue
    }
    let byValue = byLabel.get(equality.name)
    if (!byValue) {
      byValue = new Map()
      byLabel.set(equality.name, byValue)
    }
    byValue.set(equality.value, [...(byValue.get(equality.value) ?? []), silence])
  }
  const active = (silence: Silence, labels: Readonly<Record<string, string>>, now: number) =>
    silence.startsAt <= now && now < silence.endsAt && labelsMatch(silence.matchers, labels)

  return {
    mutes(labels, now) {
      for (const [name, byValue] of byLabel) {
        const candidates = byValue.get(labels[name] ?? '')
        if (candidates?.some((silence) => active(silence, labels, now))) return true
      }
      return unindexed.some((silence) => active(silence, labels, now))
    },
  }
}
