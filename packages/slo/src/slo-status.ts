/** Burn rate over one window: how fast the error budget is spent (1 = exactly on budget). */
export interface WindowBurn {
  /** Window length in the SLO file's notation: `5m`, `1h`, `6h`, `3d`. */
  window: string
  windowMs: number
  good: number
  total: number
  /** bad / total over the window, divided by the allowed bad fraction (1 - objective); 0 without traffic. */
  burnRate: number
}

/** One tier of multiwindow multi-burn-rate alerting, and whether it fires now. */
export interface BurnRateTierStatus {
  severity: 'page' | 'ticket'
  /** Burn-rate threshold, e.g. 14.4. */
  threshold: number
  longWindow: string
  shortWindow: string
  /** Both windows above the threshold. */
  firing: boolean
}

/** What `GET /api/v1/slos` answers for each SLO of a tenant. */
export interface SloStatus {
  name: string
  displayName: string
  service: string
  /** Target fraction good, e.g. 0.999. */
  objective: number
  /** Compliance window, e.g. `30d`. */
  window: string
  /** good / total over the compliance window (1 without traffic). */
  sli: number
  good: number
  total: number
  /**
   * Fraction of the error budget left (can go below 0): over the compliance window when the data
   * covers it, else over the span it covers (`coverage.complete` false: say so when showing it).
   */
  budgetRemaining: number
  /** How much of the compliance window the data covers. */
  coverage: SloCoverage
  /** The budget in events, and when it runs out at the current burn. */
  budget: SloBudget
  burnRates: WindowBurn[]
  tiers: BurnRateTierStatus[]
  /** Wall-clock time of the evaluation, epoch ms. */
  evaluatedAt: number
}

/**
 * The span of the compliance window that holds data: from its first minute with traffic to the
 * evaluation (a store that started 8 hours ago covers 8h of a 30d window).
 */
export interface SloCoverage {
  /** Compliance window, ms. */
  windowMs: number
  /** First minute with traffic in the window, epoch ms; null without traffic. */
  from: number | null
  /** End of the window: the evaluation time floored to the minute, epoch ms. */
  to: number
  /** to - from (0 without traffic), at most `windowMs`. */
  coveredMs: number
  /** The covered span for people (`8h 3m`, `30d`; `0m` without traffic). */
  covered: string
  /** Whether the data covers the whole window (then the budget is the window's). */
  complete: boolean
}

/** The error budget of an SLO in events, over what the data covers, and its time to exhaustion. */
export interface SloBudget {
  /** `window` when the data covers the compliance window, else `covered`: the budget of the covered span only. */
  over: 'window' | 'covered'
  /** Bad events the objective allows over that span: (1 - objective) × total. */
  allowedBad: number
  /** Bad events so far over that span. */
  bad: number
  /** Burn rate the exhaustion estimate assumes, and its window (the fastest page tier's long window, `1h`). */
  currentBurnRate: number
  currentBurnWindow: string
  /**
   * Time until the budget is spent if the current burn rate holds, ms: remaining × window / burn
   * rate (a burn rate of 1 spends a whole budget in one window). 0 once spent; null when nothing burns.
   */
  exhaustsInMs: number | null
}

/** One point of the budget burn-down: the budget left over the window from its start to `ts`. */
export interface BudgetBurnDownPoint {
  /** End of the span summed, epoch ms. */
  ts: number
  /** Bad and total events from the window's start to `ts`. */
  bad: number
  total: number
  /** 1 - (bad / total) / (1 - objective) over that span; 1 before any traffic. */
  budgetRemaining: number
}

/** The budget burn-down of one SLO over its compliance window, ending now. */
export interface BudgetBurnDown {
  slo: string
  window: string
  /** Start and end of the compliance window, epoch ms (minute-aligned). */
  from: number
  to: number
  stepMs: number
  /** One point per step, the first at `from` (full budget), the last at `to`. */
  points: BudgetBurnDownPoint[]
}

/** A point of the burn-rate chart. */
export interface BurnRatePoint {
  /** End of the window, epoch ms. */
  ts: number
  burnRate: number
}

/** What the dashboard and API need from the SLO side; implemented over the rollups. */
export interface SloStatusSource {
  /** Current status of every SLO for a tenant. */
  statuses(tenant: string): Promise<SloStatus[]>
  /** Whether `tenant` has an SLO named `name` (what `statuses` would list), without reading any status. */
  has(tenant: string, name: string): boolean
  /** Burn rate over a sliding `windowMs` (default 1h), sampled every `stepMs` between from and to. */
  burnRateSeries(
    tenant: string,
    slo: string,
    range: { from: number; to: number; stepMs: number; windowMs?: number },
  ): Promise<BurnRatePoint[]>
  /** The budget left over the compliance window of `slo`, cumulated step by step from its start to now. */
  budgetBurnDown(tenant: string, slo: string): Promise<BudgetBurnDown>
}
