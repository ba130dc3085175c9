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
  /** Fraction of the error budget left over the compliance window (can go below 0). */
  budgetRemaining: number
  burnRates: WindowBurn[]
  tiers: BurnRateTierStatus[]
  /** Wall-clock time of the evaluation, epoch ms. */
  evaluatedAt: number
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
  /** Burn rate over a sliding `windowMs` (default 1h), sampled every `stepMs` between from and to. */
  burnRateSeries(
    tenant: string,
    slo: string,
    range: { from: number; to: number; stepMs: number; windowMs?: number },
  ): Promise<BurnRatePoint[]>
}
