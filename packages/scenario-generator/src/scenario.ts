/** One file of a scenario: records of one wire format, as a source would deliver them. */
export interface ScenarioStream {
  /** Format name in `@palisade/formats` (`palisade replay <format> <path>`). */
  format: string
  /** Path relative to the scenario directory. */
  path: string
  /** How the records are joined in the file: one per line, or one JSON array. */
  join: 'lines' | 'json-array'
  /** Format options the file needs (`palisade replay --option k=v`), e.g. envoy-tls-stats' `service`. */
  options?: Record<string, string>
  /** The records in time order; `text` is one record in the wire format, `ts` its event time (epoch ms). */
  items: { ts: number; text: string }[]
}

/** An injected incident (or a benign confounder), and what should catch it. */
export interface ScenarioLabel {
  id: string
  category: 'lateral' | 'identity' | 'mtls' | 'policy' | 'egress' | 'telemetry' | 'benign'
  /** Rule ids that may catch it; for a benign confounder, the rules it tempts (that must not page). */
  rules: string[]
  /** `none`: a benign confounder, which must not page. */
  severity: 'page' | 'ticket' | 'none'
  /** Incident window, epoch ms. */
  from: number
  to: number
  /** The key entity as the records name it: `namespace/workload`, an IP, a user e-mail or an enforcement point. */
  entity: string
  /**
   * Other names the records give the same entity, when a source cannot name it as the label does
   * (an outbound sidecar log names the pod IP, not the workload).
   */
  aliases?: string[]
  description: string
}

/** A generated scenario: the streams, the labels, and the intent documents of its mesh. */
export interface Scenario {
  /** Start and end of the generated time range, epoch ms. */
  start: number
  end: number
  streams: ScenarioStream[]
  labels: ScenarioLabel[]
  /** Declared intent: Kubernetes/Istio YAML and the PalisadeIntent file, relative paths under `intent/`. */
  intent: { path: string; text: string }[]
  /** Tenant the scenario is meant to be loaded as. */
  tenant: string
}

/** Options of `generateScenario`. */
export interface ScenarioOptions {
  /** Seed of the pseudo-random source: the same seed gives the same scenario. */
  seed: number
  /** Days to generate (default 3); incidents are on the last day. */
  days?: number
  /** First day, epoch ms at 00:00 UTC (default 2026-01-05, a Monday). */
  start?: number
  /**
   * Multiplier of the mesh's request rates (default 1: about 120k records a day). Incidents keep
   * their magnitudes, except the deny spike, which is checkout's own (scaled) charges being denied.
   */
  scale?: number
  /**
   * Write the last day's incidents (default true). Without them the scenario is a benign soak:
   * normal days with every habit and confounder (typo bursts, VPN sign-ins every day, the nightly
   * sweep, known drops, a clean policy rollout each day, the declared deployment on the last day),
   * labelled `none` only, so every page is a false one.
   */
  incidents?: boolean
}
