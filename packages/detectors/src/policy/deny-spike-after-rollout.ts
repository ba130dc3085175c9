import type { AnyEvent, DecisionEvent, PolicyChangeEvent, Severity } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { calleeOf, callerOf, requestPair, resourceShape } from './request-pair.ts'

/** What the detector knows of one (caller, callee, action, resource shape) pair. */
interface PairStats {
  /** Last allow, epoch ms (0: never). */
  a: number
  /** Last seen, epoch ms: least recently seen pairs are forgotten first. */
  s: number
  /** Rollout epoch the counters below belong to. */
  e: number
  /** Allows and denies since the epoch's rollout, at its revision. */
  na: number
  nd: number
  /** Allows and denies before it (older epochs halved, so that the recent past weighs most). */
  ba: number
  bd: number
  /** Last allow before the epoch's rollout, epoch ms (0: never). */
  pa: number
  /** Epoch in which the pair was found newly denied (0: never). */
  q: number
  /** First and last deny since the rollout, epoch ms; last enforcement point; newest deny ids. */
  fd?: number
  ld?: number
  ep?: string
  ids?: string[]
}

/** A pair found newly denied, as the records name it. */
interface NewlyDenied {
  key: string
  label: string
  src?: string
  dst: string
  action?: string
  resource: string
}

/** One rollout being watched. */
interface Episode {
  /** Epoch number: pairs' counters are rolled over lazily when they see a newer one. */
  epoch: number
  /** Event time of the rollout (earliest sign of it), epoch ms. */
  at: number
  policy?: string
  from?: string
  to: string
  /** Enforcement points where the new revision was seen or applied (capped). */
  eps: string[]
  /** Ids of the events that showed the rollout (capped). */
  rolloutIds: string[]
  /** How the rollout was seen: `policy_change` and/or `decisions`. */
  seenVia: string[]
  pairs: NewlyDenied[]
  pairCount: number
  /** Denies on newly denied pairs since the rollout. */
  denies: number
  /** Enforcement point → denies on newly denied pairs. */
  denyEps: Record<string, number>
  /** Newest ids of those denies. */
  ids: string[]
  /** When the first pair was found newly denied, epoch ms (0: none yet). */
  firstQualified: number
  reported: 'none' | 'ticket' | 'page'
}

/** What the detector remembers per tenant (its key). */
export interface DenySpikeState {
  pairs: Record<string, PairStats>
  pairCount: number
  epoch: number
  /** `<enforcement point>|<policy>` → its last revision and when, epoch ms. */
  revisions: Record<string, { r: string; t: number }>
  revisionCount: number
  /** Revision → first seen, epoch ms: only a revision never seen before is a rollout seen in decisions. */
  known: Record<string, number>
  knownCount: number
  episode?: Episode
}

const maxRevisionKeys = 4096
const maxKnownRevisions = 64
const maxListedPairs = 50
const maxEpisodeNames = 20
/** A pair seen again after this long moves to the young end of the least-recently-seen order. */
const refreshAfterMs = 10 * 60 * 1000

const params = z.strictObject({
  /** How long after a rollout new denies are put down to it. */
  watch_period: duration.default(2 * 60 * 60 * 1000),
  /** How far back before the rollout a pair must have been allowed to count as "allowed before". */
  baseline: duration.default(24 * 60 * 60 * 1000),
  /** Denies since the rollout before a pair counts as newly denied. */
  min_pair_denies: z.number().int().min(1).default(5),
  /** Share of the pair's decisions since the rollout that must be denies. */
  min_pair_deny_ratio: z.number().min(0).max(1).default(0.5),
  /** The pair's deny share before the rollout must not exceed this (a pair denied as often before is no regression). */
  max_baseline_deny_ratio: z.number().min(0).max(1).default(0.2),
  /** Newly denied pairs that make it a service-impacting regression (page). */
  page_pairs: z.number().int().min(1).default(3),
  /** Denies on newly denied pairs since the rollout that make it a service-impacting regression (page). */
  page_denies: z.number().int().min(1).default(100),
  /**
   * One busy call path broken is service-impacting too: a newly denied pair pages at this many
   * denies since the rollout when at least `page_pair_deny_ratio` of its decisions since are denies
   * and it was allowed at least `page_pair_min_allows` times before. 0 (the default) turns it off.
   */
  page_pair_denies: z.number().int().min(0).default(0),
  page_pair_deny_ratio: z.number().min(0).max(1).default(0.9),
  page_pair_min_allows: z.number().min(1).default(50),
  /** Below the page thresholds, how long to keep counting before the ticket is written. */
  settle: duration.default(10 * 60 * 1000),
  /** Pairs remembered per tenant; the least recently seen go first. */
  max_pairs: z.number().int().min(100).default(20_000),
})
type Params = z.output<typeof params>

