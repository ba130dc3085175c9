/**
 * The rollups an SLO may read and the counters of each, mirroring `sql/0002_rollups_1m.sql` and
 * `sql/0011_perimeter_slis.sql`. SLO
 * files name these; nothing else from a file ever reaches a query. Latency states and `bytes` are
 * left out: they are not event counts, so they make no good/total ratio.
 */
export const rollupCounters = {
  auth: ['attempts', 'successes', 'user_failures', 'system_failures'],
  mtls: ['handshakes', 'successes', 'failures', 'plaintext'],
  decision: ['decisions', 'allows', 'denies', 'errors', 'dry_run_denies'],
  flow: ['flows', 'blocked'],
  decision_sli: [
    'decisions',
    'timed',
    'under_10ms',
    'under_25ms',
    'under_50ms',
    'under_100ms',
    'under_250ms',
    'under_1000ms',
    'cache_lookups',
    'cache_hits',
    'with_request_id',
    'allows',
    'false_denies',
  ],
  policy_change: ['changes', 'rollouts', 'failed_rollouts', 'rollbacks', 'out_of_band', 'dry_runs'],
  flow_sli: ['flows', 'with_identity', 'egress', 'egress_blocked'],
  egress: ['attempts', 'blocked'],
  finding: ['findings', 'within_10s', 'within_60s', 'within_5m', 'within_15m'],
  token: ['token_events', 'grants', 'refreshes', 'failed_refreshes', 'revocations', 'accepted_uses'],
  revoked_use: ['uses_after_revoke', 'uses_after_30s', 'uses_after_5m'],
  posture: ['checks', 'passes', 'failures', 'unknown'],
} as const satisfies Record<string, readonly string[]>

/** A rollup an SLO can be built on: `auth`, `mtls`, `decision`, `flow`, and the SLI rollups of 0011. */
export type RollupName = keyof typeof rollupCounters

/** Whether `name` is a rollup an SLO can read. */
export function isRollupName(name: string): name is RollupName {
  return Object.hasOwn(rollupCounters, name)
}
