import { labelsMatch } from './label-matcher.ts'
import type { Muter } from './muter.ts'
import type { InhibitRule } from './routing-config.ts'

/**
 * The inhibition rules as a {@link Muter}, with Alertmanager's per-rule source caches: each firing
 * source alert is filed under its tenant and the values of the rule's `equal` labels when it
 * arrives, so muting a target is one lookup per rule instead of a scan of every alert.
 */
export interface Inhibitor extends Muter {
  /** File a received alert (labels include `tenant`) as a source of the rules it matches, while firing. */
  observe(fingerprint: string, labels: Readonly<Record<string, string>>, firing: boolean): void
  /** Forget an alert the planner dropped (resolved and notified, or stale). */
  forget(fingerprint: string): void
}

interface CachedRule {
  rule: InhibitRule
  /** Equal-labels key → firing source alerts. */
  sources: Map<string, Set<string>>
  /** The same, only the sources that do not also match the target matchers. */
  sourcesOnly: Map<string, Set<string>>
}

function equalKey(rule: InhibitRule, labels: Readonly<Record<string, string>>): string {
  // A missing label reads as the empty string, as in Alertmanager; the tenant always takes part.
  return JSON.stringify([labels.tenant ?? '', ...rule.equal.map((name) => labels[name] ?? '')])
}

function add(index: Map<string, Set<string>>, key: string, fingerprint: string): void {
  let set = index.get(key)
  if (!set) {
    set = new Set()
    index.set(key, set)
  }
  set.add(fingerprint)
}

function remove(index: Map<string, Set<string>>, key: string, fingerprint: string): void {
  const set = index.get(key)
  if (!set) return
  set.delete(fingerprint)
  if (set.size === 0) index.delete(key)
}

/**
 * Create the inhibitor. As in Alertmanager, an alert that matches both sides of a rule is muted only
 * by sources that do not themselves match the target side, so such alerts never mute each other.
 */
export function createInhibitor(rules: readonly InhibitRule[]): Inhibitor {
  const cached: CachedRule[] = rules.map((rule) => ({ rule, sources: new Map(), sourcesOnly: new Map() }))
  /** Fingerprint → the (rule, key) entries it is filed under, to forget it in O(rules). */
  const filed = new Map<string, Array<{ at: CachedRule; key: string; sourceOnly: boolean }>>()

  function forget(fingerprint: string): void {
    const entries = filed.get(fingerprint)
    if (!entries) return
    filed.delete(fingerprint)
    for (const { at, key, sourceOnly } of entries) {
      remove(at.sources, key, fingerprint)
      if (sourceOnly) remove(at.sourcesOnly, key, fingerprint)
    }
  }

  return {
    observe(fingerprint, labels, firing) {
      // Labels make the fingerprint, so a re-sent firing alert is filed where it already is.
      if (firing && filed.has(fingerprint)) return
      forget(fingerprint)
      if (!firing) return
      const entries: Array<{ at: CachedRule; key: string; sourceOnly: boolean }> = []
      for (const at of cached) {
        if (!labelsMatch(at.rule.sourceMatchers, labels)) continue
        const key = equalKey(at.rule, labels)
        const sourceOnly = !labelsMatch(at.rule.targetMatchers, labels)
        add(at.sources, key, fingerprint)
        if (sourceOnly) add(at.sourcesOnly, key, fingerprint)
        entries.push({ at, key, sourceOnly })
      }
      if (entries.length > 0) filed.set(fingerprint, entries)
    },

    forget,

    mutes(labels) {
      for (const at of cached) {
        if (!labelsMatch(at.rule.targetMatchers, labels)) continue
        const index = labelsMatch(at.rule.sourceMatchers, labels) ? at.sourcesOnly : at.sources
        if ((index.get(equalKey(at.rule, labels))?.size ?? 0) > 0) return true
      }
      return false
    },
  }
}
