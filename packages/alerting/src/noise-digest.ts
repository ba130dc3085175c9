import type { Alert, Severity } from '@palisade/schema'

/** The alerts of one over-budget rule, for one tenant and receiver, folded into counts. */
export interface NoiseDigest {
  tenant: string
  rule: string
  receiver: string
  /** group_interval of the route the first collapsed alert came from, ms: how often the digest updates. */
  updateEveryMs: number
  /** When the rule went over budget (epoch ms). */
  openedAt: number
  /** Alerts collapsed since then. */
  count: number
  severity: Severity
  /** The label values seen most often (`name=value` → count), entities first. */
  top: Array<{ entity: string; count: number }>
  /** The newest collapsed alerts, at most {@link NOISE_SAMPLE} of them. */
  sample: Alert[]
  /** Whether this is the digest's first notification (then the noisy-rule ticket goes too). */
  first: boolean
}

/** Newest collapsed alerts carried in a digest notification, so it stays small however big the flood. */
export const NOISE_SAMPLE = 10
const TOP_ENTITIES = 5
// Labels every alert of the rule shares, or that only repeat another label: no information.
const NOT_ENTITIES = new Set(['alertname', 'severity', 'incident'])
const SEVERITY_RANK: Record<Severity, number> = { info: 0, ticket: 1, page: 2 }
const HOUR_MS = 3_600_000

interface OpenDigest {
  tenant: string
  rule: string
  receiver: string
  updateEveryMs: number
  openedAt: number
  lastAddedAt: number
  sentAt: number | undefined
  changed: boolean
  fingerprints: Set<string>
  severity: Severity
  entities: Map<string, number>
  sample: Alert[]
}

/** Whether entity `a` ranks above `b`: more alerts, then by name. */
function ranksAbove(a: [string, number], b: [string, number]): boolean {
  return a[1] > b[1] || (a[1] === b[1] && a[0].localeCompare(b[0]) < 0)
}

/**
 * The {@link TOP_ENTITIES} most frequent entities, in rank order, in one pass: a flood has an entity
 * per alert (every `instance`), and a digest is re-ranked every group_interval, so no full sort.
 */
function topEntities(entities: ReadonlyMap<string, number>): Array<[string, number]> {
  const top: Array<[string, number]> = []
  for (const entry of entities) {
    if (top.length === TOP_ENTITIES && !ranksAbove(entry, top[TOP_ENTITIES - 1]!)) continue
    let at = top.length < TOP_ENTITIES ? top.length : TOP_ENTITIES - 1
    while (at > 0 && ranksAbove(entry, top[at - 1]!)) at--
    top.splice(at, 0, entry)
    if (top.length > TOP_ENTITIES) top.pop()
  }
  return top
}

/** Digests of over-budget rules: what the planner collapses instead of notifying, on its clock. */
export interface NoiseDigests {
  /** Fold alerts of `rule` (one tenant, one receiver) into its digest; an alert counts once. */
  add(
    target: { tenant: string; rule: string; receiver: string; updateEveryMs: number },
    alerts: ReadonlyArray<{ fingerprint: string; alert: Alert }>,
    now: number,
  ): void
  /**
   * Digests to notify at `now`: new ones, and changed ones whose update interval passed. A digest
   * nothing was added to for an hour closes; the rule's next flood opens a new one.
   */
  due(now: number): NoiseDigest[]
}

/** Create the digest store; memory is bounded by the alerts the planner itself holds. */
export function createNoiseDigests(): NoiseDigests {
  const open = new Map<string, OpenDigest>()
  return {
    add(target, alerts, now) {
      const key = `${target.tenant}\n${target.rule}\n${target.receiver}`
      let digest = open.get(key)
      if (!digest) {
        digest = {
          ...target,
          openedAt: now,
          lastAddedAt: now,
          sentAt: undefined,
          changed: false,
          fingerprints: new Set(),
          severity: 'info',
          entities: new Map(),
          sample: [],
        }
        open.set(key, digest)
      }
      for (const { fingerprint, alert } of alerts) {
        if (digest.fingerprints.has(fingerprint)) continue
        digest.fingerprints.add(fingerprint)
        digest.changed = true
        digest.lastAddedAt = now
        if (SEVERITY_RANK[alert.labels.severity] > SEVERITY_RANK[digest.severity])
          digest.severity = alert.labels.severity
        for (const [name, value] of Object.entries(alert.labels)) {
          if (NOT_ENTITIES.has(name)) continue
          const entity = `${name}=${value}`
          digest.entities.set(entity, (digest.entities.get(entity) ?? 0) + 1)
        }
        digest.sample.push(alert)
        if (digest.sample.length > NOISE_SAMPLE) digest.sample.shift()
      }
    },

    due(now) {
      const out: NoiseDigest[] = []
      for (const [key, digest] of open) {
        if (now - digest.lastAddedAt >= HOUR_MS && !digest.changed) {
          open.delete(key)
          continue
        }
        if (!digest.changed) continue
        if (digest.sentAt !== undefined && now - digest.sentAt < digest.updateEveryMs) continue
        const top = topEntities(digest.entities).map(([entity, count]) => ({ entity, count }))
        out.push({
          tenant: digest.tenant,
          rule: digest.rule,
          receiver: digest.receiver,
          updateEveryMs: digest.updateEveryMs,
          openedAt: digest.openedAt,
          count: digest.fingerprints.size,
          severity: digest.severity,
          top,
          sample: [...digest.sample],
          first: digest.sentAt === undefined,
        })
        digest.sentAt = now
        digest.changed = false
      }
      return out
    },
  }
}