function isDecision(event: AnyEvent): event is DecisionEvent {
  return 'decision' in event
}

function pushCapped<T>(list: T[], item: T, cap: number): void {
  list.push(item)
  if (list.length > cap) list.shift()
}

function addName(list: string[], name: string | undefined): void {
  if (name !== undefined && !list.includes(name) && list.length < maxEpisodeNames) list.push(name)
}

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

/** Bring a pair's counters to the current epoch: what happened since its last epoch becomes its past. */
function roll(pair: PairStats, epoch: number): void {
  if (pair.e === epoch) return
  pair.ba = pair.ba / 2 + pair.na
  pair.bd = pair.bd / 2 + pair.nd
  pair.pa = pair.a
  pair.na = 0
  pair.nd = 0
  pair.q = 0
  delete pair.fd
  delete pair.ld
  delete pair.ep
  delete pair.ids
  pair.e = epoch
}

/** Forget the least recently seen tenth of the pairs (amortised O(1) per new pair). */
function evict(state: DenySpikeState, maxPairs: number, keep: ReadonlySet<string>): void {
  let drop = Math.ceil(maxPairs / 10)
  for (const key in state.pairs) {
    if (drop <= 0) break
    if (keep.has(key)) continue
    delete state.pairs[key]
    state.pairCount--
    drop--
  }
}

function trimRevisions(state: DenySpikeState, before: number): void {
  for (const [key, entry] of Object.entries(state.revisions)) {
    if (entry.t < before) {
      delete state.revisions[key]
      state.revisionCount--
    }
  }
  if (state.revisionCount >= maxRevisionKeys) {
    const keys = Object.keys(state.revisions).slice(0, maxRevisionKeys / 2)
    for (const key of keys) delete state.revisions[key]
    state.revisionCount -= keys.length
  }
}

/** The revision first seen most recently: what a new enforcement point's first revision replaced. */
function latestKnown(state: DenySpikeState): string | undefined {
  let latest: string | undefined
  let at = Number.NEGATIVE_INFINITY
  for (const [revision, seen] of Object.entries(state.known)) {
    if (seen > at) {
      at = seen
      latest = revision
    }
  }
  return latest
}

function remember(state: DenySpikeState, revision: string, ts: number): void {
  const seen = state.known[revision]
  if (seen !== undefined) {
    if (ts < seen) state.known[revision] = ts
    return
  }
  if (state.knownCount >= maxKnownRevisions) {
    const oldest = Object.entries(state.known)
      .sort((a, b) => a[1] - b[1])
      .slice(0, maxKnownRevisions / 2)
    for (const [name] of oldest) delete state.known[name]
    state.knownCount -= oldest.length
  }
  state.known[revision] = ts
  state.knownCount++
}

/** What a rollout looked like when it was seen. */
interface RolloutSign {
  ts: number
  to: string
  from?: string | undefined
  policy?: string | undefined
  ep?: string | undefined
  id: string
  via: 'policy_change' | 'decisions'
  /** A declared change (policy_change) always starts a watch; a revision seen in decisions only when new. */
  explicit: boolean
}

