/**
 * The tables a hunt reads: one per event kind, named after the kind the analyst sees everywhere
 * (`flow`, `auth`, ...), each the stored table filtered to the signed-in tenant and the hunt's time
 * range, without its `tenant` column. They are common table expressions the runner puts in front
 * of the query, so the filter is part of every read and ClickHouse still uses the sort key.
 * Column lists are the stored tables' own (see `sql/`).
 */
export const huntTables = {
  flow: {
    table: 'flow_events',
    time: 'ts',
    description: 'network flows (VPC, Hubble, Zeek, mesh access logs)',
  },
  auth: {
    table: 'auth_events',
    time: 'ts',
    description: 'sign-ins and token events (Okta, Keycloak, CloudTrail)',
  },
  decision: {
    table: 'decision_events',
    time: 'ts',
    description: 'allow/deny decisions (OPA, Envoy, Istio, AWS WAF, ModSecurity, Coraza)',
  },
  mtls: { table: 'mtls_events', time: 'ts', description: 'mTLS handshakes' },
  policy_change: { table: 'policy_change_events', time: 'ts', description: 'policy rollouts and changes' },
  finding: { table: 'findings', time: 'ts', description: 'what the detectors concluded' },
  notification: { table: 'alert_notifications', time: 'recorded_at', description: 'pages and messages sent' },
} as const

/** A name a hunt may read from. */
export type HuntTableName = keyof typeof huntTables

/** Whether `name` is one of the {@link huntTables} (own keys only). */
export function isHuntTableName(name: string): name is HuntTableName {
  return Object.hasOwn(huntTables, name)
}

/**
 * `WITH flow AS (...), auth AS (...)`: every hunt table scoped by the parameters `hunt_tenant`,
 * `hunt_from` and `hunt_to` (epoch ms, inclusive). Built from the fixed table above only.
 */
export function huntTableExpressions(): string {
  return Object.entries(huntTables)
    .map(
      ([name, { table, time }]) =>
        `${name} AS (SELECT * EXCEPT (tenant) FROM ${table} WHERE tenant = {hunt_tenant:String}` +
        ` AND ${time} >= fromUnixTimestamp64Milli({hunt_from:Int64}, 'UTC')` +
        ` AND ${time} <= fromUnixTimestamp64Milli({hunt_to:Int64}, 'UTC'))`,
    )
    .join(',\n     ')
}
