import type { Alert, Severity } from '@palisade/schema'
import { dedupKey } from './dedup-key.ts'
import { labelsMatch } from './label-matcher.ts'
import { routeAlert } from './route-alert.ts'
import type { RouteNode, RoutingConfig } from './routing-config.ts'
import { timeIntervalContains } from './time-interval.ts'

/** What to send to one receiver about one incident (a group of alerts). */
export interface Notification {
  tenant: string
  receiver: string
  /** The incident's content-derived key: {@link dedupKey} of the tenant and `group_labels`. */
  dedup_key: string
  action: 'trigger' | 'resolve'
  /** The values of the route's `group_by` labels that formed the group. */
  group_labels: Record<string, string>
  alertname: string
  /** The highest severity among `alerts`. */
  severity: Severity
  /** One line for people: the first alert's `summary` annotation, and how many more there are. */
  summary: string
  /** Firing alerts for a trigger (muted ones left out), the resolved ones for a resolve. */
  alerts: Alert[]
}

/** A notification already sent (or recorded as pending) before a restart, from the ledger. */
export interface NotifiedBefore {
  notification: Notification
  /** When it was planned, epoch ms. */
  at: number
}

/** Options for {@link createNotificationPlanner}. */
export interface NotificationPlannerOptions {
  routing: RoutingConfig
  /** The newest notification per (tenant, dedup_key, receiver) before a restart (default none). */
  notifiedBefore?: NotifiedBefore[]
}

/**
 * Decides what to notify, and when, with no I/O: the caller passes the time in and delivers what
 * comes out. Deliveries are not fed back: a planned notification counts as notified, and the caller
 * owns retrying it until it is delivered.
 */
export interface NotificationPlanner {
  /** Take in alerts received at `now` (epoch ms); nothing is sent before the group's group_wait. */
  receive(alerts: Alert[], now: number): void
  /**
   * The notifications due at `now` (epoch ms). `flushAll` flushes every group now, even those still in
   * their group_wait (for shutdown, so that a stopping process hands over what it received).
   */
  due(now: number, options?: { flushAll?: boolean }): Notification[]
  /** Incidents with a trigger sent and no resolve yet. */
  activeIncidents(): number
}

interface AlertEntry {
  alert: Alert
  /** The alert's labels plus `tenant`, which matchers may name. */
  matchLabels: Record<string, string>
  receivedAt: number
}

interface LastNotified {
  action: 'trigger' | 'resolve'
  at: number
  fingerprints: Set<string>
}

interface Group {
  tenant: string
  route: RouteNode
  dedupKey: string
  groupLabels: Record<string, string>
  fingerprints: Set<string>
  nextFlushAt: number
  last?: LastNotified
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, ticket: 1, page: 2 }

function fingerprintOf(alert: Alert): string {
  return dedupKey(alert.tenant, alert.labels)
}

function seedKey(tenant: string, key: string, receiver: string): string {
  return `${tenant}\n${key}\n${receiver}`
}

function pickGroupLabels(route: RouteNode, alert: Alert): Record<string, string> {
  if (route.groupBy === 'all') return { ...alert.labels }
  const labels: Record<string, string> = {}
  for (const name of route.groupBy) {
    const value = name === 'tenant' ? alert.tenant : alert.labels[name]
    // A missing label leaves the group label out, as Alertmanager does.
    if (value !== undefined) labels[name] = value
  }
  return labels
}

