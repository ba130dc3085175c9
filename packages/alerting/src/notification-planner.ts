import type { Alert, Severity } from '@palisade/schema'
import { dedupIdentity, dedupKey, digestIdentity } from './dedup-key.ts'
import type { IncidentAction } from './incident-action.ts'
import { escalationReasons, type IncidentFacts, incidentFacts, mergeFacts } from './incident-change.ts'
import { incidentTitle } from './incident-title.ts'
import { createInhibitor } from './inhibitor.ts'
import type { Muter } from './muter.ts'
import { createNoiseBudget, type NoiseBudgetSpend, type NoiseBudgetUsage } from './noise-budget.ts'
import { createNoiseDigests, type NoiseDigest } from './noise-digest.ts'
import { createRouteCache, routeAlert } from './route-alert.ts'
import type { RouteNode, RoutingConfig } from './routing-config.ts'
import { createSilencer } from './silences.ts'
import { createTimeMuter, muteEndsAt } from './time-mute.ts'

/** What to send to one receiver about one incident (a group of alerts). */
export interface Notification {
  tenant: string
  receiver: string
  /**
   * The receiver's key: {@link dedupKey} of the tenant and `group_labels` for the incident itself;
   * an escalation, a noise digest or a noisy-rule ticket has its own (so that PagerDuty pages anew).
   */
  dedup_key: string
  /** The incident's key, the same as `dedup_key` except for an escalation (absent in old ledger rows). */
  incident_key?: string
  /** `acknowledge` only for receivers that have the notion (PagerDuty), after a person acknowledged. */
  action: 'trigger' | 'acknowledge' | 'resolve'
  /**
   * Why it is sent: `opened`, `updated` (more alerts of the same kind), `repeated`, `escalated` (a
   * new rule, higher severity or new kind of evidence joined an open incident: on-call is paged
   * again), `snooze_ended` (still firing when a snooze ended), `collapsed` (a rule over its noise
   * budget), `noisy_rule` (the ticket saying so), `resolved`, `acknowledged` and `resolved_by_hand`
   * (a person's action, see `actor`). Absent in old ledger rows.
   */
  reason?:
    | 'opened'
    | 'updated'
    | 'repeated'
    | 'escalated'
    | 'snooze_ended'
    | 'collapsed'
    | 'noisy_rule'
    | 'resolved'
    | 'acknowledged'
    | 'resolved_by_hand'
  /** The incident's title for people (see {@link incidentTitle}); absent in old ledger rows. */
  title?: string
  /** Who acknowledged or resolved it, for a person's action (the action log's `actor`). */
  actor?: string
  /** The action behind it, for a person's action (the action log's id). */
  action_id?: string
  /**
   * Deliver no earlier than this, epoch ms: a resolve that came during a maintenance window (a
   * route's mute time interval) is recorded at once and sent when the window ends.
   */
  not_before?: number
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
  /**
   * Muters after the routing file's silences (default none): the silences people create through
   * the Alertmanager API, which change while the planner runs.
   */
  muters?: readonly Muter[]
  /**
   * Receivers that take an acknowledgement (default: the routing file's PagerDuty and Opsgenie receivers); the
   * others hear of an incident's trigger and resolve only.
   */
  acknowledgingReceivers?: ReadonlySet<string>
  /** The noise budget spent before a restart (persisted spends, see `takeBudgetSpends`; default none). */
  budgetSpentBefore?: readonly NoiseBudgetSpend[]
}

/** An alert the planner holds, as the Alertmanager API shows it. */
export interface HeldAlert {
  /** The sha-256 fingerprint of its tenant and labels (its {@link dedupKey}). */
  fingerprint: string
  alert: Alert
  /** Its receivers (one per group holding it). */
  receivers: string[]
  /** Muted by an inhibition rule, or by a silence (of the routing file or a muter), at `now`. */
  inhibited: boolean
  silenced: boolean
}

