import { activeTenants, type ClickHouseClient, HuntRefusedError, runHunt } from '@palisade/clickhouse'
import { type HuntRuleParams, huntFindings, huntRuleParams } from '@palisade/detectors'
import type { CompiledRule } from '@palisade/rules'
import type { Finding } from '@palisade/schema'

/** What {@link createHuntRuleSchedule} needs. */
export interface HuntRuleScheduleOptions {
  client: ClickHouseClient
  /** The compiled rules; only those of detector type `hunt` are run here. */
  rules: readonly CompiledRule[]
  /** Where findings go (the findings topic, as the streaming detectors' do). */
  publish: (findings: Finding[]) => Promise<void>
  /** Told about a run that failed; the rule runs again at its next turn. */
  onError: (rule: string, error: unknown) => void
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number
}

/** Hunt rules on their schedules; `tick` runs those due (call it every half minute or so). */
export interface HuntRuleSchedule {
  /** The hunt rules it runs. */
  rules: readonly string[]
  /** Run every rule whose `every` has passed since its last run; resolves with the findings published. */
  tick(): Promise<number>
}

/**
 * Saved hunts as rules: each runs every `every` over the last `lookback`, for each tenant with
 * recent events, as that tenant (the hunt tables' scoping), and its rows become findings with the
 * rule's severity, published like any detector's. Ids derive from the rows' entities, so a row
 * found again by the next run is the same finding.
 */
export function createHuntRuleSchedule(options: HuntRuleScheduleOptions): HuntRuleSchedule {
  const now = options.now ?? Date.now
  const hunts = options.rules
    .filter((rule) => rule.declaration.detector === 'hunt' && rule.declaration.enabled)
    .map((rule) => ({
      rule,
      params: huntRuleParams.parse(rule.declaration.params) as HuntRuleParams,
      lastRun: Number.NEGATIVE_INFINITY,
    }))
  return {
    rules: hunts.map((hunt) => hunt.rule.declaration.id),
    async tick() {
      let published = 0
      for (const hunt of hunts) {
        const to = now()
        if (to - hunt.lastRun < hunt.params.every) continue
        hunt.lastRun = to
        const { id, title, severity } = hunt.rule.declaration
        const window = { from: to - hunt.params.lookback, to }
        try {
          for (const tenant of await activeTenants(options.client, window.from)) {
            const answer = await runHunt(options.client, { tenant, query: hunt.params.query, ...window })
            const findings = huntFindings(
              { id, title, severity, params: hunt.params } as Parameters<typeof huntFindings>[0],
              answer,
              {
                tenant,
                ...window,
              },
            )
            if (findings.length === 0) continue
            await options.publish(findings.map((finding) => ({ ...finding, detected_at: now() })))
            published += findings.length
          }
        } catch (error) {
          // A refused hunt stays refused until its rule file changes: said once per run, never fatal.
          options.onError(
            id,
            error instanceof HuntRefusedError
              ? new Error(`${id}: ${error.message}`, { cause: error })
              : error,
          )
        }
      }
      return published
    },
  }
}