/** Alertmanager's grouping, timing, inhibition and silencing, over an injected clock. */
export function createNotificationPlanner(options: NotificationPlannerOptions): NotificationPlanner {
  const { routing } = options
  const nullReceivers = new Set(routing.receivers.filter((r) => r.kind === 'null').map((r) => r.name))
  const intervals = new Map(routing.timeIntervals.map((interval) => [interval.name, interval]))
  const alerts = new Map<string, AlertEntry>()
  const groups = new Map<string, Group>()
  const before = new Map<string, LastNotified>()
  for (const { notification, at } of options.notifiedBefore ?? []) {
    before.set(seedKey(notification.tenant, notification.dedup_key, notification.receiver), {
      action: notification.action,
      at,
      fingerprints: new Set(notification.alerts.map(fingerprintOf)),
    })
  }

  function isSilenced(entry: AlertEntry, now: number): boolean {
    return routing.silences.some(
      (silence) =>
        silence.startsAt <= now && now < silence.endsAt && labelsMatch(silence.matchers, entry.matchLabels),
    )
  }

  function isInhibited(fingerprint: string, entry: AlertEntry): boolean {
    return routing.inhibitRules.some((rule) => {
      if (!labelsMatch(rule.targetMatchers, entry.matchLabels)) return false
      for (const [otherFingerprint, source] of alerts) {
        if (otherFingerprint === fingerprint || source.alert.status !== 'firing') continue
        if (source.alert.tenant !== entry.alert.tenant) continue
        if (!labelsMatch(rule.sourceMatchers, source.matchLabels)) continue
        if (rule.equal.every((name) => (source.matchLabels[name] ?? '') === (entry.matchLabels[name] ?? '')))
          return true
      }
      return false
    })
  }

  function isMutedByTime(route: RouteNode, now: number): boolean {
    return route.muteTimeIntervals.some((name) => {
      const interval = intervals.get(name)
      return interval !== undefined && timeIntervalContains(interval, now)
    })
  }

  function notification(group: Group, action: Notification['action'], entries: AlertEntry[]): Notification {
    const sorted = entries
      .map((entry) => entry.alert)
      .sort((a, b) => a.starts_at - b.starts_at || fingerprintOf(a).localeCompare(fingerprintOf(b)))
    const first = sorted[0]
    const alertname = group.groupLabels.alertname ?? first?.labels.alertname ?? ''
    const severity = sorted.reduce<Severity>(
      (highest, alert) =>
        SEVERITY_RANK[alert.labels.severity] > SEVERITY_RANK[highest] ? alert.labels.severity : highest,
      'info',
    )
    const text = first?.annotations.summary ?? alertname
    return {
      tenant: group.tenant,
      receiver: group.route.receiver,
      dedup_key: group.dedupKey,
      action,
      group_labels: { ...group.groupLabels },
      alertname,
      severity,
      summary: sorted.length > 1 ? `${text} (+${sorted.length - 1} more)` : text,
      alerts: sorted,
    }
  }

  function dropGroup(key: string, group: Group): void {
    groups.delete(key)
    for (const fingerprint of group.fingerprints) {
      const stillGrouped = [...groups.values()].some((other) => other.fingerprints.has(fingerprint))
      if (!stillGrouped) alerts.delete(fingerprint)
    }
  }

  function flush(key: string, group: Group, now: number): Notification | undefined {
    group.nextFlushAt = now + group.route.groupIntervalMs
    const entries = [...group.fingerprints].flatMap((fingerprint) => {
      const entry = alerts.get(fingerprint)
      return entry ? [{ fingerprint, entry }] : []
    })
    if (entries.length > 0 && entries.every(({ entry }) => entry.alert.status === 'resolved')) {
      dropGroup(key, group)
      // Resolve only what was triggered: a group that resolved inside its group_wait never paged.
      if (group.last?.action !== 'trigger') return undefined
      return notification(
        group,
        'resolve',
        entries.map(({ entry }) => entry),
      )
    }
    if (isMutedByTime(group.route, now)) return undefined
    const firing = entries.filter(
      ({ fingerprint, entry }) =>
        entry.alert.status === 'firing' && !isSilenced(entry, now) && !isInhibited(fingerprint, entry),
    )
    if (firing.length === 0) return undefined
    const last = group.last
    const opensIncident = last === undefined || last.action === 'resolve'
    const hasNewAlerts = firing.some(({ fingerprint }) => !last?.fingerprints.has(fingerprint))
    const repeatDue = last !== undefined && now - last.at >= group.route.repeatIntervalMs
    if (!opensIncident && !hasNewAlerts && !repeatDue) return undefined
    group.last = {
      action: 'trigger',
      at: now,
      fingerprints: new Set(firing.map(({ fingerprint }) => fingerprint)),
    }
    return notification(
      group,
      'trigger',
      firing.map(({ entry }) => entry),
    )
  }

  function forgetStale(now: number): void {
    for (const [fingerprint, entry] of alerts) {
      if (entry.alert.status !== 'firing' || now - entry.receivedAt < routing.staleAfterMs) continue
      alerts.delete(fingerprint)
      for (const [key, group] of groups) {
        group.fingerprints.delete(fingerprint)
        if (group.fingerprints.size === 0) groups.delete(key)
      }
    }
  }

  return {
    receive(received, now) {
      for (const alert of received) {
        const fingerprint = fingerprintOf(alert)
        const matchLabels: Record<string, string> = { ...alert.labels, tenant: alert.tenant }
        alerts.set(fingerprint, { alert, matchLabels, receivedAt: now })
        let grouped = false
        for (const route of routeAlert(routing.route, matchLabels)) {
          if (nullReceivers.has(route.receiver)) continue
          const groupLabels = pickGroupLabels(route, alert)
          const key = dedupKey(alert.tenant, groupLabels)
          const groupId = `${route.id}\n${key}`
          let group = groups.get(groupId)
          if (!group) {
            const seed = seedKey(alert.tenant, key, route.receiver)
            const last = before.get(seed)
            // A resolve for an incident this process never heard of: nothing was paged, nothing to resolve.
            if (alert.status === 'resolved' && last?.action !== 'trigger') continue
            // Used once: from here on the group carries what was notified.
            before.delete(seed)
            group = {
              tenant: alert.tenant,
              route,
              dedupKey: key,
              groupLabels,
              fingerprints: new Set(),
              nextFlushAt: now + route.groupWaitMs,
              last,
            }
            groups.set(groupId, group)
          }
          group.fingerprints.add(fingerprint)
          grouped = true
        }
        if (!grouped) alerts.delete(fingerprint)
      }
    },

    due(now, dueOptions = {}) {
      forgetStale(now)
      const out: Notification[] = []
      for (const [key, group] of [...groups]) {
        if (!dueOptions.flushAll && group.nextFlushAt > now) continue
        const planned = flush(key, group, now)
        if (planned) out.push(planned)
      }
      return out
    },

    activeIncidents() {
      let count = 0
      for (const group of groups.values()) if (group.last?.action === 'trigger') count++
      return count
    },
  }
}
