/**
 * The rollups an SLO may read and the counters of each, mirroring `sql/0002_rollups_1m.sql`. SLO
 * files name these; nothing else from a file ever reaches a query. Latency states and `bytes` are
 * left out: they are not event counts, so they make no good/total ratio.
 */
export const rollupCounters = {
  auth: ['attempts', 'successes', 'user_failures', 'system_failures'],
  mtls: ['handshakes', 'successes', 'failures', 'plaintext'],
  decision: ['decisions', 'allows', 'denies', 'errors', 'dry_run_denies'],
  flow: ['flows', 'blocked'],
} as const satisfies Record<string, readonly string[]>

/** A rollup an SLO can be built on: `auth`, `mtls`, `decision`, `flow`. */
export type RollupName = keyof typeof rollupCounters

/** Whether `name` is a rollup an SLO can read. */
export function isRollupName(name: string): name is RollupName {
  return Object.hasOwn(rollupCounters, name)
}
