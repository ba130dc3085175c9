/** How many notifications a rule may cause per tenant and hour before its alerts collapse. */
export interface NoiseBudgetConfig {
  /** Notifications per rule and tenant in any sliding hour (default 10). */
  perHour: number
  /** Per-rule overrides of `perHour`, by rule id (`alertname`). */
  rules: Record<string, number>
}

/** The default budget: more than ten pages an hour from one rule is a flood nobody reads. */
export const defaultNoiseBudget: NoiseBudgetConfig = { perHour: 10, rules: {} }

const HOUR_MS = 3_600_000

/**
 * Counts notifications per (tenant, rule) over a sliding hour, on the caller's clock. The planner
 * asks {@link NoiseBudget.allows} before notifying a rule's alerts and {@link NoiseBudget.spend}
 * once it did.
 */
export interface NoiseBudget {
  /** Whether `rule` of `tenant` may cause one more notification at `now` (epoch ms). */
  allows(tenant: string, rule: string, now: number): boolean
  /** Count one notification caused by `rule` of `tenant` at `now`. */
  spend(tenant: string, rule: string, now: number): void
  /** The budget of `rule`, notifications per hour. */
  limitOf(rule: string): number
}

/** Create a budget; memory stays bounded at `limit` timestamps per (tenant, rule). */
export function createNoiseBudget(config: NoiseBudgetConfig): NoiseBudget {
  const spent = new Map<string, number[]>()
  const limitOf = (rule: string) => config.rules[rule] ?? config.perHour
  const recent = (tenant: string, rule: string, now: number): number[] => {
    const key = `${tenant}\n${rule}`
    let times = spent.get(key)
    if (!times) {
      times = []
      spent.set(key, times)
    }
    while (times.length > 0 && now - times[0]! >= HOUR_MS) times.shift()
    return times
  }
  return {
    allows(tenant, rule, now) {
      return recent(tenant, rule, now).length < limitOf(rule)
    },
    spend(tenant, rule, now) {
      const times = recent(tenant, rule, now)
      times.push(now)
      if (times.length > limitOf(rule)) times.shift()
    },
    limitOf,
  }
}