/** A group the planner holds: its receiver, group labels and alerts. */
export interface HeldGroup {
  receiver: string
  groupLabels: Record<string, string>
  fingerprints: string[]
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
   * `maxGroups` bounds the work of one call (default all): call again while {@link hasDue}.
   */
  due(now: number, options?: { flushAll?: boolean; maxGroups?: number }): Notification[]
  /** Whether a group is due at `now` (what `due` left for the next call). */
  hasDue(now: number): boolean
  /** Incidents with a trigger sent and no resolve yet. */
  activeIncidents(): number
  /** The alerts and groups held for `tenant` at `now` (what Alertmanager's `GET /api/v2/alerts` lists). */
  held(tenant: string, now: number): { alerts: HeldAlert[]; groups: HeldGroup[] }
  /**
   * Apply a person's action to an incident: what to tell receivers now (an acknowledgement, a
   * resolve), and the state that shapes later flushes (no repeats while acknowledged, nothing while
   * snoozed, a page again when a snooze ends on a firing incident, no reopening by alerts that
   * started before a resolve). `replay` (at start, from the action log) restores the state only.
   * A silence is not the planner's: it mutes through the muters.
   */
  act(action: IncidentAction, now: number, options?: { replay?: boolean }): Notification[]
  /**
   * The noise budget spent since the last call (one per notification and rule, in event time), for
   * the caller to persist so that a restart keeps it (see `budgetSpentBefore`).
   */
  takeBudgetSpends(): NoiseBudgetSpend[]
  /** Where each rule of each tenant stands against its noise budget, most spent first. */
  budgetUsage(): NoiseBudgetUsage[]
}

/** A person's actions on one incident, as they shape its notifications. */
interface IncidentState {
  /** Acknowledged at (epoch ms): covers the incident opened before it. */
  ackedAt?: number
  /** Snoozed until (epoch ms). */
  snoozedUntil?: number
  /** Resolved by hand at (epoch ms): alerts that started before it do not reopen the incident. */
  resolvedAt?: number
}

interface AlertEntry {
  fingerprint: string
  alert: Alert
  /** The alert's labels plus `tenant`, which matchers may name. */
  matchLabels: Record<string, string>
  receivedAt: number
  /** Ids of the groups holding it; the entry is dropped with the last one. */
  groups: Set<string>
}

interface LastNotified {
  action: 'trigger' | 'resolve'
  at: number
  fingerprints: Set<string>
  /** What on-call was told the incident is made of; an escalation is measured against it. */
  told: IncidentFacts
  /** Escalation keys sent for this incident, resolved with it. */
  escalations: Set<string>
  /** When the incident (this trigger run) opened, epoch ms. */
  openedAt: number
}

interface Group {
  id: string
  tenant: string
  route: RouteNode
  dedupKey: string
  groupLabels: Record<string, string>
  fingerprints: Set<string>
  nextFlushAt: number
  last?: LastNotified
  /** Alerts folded into a noise digest instead of notified: they are not news again. */
  collapsed: Set<string>
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, ticket: 1, page: 2 }
const NOISY_RULE = 'palisade.noisy_rule'

/**
 * An alert's identity in the planner: its tenant and labels as {@link dedupIdentity}'s text, not
 * digested (the sha-256 fingerprint is taken only where one is shown, in {@link held}).
 */