function report(
  context: RuleContext<Params>,
  state: DenySpikeState,
  episode: Episode,
  ts: number,
  tenant: string,
  severity: Severity,
): DetectedFinding {
  const p = context.params
  const listed = episode.pairs
    .map((pair) => ({ pair, stats: state.pairs[pair.key] }))
    .sort((a, b) => (b.stats?.nd ?? 0) - (a.stats?.nd ?? 0))
  const shown = listed.slice(0, 5)
  const described = shown
    .map(({ pair, stats }) => `${pair.label} denied ${stats?.nd ?? '?'}× (allowed ${stats?.na ?? 0}× since)`)
    .join('; ')
  const more = episode.pairCount > shown.length ? `; and ${episode.pairCount - shown.length} more` : ''
  const denyEps = Object.entries(episode.denyEps).sort((a, b) => b[1] - a[1])
  const epText =
    denyEps.length > 0
      ? denyEps.map(([name, n]) => `${name} (${n})`).join(', ')
      : 'no enforcement point named'
  const firstDeny = Math.min(...listed.map(({ stats }) => stats?.fd ?? ts))
  const lastDeny = Math.max(...listed.map(({ stats }) => stats?.ld ?? ts))
  const policy = episode.policy ?? 'the policy'
  const from = episode.from ?? 'the previous revision'
  const page = severity === 'page'
  const top = shown[0]?.pair
  const pageAt =
    `≥ ${p.page_pairs} newly denied pairs or ≥ ${p.page_denies} denies` +
    (p.page_pair_denies > 0
      ? `, or one pair allowed ≥ ${p.page_pair_min_allows}× before denied ≥ ${p.page_pair_denies}× at ≥ ${Math.round(p.page_pair_deny_ratio * 100)}% of its decisions`
      : '')
  const verdict = page
    ? `that is a service-impacting regression (page at ${pageAt}): roll back to ${from} or stage ${episode.to} in dry-run.`
    : `below the page threshold (${pageAt}): check whether these denies are intended before they become false denies.`
  return buildFinding(context, {
    tenant,
    ts,
    identity: { to: episode.to, at: episode.at, level: severity },
    severity,
    title: `Denies after rollout of ${policy} ${episode.to}`,
    summary:
      `After ${policy} moved from ${from} to ${episode.to} (seen at ${iso(episode.at)} via ${episode.seenVia.join(' and ')}` +
      `${episode.eps.length > 0 ? ` at ${episode.eps.join(', ')}` : ''}), ${episode.pairCount} caller→callee ` +
      `${episode.pairCount === 1 ? 'pair' : 'pairs'} allowed in the ${formatSpan(p.baseline)} before ${episode.pairCount === 1 ? 'is' : 'are'} now denied: ` +
      `${described}${more}. ${episode.denies} denies on them in ${formatSpan(Math.max(lastDeny - firstDeny, 1000))} ` +
      `(enforcement points: ${epText}); ${verdict}`,
    entities: {
      ...(episode.policy ? { policy_id: episode.policy } : {}),
      revision: episode.to,
      previous_revision: episode.from ?? 'unknown',
      // Lets a rule keep the ticket and a later escalation to a page apart in its group_by.
      impact: page ? 'service-impacting' : 'limited',
      ...(denyEps[0] ? { enforcement_point: denyEps[0][0] } : {}),
      ...(top?.src ? { src_identity: top.src } : {}),
      ...(top ? { dst_identity: top.dst, resource: top.resource } : {}),
      ...(top?.action ? { action: top.action } : {}),
    },
    evidence: {
      event_ids: evidenceIds(episode.ids),
      rollout_event_ids: episode.rolloutIds,
      rollout_at: episode.at,
      revision_before: episode.from ?? null,
      revision_after: episode.to,
      newly_denied_pairs: episode.pairCount,
      denies: episode.denies,
      pairs: listed.slice(0, 20).map(({ pair, stats }) => ({
        pair: pair.label,
        denies: stats?.nd ?? null,
        allows_since: stats?.na ?? null,
        allows_before: stats ? Math.round(stats.ba) : null,
        last_allowed_before: stats?.pa ?? null,
        first_deny: stats?.fd ?? null,
        last_deny: stats?.ld ?? null,
      })),
      enforcement_points: episode.denyEps,
      first_deny: firstDeny,
      last_deny: lastDeny,
      baseline_ms: p.baseline,
      page_pairs: p.page_pairs,
      page_denies: p.page_denies,
      page_pair_denies: p.page_pair_denies,
    },
  })
}

/**
 * `deny_spike_after_rollout`: after a policy rollout, a policy_change event or a revision never
 * seen before appearing in the decisions of an enforcement point, requests that were allowed
 * before are now denied. A (caller, callee, action, resource shape) pair is newly denied when it
 * was allowed within `baseline` before the rollout with few denies (≤ `max_baseline_deny_ratio`),
 * and since the rollout, at the new revision, it was denied at least `min_pair_denies` times,
 * making up at least `min_pair_deny_ratio` of its decisions. Pairs that were never allowed, and
 * the odd background deny, are no regression; a rollout that changes no deny says nothing.
 * Severity is raised to `page` as soon as the regression is service-impacting (≥ `page_pairs`
 * pairs or ≥ `page_denies` denies on them since the rollout, or with `page_pair_denies` one busy
 * pair failing nearly always); otherwise a finding at the rule's
 * severity once `settle` has passed since the first newly denied pair (and a page later, should
 * it grow). Dry-run decisions and PDP errors are left out. Re-keyed by tenant; at most
 * `max_pairs` pairs are remembered, least recently seen forgotten first.
 */
