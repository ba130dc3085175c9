/** How many notifications a rule may cause per tenant and hour before its alerts collapse. */
export interface NoiseBudgetConfig {
  /** Notifications per rule and tenant in any sliding hour of event time (default 10). */
  perHour: number
  /** Per-rule overrides of `perHour`, by rule id (`alertname`). */
  rules: Record<string, number>
}

/** The default budget: more than ten pages an hour from one rule is a flood nobody reads. */
export const defaultNoiseBudget: NoiseBudgetConfig = { perHour: 10, rules: {} }

const HOUR_MS = 3_600_000

/** One notification a rule caused: what is persisted, so that a restart keeps the budget spent. */
export interface NoiseBudgetSpend {
  tenant: string
  rule: string
  /** Event time of the news it carried (its alerts' `starts_at`), epoch ms. */
  at: number
  /** The incident it was for (one spend per incident and event time, however many routers record it). */
  incident: string
}

/** Where one rule of one tenant stands against its budget. */
export interface NoiseBudgetUsage {
  tenant: string
  rule: string
  limit: number
  /** Notifications in the hour of event time up to the rule's newest. */
  spent: number
  /** The most it spent in any hour so far (at most `limit`). */
  peak: number
  /** Notifications it would have caused past its budget: collapsed into digests instead. */
  collapsed: number
  /** The rule's newest event time, epoch ms. */
  newest: number
}

/**
 * Counts notifications per (tenant, rule) over a sliding hour of **event time**: the alerts'
 * `starts_at` (a finding's event time), not the router's clock, so that a replay of a day in
 * minutes and the same day live spend a rule's budget alike. The window ends at the newest event
 * time seen for the rule (events arrive a little out of order; the newest is where the rule is).
 * The planner asks {@link NoiseBudget.allows} before notifying a rule's alerts, then
 * {@link NoiseBudget.spend} or {@link NoiseBudget.collapse}.
 */
export interface NoiseBudget {
  /** Whether `rule` of `tenant` may cause one more notification for news of event time `at`. */
  allows(tenant: string, rule: string, at: number): boolean
  /** Count one notification caused by `rule` of `tenant` for news of event time `at`, about `incident`. */
  spend(tenant: string, rule: string, at: number, incident?: string): NoiseBudgetSpend
  /** Count alerts of `rule` collapsed into its digest instead of notified. */
  collapse(tenant: string, rule: string, count: number): void
  /** The budget of `rule`, notifications per hour. */
  limitOf(rule: string): number
  /** Take back what was spent before a restart (what {@link spend} returned, persisted). */
  restore(spends: readonly NoiseBudgetSpend[]): void
  /** Every (tenant, rule) seen, most spent first. */
  usage(): NoiseBudgetUsage[]
}

interface Account {
  tenant: string
  rule: string
  /** Event times spent in the window, ascending; at most the limit. */
  times: number[]
  newest: number
  peak: number
  collapsed: number
}

/** Create a budget; memory stays bounded at `limit` timestamps per (tenant, rule). */
export function createNoiseBudget(config: NoiseBudgetConfig): NoiseBudget {
  const accounts = new Map<string, Account>()
  const limitOf = (rule: string) => config.rules[rule] ?? config.perHour
  const accountOf = (tenant: string, rule: string, at: number): Account => {
    const key = `${tenant}\n${rule}`
    let account = accounts.get(key)
    if (!account) {
      account = { tenant, rule, times: [], newest: at, peak: 0, collapsed: 0 }
      accounts.set(key, account)
    }
    if (at > account.newest) account.newest = at
    const { times } = account
    while (times.length > 0 && account.newest - times[0]! >= HOUR_MS) times.shift()
    return account
  }
  const add = (account: Account, at: number, limit: number) => {
    // In order, though spends arrive a little out of it; the oldest go first past the limit.
    let index = account.times.length
    while (index > 0 && account.times[index - 1]! > at) index--
    account.times.splice(index, 0, at)
    while (account.times.length > limit) account.times.shift()
    account.peak = Math.max(account.peak, account.times.length)
  }
  return {
    allows(tenant, rule, at) {
      return accountOf(tenant, rule, at).times.length < limitOf(rule)
    },
    spend(tenant, rule, at, incident = '') {
      add(accountOf(tenant, rule, at), at, limitOf(rule))
      return { tenant, rule, at, incident }
    },
    collapse(tenant, rule, count) {
      const account = accounts.get(`${tenant}\n${rule}`)
      if (account) account.collapsed += count
    },
    limitOf,
    restore(spends) {
      for (const spend of [...spends].sort((a, b) => a.at - b.at))
        add(accountOf(spend.tenant, spend.rule, spend.at), spend.at, limitOf(spend.rule))
    },
    usage() {
      return [...accounts.values()]
        .map((account) => {
          // What is still in the window at the rule's newest event time.
          while (account.times.length > 0 && account.newest - account.times[0]! >= HOUR_MS)
            account.times.shift()
          return {
            tenant: account.tenant,
            rule: account.rule,
            limit: limitOf(account.rule),
            spent: account.times.length,
            peak: account.peak,
            collapsed: account.collapsed,
            newest: account.newest,
          }
        })
        .sort((a, b) => b.spent - a.spent || b.collapsed - a.collapsed || a.rule.localeCompare(b.rule))
    },
  }
}