function fingerprintOf(alert: Alert): string {
  return dedupIdentity(alert.tenant, alert.labels)
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

function highest(alerts: readonly Alert[]): Severity {
  return alerts.reduce<Severity>(
    (top, alert) => (SEVERITY_RANK[alert.labels.severity] > SEVERITY_RANK[top] ? alert.labels.severity : top),
    'info',
  )
}

/** The ledger's notifications folded per incident, so a restart knows what each incident told. */
function seedsFrom(notifiedBefore: readonly NotifiedBefore[]): Map<string, LastNotified> {
  const seeds = new Map<string, LastNotified>()
  // Oldest first, so that the newest row of an incident decides its action.
  for (const { notification, at } of [...notifiedBefore].sort((a, b) => a.at - b.at)) {
    if (notification.reason === 'collapsed' || notification.reason === 'noisy_rule') continue
    // Acknowledgements change no incident's state here: the action log restores them.
    if (notification.action === 'acknowledge') continue
    const incidentKey = notification.incident_key ?? notification.dedup_key
    const key = seedKey(notification.tenant, incidentKey, notification.receiver)
    const seed = seeds.get(key) ?? {
      action: notification.action,
      at,
      fingerprints: new Set<string>(),
      told: incidentFacts([]),
      escalations: new Set<string>(),
      openedAt: at,
    }
    if (
      notification.action === 'trigger' &&
      seed.action === 'resolve' &&
      incidentKey === notification.dedup_key
    )
      seed.openedAt = at
    seed.at = Math.max(seed.at, at)
    if (incidentKey !== notification.dedup_key) seed.escalations.add(notification.dedup_key)
    if (notification.action === 'resolve' && incidentKey === notification.dedup_key) {
      seed.action = 'resolve'
    } else if (notification.action === 'trigger') {
      seed.action = 'trigger'
      for (const alert of notification.alerts) {
        seed.fingerprints.add(fingerprintOf(alert))
        mergeFacts(seed.told, alert)
      }
    }
    seeds.set(key, seed)
  }
  return seeds
}

/**
 * Alertmanager's grouping and timing over an injected clock, with each group's flush a short
 * pipeline of named stages: resolve, mute (time mute, inhibitor, silencer: one {@link Muter} each),
 * noise budget (a rule past its budget collapses into one digest), then decide (open, update,
 * escalate or repeat). Alerts, groups and inhibition sources are indexed, so a flush costs the
 * size of the groups it flushes, never the number of alerts held.
 */
export function createNotificationPlanner(options: NotificationPlannerOptions): NotificationPlanner {
  const { routing } = options
  const nullReceivers = new Set(routing.receivers.filter((r) => r.kind === 'null').map((r) => r.name))
  const inhibitor = createInhibitor(routing.inhibitRules)
  const silencer = createSilencer(routing.silences)
  const timeMuters = new Map<string, Muter>()
  const extraMuters = options.muters ?? []
  const silenced = (labels: Record<string, string>, now: number) =>
    silencer.mutes(labels, now) || extraMuters.some((muter) => muter.mutes(labels, now))
  const budget = createNoiseBudget(routing.noiseBudget)
  budget.restore(options.budgetSpentBefore ?? [])
  /** Spends not yet taken by the caller to persist. */
  let spends: NoiseBudgetSpend[] = []
  /** The event time of a rule's news: its newest alert's start (a finding's event time). */
  const eventTimeOf = (entries: readonly AlertEntry[], rule: string) => {
    let at = Number.NEGATIVE_INFINITY
    for (const entry of entries)
      if (entry.alert.labels.alertname === rule && entry.alert.starts_at > at) at = entry.alert.starts_at
    return at
  }
  const digests = createNoiseDigests()
  /** Received alerts by fingerprint, in the order they were last received (oldest first). */
  const alerts = new Map<string, AlertEntry>()
  const groups = new Map<string, Group>()
  const before = seedsFrom(options.notifiedBefore ?? [])
  const noisyRuleRoutes = new Map<string, RouteNode[]>()
  const acknowledging =
    options.acknowledgingReceivers ??
    new Set(
      routing.receivers.filter((r) => r.kind === 'pagerduty' || r.kind === 'opsgenie').map((r) => r.name),
    )
  const incidentStates = new Map<string, IncidentState>()
  const routesOf = createRouteCache(routing.route)
  const stateKey = (tenant: string, incidentKey: string) => `${tenant}\n${incidentKey}`
  const stateOf = (group: Group) => incidentStates.get(stateKey(group.tenant, group.dedupKey))

  function timeMuterOf(route: RouteNode): Muter {
    let muter = timeMuters.get(route.id)
    if (!muter) {
      muter = createTimeMuter(routing.timeIntervals, route.muteTimeIntervals)
      timeMuters.set(route.id, muter)
    }
    return muter
  }

  function release(fingerprint: string, groupId: string): void {
    const entry = alerts.get(fingerprint)
    if (!entry) return
    entry.groups.delete(groupId)
    if (entry.groups.size > 0) return
    alerts.delete(fingerprint)
    inhibitor.forget(fingerprint)
  }

  function dropGroup(group: Group): void {
    groups.delete(group.id)
    for (const fingerprint of group.fingerprints) release(fingerprint, group.id)
  }

  function notification(
    group: Group,
    action: Notification['action'],
    reason: NonNullable<Notification['reason']>,
    entries: readonly AlertEntry[],
    dedup = group.dedupKey,
  ): Notification {
    const sorted = entries
      .map((entry) => entry.alert)
      .sort((a, b) => a.starts_at - b.starts_at || a.labels.alertname.localeCompare(b.labels.alertname))
    const first = sorted[0]
    const alertname = group.groupLabels.alertname ?? first?.labels.alertname ?? ''
    const text = first?.annotations.summary ?? alertname
    return {
      tenant: group.tenant,
      receiver: group.route.receiver,
      dedup_key: dedup,
      incident_key: group.dedupKey,
      action,
      reason,
      group_labels: { ...group.groupLabels },
      alertname,
      severity: highest(sorted),
      summary: sorted.length > 1 ? `${text} (+${sorted.length - 1} more)` : text,
      title: incidentTitle(sorted, alertname),
      alerts: sorted,
    }
  }

  /** Stage 1: a group whose alerts all resolved resolves its incident and its escalations. */
  function resolveStage(group: Group, entries: readonly AlertEntry[]): Notification[] | undefined {
    if (entries.length === 0 || entries.some((entry) => entry.alert.status !== 'resolved')) return undefined
    dropGroup(group)
    // Resolve only what was triggered: a group that resolved inside its group_wait never paged.
    if (group.last?.action !== 'trigger') return []
    const resolves = [notification(group, 'resolve', 'resolved', entries)]
    for (const key of group.last.escalations)
      resolves.push(notification(group, 'resolve', 'resolved', entries, key))
    return resolves
  }

  /** Stage 2: the firing alerts no muter mutes (Alertmanager's order: inhibitor, time, silencer). */
  function muteStage(group: Group, entries: readonly AlertEntry[], now: number): AlertEntry[] {
    if (timeMuterOf(group.route).mutes(group.groupLabels, now)) return []
    return entries.filter(
      (entry) =>
        entry.alert.status === 'firing' &&
        !inhibitor.mutes(entry.matchLabels, now) &&
        !silenced(entry.matchLabels, now),
    )
  }

  /**
   * Stage 3: alerts this notification would bring as news, of rules past their noise budget, go to
   * the rule's digest instead; what is left spends the budget of its rules.
   */
  function budgetStage(group: Group, firing: AlertEntry[], news: AlertEntry[], now: number): AlertEntry[] {
    const over = new Set<string>()
    for (const rule of new Set(news.map((entry) => entry.alert.labels.alertname)))
      if (!budget.allows(group.tenant, rule, eventTimeOf(news, rule))) over.add(rule)
    if (over.size === 0) return firing
    for (const rule of over) {
      const collapsed = news.filter((entry) => entry.alert.labels.alertname === rule)
      budget.collapse(group.tenant, rule, collapsed.length)
      digests.add(
        {
          tenant: group.tenant,
          rule,
          receiver: group.route.receiver,
          updateEveryMs: group.route.groupIntervalMs,
        },
        collapsed,
        now,
      )
      for (const entry of collapsed) group.collapsed.add(entry.fingerprint)
    }
    return firing.filter((entry) => !group.collapsed.has(entry.fingerprint))
  }

  /** Stage 4: open, update, escalate or repeat the incident, or nothing when there is no news. */
  function decideStage(group: Group, candidates: AlertEntry[], now: number): Notification | undefined {
    const last = group.last
    const opens = last === undefined || last.action === 'resolve'
    const state = stateOf(group)
    // Resolved by hand: the alerts it covered reopen the incident only by firing anew.
    const firing =
      opens && state?.resolvedAt !== undefined
        ? candidates.filter((entry) => entry.alert.starts_at > (state.resolvedAt ?? 0))
        : candidates
    if (firing.length === 0) return undefined
    // A person's ack or snooze covers the incident that was open when they took it.
    const inHand = !opens && state?.ackedAt !== undefined && state.ackedAt >= last.openedAt
    const snoozeUntil = inHand ? (state?.snoozedUntil ?? 0) : 0
    if (now < snoozeUntil) {
      // Look again when the snooze ends, not up to a group_interval later.
      group.nextFlushAt = Math.min(group.nextFlushAt, snoozeUntil)
      return undefined
    }
    const snoozeEnded = last !== undefined && snoozeUntil > last.at && now >= snoozeUntil
    const acked = inHand && !snoozeEnded
    const repeatDue = !opens && !acked && (snoozeEnded || now - last.at >= group.route.repeatIntervalMs)
    const news =
      opens || repeatDue ? firing : firing.filter((entry) => !last.fingerprints.has(entry.fingerprint))
    const fresh = news.filter((entry) => !group.collapsed.has(entry.fingerprint))
    // A repeat reminds on-call of what it was told: only alerts it has not heard of are news that
    // spend (or, past it, collapse into) their rule's budget, at their own event time.
    const kept = budgetStage(
      group,
      firing,
      opens ? fresh : fresh.filter((entry) => !last.fingerprints.has(entry.fingerprint)),
      now,
    )
    const keptNews = fresh.filter((entry) => !group.collapsed.has(entry.fingerprint))
    if (kept.length === 0 || keptNews.length === 0) return undefined
    const spending = opens ? keptNews : keptNews.filter((entry) => !last.fingerprints.has(entry.fingerprint))
    for (const rule of new Set(spending.map((entry) => entry.alert.labels.alertname)))
      spends.push(budget.spend(group.tenant, rule, eventTimeOf(spending, rule), group.dedupKey))
    const facts = incidentFacts(kept.map((entry) => entry.alert))
    const reasons = opens ? [] : escalationReasons(last.told, facts)
    if (snoozeEnded) reasons.push('snooze ended')
    // Acknowledged: more of the same is not news to whoever has it in hand; an escalation still is.
    if (acked && reasons.length === 0) {
      for (const entry of kept) last.fingerprints.add(entry.fingerprint)
      return undefined
    }
    const escalations = opens ? new Set<string>() : last.escalations
    // What on-call was told only grows while the incident is open, so news is never announced twice.
    const told = opens ? facts : last.told
    if (!opens) for (const entry of kept) mergeFacts(told, entry.alert)
    group.last = {
      action: 'trigger',
      at: now,
      fingerprints: new Set(kept.map((entry) => entry.fingerprint)),
      told,
      escalations,
      openedAt: opens ? now : last.openedAt,
    }
    if (opens) {
      if (state) state.resolvedAt = undefined
      return notification(group, 'trigger', 'opened', kept)
    }
    if (reasons.length === 0) return notification(group, 'trigger', repeatDue ? 'repeated' : 'updated', kept)
    // A key of its own: PagerDuty folds a trigger with the incident's key into the open incident
    // without paging anyone, and the news would go unseen.
    const key = dedupKey(group.tenant, { ...group.groupLabels, 'palisade.escalation': reasons.join(',') })
    escalations.add(key)
    const escalated = notification(group, 'trigger', snoozeEnded ? 'snooze_ended' : 'escalated', kept, key)
    escalated.summary = `Escalated (${reasons.join(', ')}): ${escalated.summary}`
    escalated.title = `Escalated (${reasons.join(', ')}): ${escalated.title}`
    return escalated
  }

  function flush(group: Group, now: number): Notification[] {
    group.nextFlushAt = now + group.route.groupIntervalMs
    const entries: AlertEntry[] = []
    for (const fingerprint of group.fingerprints) {
      const entry = alerts.get(fingerprint)
      if (!entry) continue
      // Alertmanager's rule: a firing alert with an end time its source did not push back by
      // re-sending (a Prometheus that went away) is resolved once that time has passed.
      const { alert } = entry
      if (alert.status === 'firing' && alert.ends_at !== undefined && alert.ends_at <= now) {
        entry.alert = { ...alert, status: 'resolved' }
        inhibitor.observe(fingerprint, entry.matchLabels, false)
      }
      entries.push(entry)
    }
    const resolved = resolveStage(group, entries)
    if (resolved) {
      // A maintenance window queues a resolve rather than drop it (Alertmanager #226, #2370): the
      // ledger has it now, the receiver hears of it when the window ends.
      const until = resolved.length > 0 ? muteEndsAt(timeMuterOf(group.route), now) : now
      if (until > now) for (const n of resolved) n.not_before = until
      return resolved
    }
    const firing = muteStage(group, entries, now)
    if (firing.length === 0) return []
    const planned = decideStage(group, firing, now)
    return planned ? [planned] : []
  }

  function routesOfNoisyRule(tenant: string, rule: string): RouteNode[] {
    let routes = noisyRuleRoutes.get(rule)
    if (!routes) {
      const labels = { alertname: NOISY_RULE, severity: 'ticket', rule, tenant }
      routes = routeAlert(routing.route, labels).filter((route) => !nullReceivers.has(route.receiver))
      noisyRuleRoutes.set(rule, routes)
    }
    return routes
  }

  /** The digest of an over-budget rule, and on its first notification the ticket saying the rule is noisy. */
  function digestNotifications(digest: NoiseDigest, now: number): Notification[] {
    const top = digest.top.map(({ entity, count }) => `${entity} ×${count}`).join(', ')
    const since = new Date(digest.openedAt).toISOString()
    const limit = budget.limitOf(digest.rule)
    const groupLabels = { alertname: digest.rule }
    const out: Notification[] = []
    const collapsedKey = dedupKey(digest.tenant, { ...groupLabels, 'palisade.noise': 'collapsed' })
    out.push({
      tenant: digest.tenant,
      receiver: digest.receiver,
      dedup_key: collapsedKey,
      incident_key: collapsedKey,
      action: 'trigger',
      reason: 'collapsed',
      group_labels: groupLabels,
      alertname: digest.rule,
      severity: digest.severity,
      summary: `${digest.rule} is over its noise budget (${limit}/h): ${digest.count} alerts collapsed since ${since}; top: ${top}`,
      alerts: digest.sample,
    })
    if (!digest.first) return out
    const labels = { alertname: NOISY_RULE, severity: 'ticket' as const, rule: digest.rule }
    const summary = `Rule ${digest.rule} is noisy: over ${limit} notifications an hour for ${digest.tenant}; its alerts are collapsed into one notification. Review its thresholds or noise controls.`
    const ticket: Alert = {
      tenant: digest.tenant,
      labels,
      annotations: { summary, description: `top entities: ${top}` },
      status: 'firing',
      starts_at: now,
    }
    for (const route of routesOfNoisyRule(digest.tenant, digest.rule)) {
      const key = dedupKey(digest.tenant, { alertname: NOISY_RULE, rule: digest.rule })
      out.push({
        tenant: digest.tenant,
        receiver: route.receiver,
        dedup_key: key,
        incident_key: key,
        action: 'trigger',
        reason: 'noisy_rule',
        group_labels: { alertname: NOISY_RULE, rule: digest.rule },
        alertname: NOISY_RULE,
        severity: 'ticket',
        summary,
        alerts: [ticket],
      })
    }
    return out
  }

  /** Forget firing alerts not re-sent for stale_after: the oldest received come first, so stop early. */
  function forgetStale(now: number): void {
    for (const [fingerprint, entry] of alerts) {
      if (now - entry.receivedAt < routing.staleAfterMs) break
      if (entry.alert.status !== 'firing') continue
      alerts.delete(fingerprint)
      inhibitor.forget(fingerprint)
      for (const id of entry.groups) {
        const group = groups.get(id)
        if (!group) continue
        group.fingerprints.delete(fingerprint)
        if (group.fingerprints.size === 0) groups.delete(id)
      }
    }
  }

  /**
   * A group's id: its route and the values of its group_by labels as they are, so that an alert
   * joining an open group costs no hash (the group's dedup key, a sha-256, is taken once, when it
   * opens). Grouped by every label, the alert's fingerprint is that key already.
   */
  function groupIdOf(route: RouteNode, alert: Alert, fingerprint: string): string {
    if (route.groupBy === 'all') return `${route.id}\n${fingerprint}`
    const values: Array<string | null> = [alert.tenant]
    // A missing label (null) is not the empty string: pickGroupLabels leaves it out of the group.
    for (const name of route.groupBy)
      values.push(name === 'tenant' ? alert.tenant : (alert.labels[name] ?? null))
    return `${route.id}\n${JSON.stringify(values)}`
  }

  function groupFor(route: RouteNode, alert: Alert, fingerprint: string, now: number): Group | undefined {
    const id = groupIdOf(route, alert, fingerprint)
    const existing = groups.get(id)
    if (existing) return existing
    const groupLabels = pickGroupLabels(route, alert)
    const key = route.groupBy === 'all' ? digestIdentity(fingerprint) : dedupKey(alert.tenant, groupLabels)
    const seed = seedKey(alert.tenant, key, route.receiver)
    const last = before.get(seed)
    // A resolve for an incident this process never heard of: nothing was paged, nothing to resolve.
    if (alert.status === 'resolved' && last?.action !== 'trigger') return undefined
    // Used once: from here on the group carries what was notified.
    before.delete(seed)
    const group: Group = {
      id,
      tenant: alert.tenant,
      route,
      dedupKey: key,
      groupLabels,
      fingerprints: new Set(),
      nextFlushAt: now + route.groupWaitMs,
      collapsed: new Set(),
      ...(last ? { last } : {}),
    }
    groups.set(id, group)
    return group
  }

  return {
    receive(received, now) {
      for (const alert of received) {
        const fingerprint = fingerprintOf(alert)
        const matchLabels: Record<string, string> = { ...alert.labels, tenant: alert.tenant }
        const held = alerts.get(fingerprint)
        // Delete and set again, so that the map stays in the order alerts were last received.
        if (held) alerts.delete(fingerprint)
        const entry: AlertEntry = {
          fingerprint,
          alert,
          matchLabels,
          receivedAt: now,
          groups: held?.groups ?? new Set(),
        }
        alerts.set(fingerprint, entry)
        for (const route of routesOf(matchLabels)) {
          if (nullReceivers.has(route.receiver)) continue
          const group = groupFor(route, alert, fingerprint, now)
          if (!group || group.fingerprints.has(fingerprint)) continue
          group.fingerprints.add(fingerprint)
          entry.groups.add(group.id)
          // News for an open incident that on-call must hear of goes out after group_wait, not
          // group_interval: an attack joining day-old noise is still an attack.
          const last = group.last
          if (last?.action === 'trigger' && alert.status === 'firing') {
            const facts = incidentFacts([alert])
            if (escalationReasons(last.told, facts).length > 0)
              group.nextFlushAt = Math.min(group.nextFlushAt, now + route.groupWaitMs)
          }
        }
        if (entry.groups.size === 0) alerts.delete(fingerprint)
        else inhibitor.observe(fingerprint, matchLabels, alert.status === 'firing')
      }
    },

    due(now, dueOptions = {}) {
      forgetStale(now)
      const out: Notification[] = []
      let budgetLeft = dueOptions.maxGroups ?? Number.POSITIVE_INFINITY
      for (const group of groups.values()) {
        if (budgetLeft <= 0) break
        if (!dueOptions.flushAll && group.nextFlushAt > now) continue
        budgetLeft--
        out.push(...flush(group, now))
      }
      for (const digest of digests.due(now)) out.push(...digestNotifications(digest, now))
      return out
    },

    hasDue(now) {
      for (const group of groups.values()) if (group.nextFlushAt <= now) return true
      return false
    },

    activeIncidents() {
      let count = 0
      for (const group of groups.values()) if (group.last?.action === 'trigger') count++
      return count
    },

    act(action, now, actOptions = {}) {
      if (action.kind === 'silence') return []
      const key = stateKey(action.tenant, action.incident_key)
      const state = incidentStates.get(key) ?? {}
      incidentStates.set(key, state)
      if (action.kind === 'ack' || action.kind === 'snooze') {
        state.ackedAt = action.at
        state.snoozedUntil = action.kind === 'snooze' ? action.until : undefined
      } else {
        state.resolvedAt = action.at
      }
      if (actOptions.replay) return []
      const out: Notification[] = []
      for (const group of groups.values()) {
        const last = group.last
        if (group.tenant !== action.tenant || group.dedupKey !== action.incident_key) continue
        if (last?.action !== 'trigger') continue
        const entries = [...group.fingerprints]
          .map((fingerprint) => alerts.get(fingerprint))
          .filter((entry): entry is AlertEntry => entry !== undefined)
        const keys = [group.dedupKey, ...last.escalations]
        if (action.kind === 'resolve') {
          group.last = { ...last, action: 'resolve', at: now }
        } else if (!acknowledging.has(group.route.receiver)) {
          continue
        }
        const kind = action.kind === 'resolve' ? 'resolve' : 'acknowledge'
        const reason = action.kind === 'resolve' ? 'resolved_by_hand' : 'acknowledged'
        for (const dedup of keys) {
          const told = notification(group, kind, reason, entries, dedup)
          told.actor = action.actor
          told.action_id = action.id
          const verb =
            action.kind === 'resolve' ? 'Resolved' : action.kind === 'snooze' ? 'Snoozed' : 'Acknowledged'
          const by = `${verb} by ${action.actor}${action.comment ? ` (${action.comment})` : ''}`
          told.summary = `${by}: ${told.summary}`
          told.title = `${by}: ${told.title}`
          out.push(told)
        }
      }
      return out
    },

    takeBudgetSpends() {
      const taken = spends
      spends = []
      return taken
    },

    budgetUsage() {
      return budget.usage()
    },

    held(tenant, now) {
      const heldGroups: HeldGroup[] = []
      const receiversOf = new Map<string, string[]>()
      // Shown as the sha-256 of the identity the planner keys alerts by, each digested once.
      const digests = new Map<string, string>()
      const digestOf = (identity: string) => {
        let digest = digests.get(identity)
        if (digest === undefined) {
          digest = digestIdentity(identity)
          digests.set(identity, digest)
        }
        return digest
      }
      for (const group of groups.values()) {
        if (group.tenant !== tenant) continue
        const fingerprints = [...group.fingerprints]
        heldGroups.push({
          receiver: group.route.receiver,
          groupLabels: { ...group.groupLabels },
          fingerprints: fingerprints.map(digestOf),
        })
        for (const fingerprint of fingerprints)
          receiversOf.set(fingerprint, [...(receiversOf.get(fingerprint) ?? []), group.route.receiver])
      }
      const heldAlerts: HeldAlert[] = []
      for (const [fingerprint, receivers] of receiversOf) {
        const entry = alerts.get(fingerprint)
        if (!entry) continue
        heldAlerts.push({
          fingerprint: digestOf(fingerprint),
          alert: entry.alert,
          receivers: [...new Set(receivers)].sort(),
          inhibited: inhibitor.mutes(entry.matchLabels, now),
          silenced: silenced(entry.matchLabels, now),
        })
      }
      return { alerts: heldAlerts, groups: heldGroups }
    },
  }
}