export const denySpikeAfterRolloutType = defineDetectorType({
  name: 'deny_spike_after_rollout',
  description: 'Requests allowed before a policy rollout now denied after it (false denies from a rollout)',
  params,
  create(context): Detector<DenySpikeState> {
    const p = context.params

    function startOrJoin(state: DenySpikeState, sign: RolloutSign, tenant: string): DetectedFinding[] {
      const findings: DetectedFinding[] = []
      let episode = state.episode
      if (episode && episode.to === sign.to) {
        if (sign.ts < episode.at) episode.at = sign.ts
        episode.from ??= sign.from
        episode.policy ??= sign.policy
      } else {
        // A revision seen before (an enforcement point catching up, flapping or stuck) starts nothing.
        if (!sign.explicit && sign.to in state.known) return findings
        // A rollout replacing one being watched: what the last one did is reported now.
        if (episode && episode.pairCount > 0 && episode.reported === 'none')
          findings.push(report(context, state, episode, sign.ts, tenant, severityOf(state, episode)))
        state.epoch++
        episode = {
          epoch: state.epoch,
          at: sign.ts,
          ...(sign.policy ? { policy: sign.policy } : {}),
          ...(sign.from ? { from: sign.from } : {}),
          to: sign.to,
          eps: [],
          rolloutIds: [],
          seenVia: [],
          pairs: [],
          pairCount: 0,
          denies: 0,
          denyEps: {},
          ids: [],
          firstQualified: 0,
          reported: 'none',
        }
        state.episode = episode
      }
      addName(episode.eps, sign.ep)
      addName(episode.seenVia, sign.via)
      if (episode.rolloutIds.length < 5) episode.rolloutIds.push(sign.id)
      return findings
    }

    /** A newly denied pair that was a busy call path and now fails nearly always (see `page_pair_denies`). */
    function brokenPath(state: DenySpikeState, episode: Episode): NewlyDenied | undefined {
      if (p.page_pair_denies === 0) return undefined
      return episode.pairs.find((pair) => {
        const stats = state.pairs[pair.key]
        return (
          stats !== undefined &&
          stats.e === episode.epoch &&
          stats.nd >= p.page_pair_denies &&
          stats.nd / (stats.na + stats.nd) >= p.page_pair_deny_ratio &&
          stats.ba >= p.page_pair_min_allows
        )
      })
    }

    function severityOf(state: DenySpikeState, episode: Episode): Severity {
      return episode.pairCount >= p.page_pairs ||
        episode.denies >= p.page_denies ||
        brokenPath(state, episode) !== undefined
        ? 'page'
        : context.severity
    }

    function decide(state: DenySpikeState, ts: number, tenant: string): DetectedFinding[] {
      const episode = state.episode
      if (!episode || episode.pairCount === 0 || episode.reported === 'page') return []
      const severity = severityOf(state, episode)
      if (severity === 'page' || (episode.reported === 'none' && ts - episode.firstQualified >= p.settle)) {
        episode.reported = severity === 'page' ? 'page' : 'ticket'
        return [report(context, state, episode, ts, tenant, severity)]
      }
      return []
    }

    function onDecision(state: DenySpikeState, decision: DecisionEvent): DetectedFinding[] {
      const findings: DetectedFinding[] = []
      const ts = decision.ts
      const revision = decision.policy_revision
      if (revision !== undefined) {
        const where = `${decision.enforcement_point ?? '-'}|${decision.policy_id ?? '-'}`
        const current = state.revisions[where]
        // A revision the tenant never reported is a rollout (the very first one is where we start);
        // a known one joins the rollout being watched when it is its revision.
        const fresh = !(revision in state.known) && state.knownCount > 0
        if (
          (current === undefined || (current.r !== revision && ts >= current.t)) &&
          (fresh || state.episode?.to === revision)
        ) {
          findings.push(
            ...startOrJoin(
              state,
              {
                ts,
                to: revision,
                from: current?.r ?? latestKnown(state),
                policy: decision.policy_id,
                ep: decision.enforcement_point,
                id: decision.event_id,
                via: 'decisions',
                explicit: false,
              },
              decision.tenant,
            ),
          )
        }
        if (current === undefined) {
          if (state.revisionCount >= maxRevisionKeys) trimRevisions(state, ts - p.baseline)
          state.revisions[where] = { r: revision, t: ts }
          state.revisionCount++
        } else if (current.r === revision) {
          if (ts > current.t) current.t = ts
        } else if (ts >= current.t) {
          current.r = revision
          current.t = ts
        }
        remember(state, revision, ts)
      }
      const { key, label } = requestPair(decision)
      let pair = state.pairs[key]
      if (pair === undefined) {
        const episode = state.episode
        if (state.pairCount >= p.max_pairs)
          evict(state, p.max_pairs, new Set(episode?.pairs.map((q) => q.key)))
        pair = { a: 0, s: ts, e: state.epoch, na: 0, nd: 0, ba: 0, bd: 0, pa: 0, q: 0 }
        state.pairs[key] = pair
        state.pairCount++
      } else if (ts - pair.s > refreshAfterMs) {
        // Move it to the young end of the insertion order, which eviction reads as least recently seen.
        delete state.pairs[key]
        state.pairs[key] = pair
      }
      if (ts > pair.s) pair.s = ts
      roll(pair, state.epoch)
      const episode = state.episode
      const allow = decision.decision === 'allow'
      // A decision at the new revision is after the rollout whatever its time (the rollout began
      // earlier than first seen); one without a revision, by time.
      if (episode && revision === episode.to && ts < episode.at) episode.at = ts
      const after =
        episode !== undefined && (revision === undefined ? ts >= episode.at : revision === episode.to)
      if (allow && ts > pair.a) pair.a = ts
      if (episode === undefined) {
        // No rollout seen yet: everything so far is the pair's present, its past once one comes.
        if (allow) pair.na++
        else pair.nd++
        return findings
      }
      if (!after) {
        // Before the rollout, or decided at another revision (an enforcement point not rolled yet).
        if (allow) {
          pair.ba++
          if (ts < episode.at && ts > pair.pa) pair.pa = ts
        } else pair.bd++
        return findings
      }
      if (allow) {
        pair.na++
        return findings
      }
      pair.nd++
      if (pair.fd === undefined || ts < pair.fd) pair.fd = ts
      if (pair.ld === undefined || ts > pair.ld) pair.ld = ts
      if (decision.enforcement_point) pair.ep = decision.enforcement_point
      pair.ids ??= []
      pushCapped(pair.ids, decision.event_id, 3)
      if (ts > episode.at + p.watch_period) return findings
      if (pair.q === episode.epoch) {
        episode.denies++
        const ep = decision.enforcement_point ?? '-'
        if (ep in episode.denyEps || Object.keys(episode.denyEps).length < maxEpisodeNames)
          episode.denyEps[ep] = (episode.denyEps[ep] ?? 0) + 1
        pushCapped(episode.ids, decision.event_id, 20)
      } else if (
        pair.pa > 0 &&
        pair.pa >= episode.at - p.baseline &&
        pair.ba > 0 &&
        pair.bd / (pair.ba + pair.bd) <= p.max_baseline_deny_ratio &&
        pair.nd >= p.min_pair_denies &&
        pair.nd / (pair.na + pair.nd) >= p.min_pair_deny_ratio
      ) {
        pair.q = episode.epoch
        episode.pairCount++
        episode.denies += pair.nd
        if (episode.firstQualified === 0) episode.firstQualified = ts
        const ep = pair.ep ?? '-'
        if (ep in episode.denyEps || Object.keys(episode.denyEps).length < maxEpisodeNames)
          episode.denyEps[ep] = (episode.denyEps[ep] ?? 0) + pair.nd
        for (const id of pair.ids) pushCapped(episode.ids, id, 20)
        if (episode.pairs.length < maxListedPairs) {
          const caller = callerOf(decision)
          episode.pairs.push({
            key,
            label,
            ...(caller ? { src: caller } : {}),
            dst: calleeOf(decision),
            ...(decision.action ? { action: decision.action } : {}),
            resource: resourceShape(decision.resource),
          })
        }
      }
      return findings
    }

    return {
      id: context.id,
      kinds: ['decision', 'policy_change'],
      accepts: (event) =>
        isDecision(event)
          ? !event.dry_run && event.decision !== 'error'
          : (event as PolicyChangeEvent).status === 'applied' && !(event as PolicyChangeEvent).dry_run,
      partitioning: 'rekeyed',
      keyOf: (event) => event.tenant,
      initialState: () => ({
        pairs: {},
        pairCount: 0,
        epoch: 0,
        revisions: {},
        revisionCount: 0,
        known: {},
        knownCount: 0,
      }),
      step(state, event): DetectedFinding[] {
        let findings: DetectedFinding[]
        if (isDecision(event)) findings = onDecision(state, event)
        else {
          const change = event as PolicyChangeEvent
          findings = startOrJoin(
            state,
            {
              ts: change.ts,
              to: change.revision,
              from: change.previous_revision,
              policy: change.policy_id,
              ep: change.enforcement_point,
              id: change.event_id,
              via: 'policy_change',
              explicit: true,
            },
            event.tenant,
          )
          remember(state, change.revision, change.ts)
        }
        return [...findings, ...decide(state, event.ts, event.tenant)]
      },
    }
  },
})
