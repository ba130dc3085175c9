import {
  type AnyEvent,
  type DecisionEvent,
  type FlowEvent,
  partitionKey,
  type Severity,
} from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import {
  decisionDestinationOf,
  destinationOf,
  type Endpoint,
  formatTarget,
  formatTime,
  isReply,
  pivotEntities,
  serverPortOf,
  sourceOf,
} from './endpoint.ts'

const params = z.strictObject({
  /** Distinct destinations first reached (new, after learning) or failed that make the recon stage (default 6). */
  recon_min_destinations: z.number().int().min(2).default(6),
  /** The recon stage's destinations fall within this span (default 5m). */
  recon_window: duration.default(5 * 60_000),
  /** Denied attempts (flow denied/dropped, decision deny) against a sensitive service after recon began (default 4). */
  min_denied: z.number().int().min(1).default(4),
  /** From the first recon destination to the success, at most (default 1h). */
  chain_window: duration.default(60 * 60_000),
  /** The success must reach the service the denied attempts targeted (default true). */
  same_service: z.boolean().default(true),
  /** Per source, from its first event: destinations reached meanwhile are its usual ones, not "new" (default 1h). */
  learning_period: duration.default(60 * 60_000),
  /** Most destinations remembered as usual per source (default 2,000); past it, no destination counts as new. */
  max_known: z.number().int().min(1).max(100_000).default(2000),
  /**
   * Severity of the recon stage alone when it is aimed at sensitive services (`off`, the default:
   * only the whole chain fires): `recon_min_destinations` within `recon_window`, at least
   * `recon_min_refused` of them refused and `recon_min_sensitive` distinct sensitive services among them.
   */
  recon_severity: z.enum(['off', 'info', 'ticket', 'page']).default('off'),
  /** Refused destinations (flow denied/dropped, decision deny) the recon stage alone needs (default 3). */
  recon_min_refused: z.number().int().min(1).default(3),
  /** Distinct sensitive services (declared intent) among them the recon stage alone needs (default 2). */
  recon_min_sensitive: z.number().int().min(1).default(2),
})

type Params = z.output<typeof params>

/**
 * A recon destination: first contact, event id, name as recorded, 1 when it failed (0: new but
 * allowed), 1 when it is a sensitive service (absent in state checkpointed before: not sensitive).
 */
type ReconHit = [ts: number, eventId: string, name: string, failed: number, sensitive?: number]
/** An attempt at a sensitive service: time, destination key, name as recorded, port (-1: none), event id. */
type Attempt = [ts: number, key: string, name: string, port: number, eventId: string]

const maxRecon = 256
/** A refused destination reached within this long after is a retried handshake, not a refusal. */
const retriedWithinMs = 10_000
const maxDenied = 64
const maxReached = 16

/** What `post_compromise_chain` remembers per source workload. */
export interface PostCompromiseChainState {
  /** Event time of the source's first event, ms (-1: none yet). */
  learningSince: number
  watermark: number
  prunedAt: number
  /** Usual destinations (canonical) → first seen, from allowed flows and decisions. */
  known: Record<string, number>
  knownCount: number
  /** Destinations that were new or failed, within the chain window, by key. */
  recon: Record<string, ReconHit>
  reconCount: number
  /** Denied attempts against sensitive services within the chain window, oldest first (at most 64). */
  denied: Attempt[]
  /** Successes reaching sensitive services within the chain window, oldest first (at most 16, bursts thinned). */
  reached: Attempt[]
  /** Event time of the first recon reported alone (it is reported once per chain window). */
  reconReportedAt?: number
}

interface Chain {
  recon: ReconHit[]
  denied: Attempt[]
  success: Attempt
}

function isDecision(event: AnyEvent): event is DecisionEvent {
  return 'decision' in event
}

/** Insert keeping time order (lists are short; events arrive nearly in order, so this is near O(1)). */
function insertByTime(list: Attempt[], attempt: Attempt, limit: number): void {
  let at = list.length
  while (at > 0 && list[at - 1]![0] > attempt[0]) at--
  list.splice(at, 0, attempt)
  if (list.length > limit) list.shift()
}

/**
 * Post-compromise chain: one source workload, within `chain_window`, (1) reconnoitres: at least
 * `recon_min_destinations` distinct destinations it never used (after its learning period) or that
 * refused it, within `recon_window`; (2) then is denied at least `min_denied` times by a sensitive
 * service (flows denied or dropped, enforced decisions denying); (3) then succeeds in reaching a
 * sensitive service (the same one, with `same_service`). Reads flows and decisions, both keyed by
 * their partition key (the source workload). Events may arrive out of order: the stages are ordered
 * by event time, and the chain is checked whenever a piece of it arrives. Fires once per chain: its
 * stages are then forgotten. With `recon_severity`, the recon stage alone is reported (once per
 * chain window, entity `stage: recon`; the chain's is `stage: chain`) when it is aimed at sensitive
 * services: enough of its destinations refused and enough of them declared sensitive.
 */
export function postCompromiseChainDetector(
  context: RuleContext<Params>,
): Detector<PostCompromiseChainState> {
  const { intent } = context
  const p = context.params
  const pruneEvery = Math.max(1000, Math.floor(p.chain_window / 12))

  function prune(state: PostCompromiseChainState): void {
    const cutoff = state.watermark - p.chain_window
    for (const key in state.recon) {
      if (state.recon[key]![0] <= cutoff) {
        delete state.recon[key]
        state.reconCount--
      }
    }
    while (state.denied.length > 0 && state.denied[0]![0] <= cutoff) state.denied.shift()
    while (state.reached.length > 0 && state.reached[0]![0] <= cutoff) state.reached.shift()
    state.prunedAt = state.watermark
  }

  /** Remember a recon destination (its earliest contact); whether that changed anything. */
  function noteRecon(
    state: PostCompromiseChainState,
    dst: Endpoint,
    ts: number,
    id: string,
    failed: boolean,
  ): boolean {
    const sensitive = dst.workload !== undefined && intent.isSensitive(dst.workload) ? 1 : 0
    const hit = state.recon[dst.key]
    if (hit !== undefined) {
      if (ts >= hit[0]) return false
      state.recon[dst.key] = [ts, id, dst.name, failed ? 1 : 0, sensitive]
      return true
    }
    if (state.reconCount >= maxRecon) return false
    state.recon[dst.key] = [ts, id, dst.name, failed ? 1 : 0, sensitive]
    state.reconCount++
    return true
  }

  /**
   * The earliest recon aimed at sensitive services: `recon_min_destinations` or more hits within
   * `recon_window`, enough of them refused and enough distinct sensitive services among them.
   */
  function findRecon(state: PostCompromiseChainState): ReconHit[] | undefined {
    // Peers the source already used before are no reconnaissance, even refused: a usual peer
    // refusing once is a transient (an expired mutual-authentication entry, a restarting pod).
    const hits = Object.entries(state.recon)
      .filter(([key, hit]) => {
        const usedSince = state.known[key]
        return usedSince === undefined || usedSince >= hit[0]
      })
      .map(([, hit]) => hit)
      .sort((a, b) => a[0] - b[0])
    for (let i = 0; i + p.recon_min_destinations <= hits.length; i++) {
      let end = i
      while (end + 1 < hits.length && hits[end + 1]![0] - hits[i]![0] <= p.recon_window) end++
      const span = hits.slice(i, end + 1)
      if (span.length < p.recon_min_destinations) continue
      const refused = span.filter((hit) => hit[3] === 1).length
      const sensitive = new Set(span.filter((hit) => hit[4] === 1).map((hit) => hit[2])).size
      if (refused >= p.recon_min_refused && sensitive >= p.recon_min_sensitive) return span
    }
    return undefined
  }

  /** The earliest complete chain in state, if any. */
  function findChain(state: PostCompromiseChainState): Chain | undefined {
    const hits = Object.values(state.recon).sort((a, b) => a[0] - b[0])
    const n = p.recon_min_destinations
    for (let i = 0; i + n <= hits.length; i++) {
      const start = hits[i]![0]
      if (hits[i + n - 1]![0] - start > p.recon_window) continue
      const deniedAfter = new Map<string, Attempt[]>()
      for (const attempt of state.denied) {
        if (attempt[0] < start) continue
        const key = p.same_service ? attempt[1] : '*'
        const list = deniedAfter.get(key) ?? []
        list.push(attempt)
        deniedAfter.set(key, list)
        if (list.length < p.min_denied) continue
        const denied = list.slice(0, p.min_denied)
        const lastDenied = denied[denied.length - 1]![0]
        const success = state.reached.find(
          (s) =>
            s[0] > lastDenied && s[0] - start <= p.chain_window && (!p.same_service || s[1] === attempt[1]),
        )
        if (success) {
          // Report every denial of the service between recon and the success, not just enough of them.
          const all = state.denied.filter(
            (a) => a[0] >= start && a[0] < success[0] && (!p.same_service || a[1] === attempt[1]),
          )
          return { recon: hits.slice(i, i + n), denied: all, success }
        }
      }
    }
    return undefined
  }

  return {
    id: context.id,
    kinds: ['flow', 'decision'],
    accepts: (event) =>
      isDecision(event) ? !event.dry_run && event.decision !== 'error' : !isReply(event as FlowEvent),
    partitioning: 'event',
    keyOf: (event) =>
      isDecision(event) ? partitionKey('decision', event) : partitionKey('flow', event as FlowEvent),
    initialState: () => ({
      learningSince: -1,
      watermark: -1,
      prunedAt: -1,
      known: {},
      knownCount: 0,
      recon: {},
      reconCount: 0,
      denied: [],
      reached: [],
    }),
    step(state, event: AnyEvent): DetectedFinding[] {
      let src: Endpoint | undefined
      let dst: Endpoint | undefined
      let allowed: boolean
      let deniedAttempt: boolean
      let port = -1
      if (isDecision(event)) {
        if (event.dry_run || event.decision === 'error') return []
        src = sourceOf(event)
        dst = decisionDestinationOf(event)
        allowed = event.decision === 'allow'
        deniedAttempt = event.decision === 'deny'
      } else {
        const flow = event as FlowEvent
        if (isReply(flow)) return []
        src = sourceOf(flow)
        dst = destinationOf(flow)
        allowed = flow.verdict === 'allowed'
        deniedAttempt = flow.verdict === 'denied' || flow.verdict === 'dropped'
        port = serverPortOf(flow)
      }
      if (!src || !dst || dst.external) return []
      if (src.workload && intent.isMonitoring(src.workload)) return []
      if (!allowed && intent.isKnownDrop(src.workload, dst.workload, port < 0 ? undefined : port)) return []

      const ts = event.ts
      if (state.learningSince < 0 || ts < state.learningSince) state.learningSince = ts
      if (ts > state.watermark) state.watermark = ts
      if (ts <= state.watermark - p.chain_window) return []
      if (state.watermark - state.prunedAt >= pruneEvery) prune(state)

      // Stage 1, recon: a destination that refused, or one never used (once the usual ones are learned).
      let reconAdded = false
      if (allowed) {
        const seen = state.known[dst.key]
        if (seen === undefined) {
          if (state.knownCount < p.max_known) {
            if (ts - state.learningSince >= p.learning_period)
              reconAdded = noteRecon(state, dst, ts, event.event_id, false)
            state.known[dst.key] = ts
            state.knownCount++
          }
        } else if (ts < seen) state.known[dst.key] = ts
        // A refusal the client got past seconds later (the retransmission after Cilium's mutual
        // authentication dropped the first SYN AUTH_REQUIRED) was a handshake, not a closed door.
        const hit = state.recon[dst.key]
        if (hit !== undefined && hit[3] === 1 && ts >= hit[0] && ts - hit[0] <= retriedWithinMs) hit[3] = 0
      } else reconAdded = noteRecon(state, dst, ts, event.event_id, true)

      // Stages 2 and 3: denied by, then reaching, a sensitive service. The chain is looked for only
      // when the new piece can complete one: a success that is the first after the service's
      // denials, or (events out of order) a denial or recon older than a success already seen.
      const key = dst.key
      const sameService = (attempt: Attempt) => !p.same_service || attempt[1] === key
      let evaluate = reconAdded && state.reached.some((s) => s[0] > ts)
      const sensitive = dst.workload !== undefined && intent.isSensitive(dst.workload)
      if (sensitive && deniedAttempt) {
        // Envoy reports one denied request as a flow and a decision: count it once.
        if (!state.denied.some((a) => a[0] === ts && a[1] === key)) {
          insertByTime(state.denied, [ts, key, dst.name, port, event.event_id], maxDenied)
          evaluate ||= state.reached.some((s) => s[0] > ts && sameService(s))
        }
      } else if (sensitive && allowed) {
        let deniedBefore = 0
        let lastDenied = -1
        for (const a of state.denied) {
          if (a[0] >= ts || !sameService(a)) continue
          deniedBefore++
          lastDenied = Math.max(lastDenied, a[0])
        }
        // A busy client reports a success per request: one per 10 s after the last denial is enough.
        const near = state.reached.some(
          (a) => a[1] === key && a[0] > lastDenied && Math.abs(a[0] - ts) < 10_000,
        )
        if (!near) {
          const firstAfterDenials = !state.reached.some((a) => a[1] === key && a[0] > lastDenied && a[0] < ts)
          insertByTime(state.reached, [ts, key, dst.name, port, event.event_id], maxReached)
          evaluate ||= firstAfterDenials && deniedBefore >= p.min_denied
        }
      }
      const findings: DetectedFinding[] = []
      if (
        reconAdded &&
        p.recon_severity !== 'off' &&
        state.reconCount >= p.recon_min_destinations &&
        (state.reconReportedAt === undefined || Math.abs(ts - state.reconReportedAt) >= p.chain_window)
      ) {
        const recon = findRecon(state)
        if (recon) {
          state.reconReportedAt = recon[recon.length - 1]![0]
          findings.push(reconFinding(event, src, recon))
        }
      }
      if (!evaluate) return findings
      if (state.reconCount < p.recon_min_destinations || state.denied.length < p.min_denied) return findings
      const chain = findChain(state)
      if (!chain) return findings
      // Fire once per chain: its stages are spent.
      state.recon = {}
      state.reconCount = 0
      state.denied = []
      state.reached = []
      findings.push(finding(event, src, chain))
      return findings
    },
  }

  function reconFinding(event: AnyEvent, src: Endpoint, recon: ReconHit[]): DetectedFinding {
    const first = recon[0]![0]
    const last = recon[recon.length - 1]![0]
    const refused = recon.filter((hit) => hit[3] === 1)
    const sensitive = [...new Set(recon.filter((hit) => hit[4] === 1).map((hit) => hit[2]))]
    return buildFinding(context, {
      tenant: event.tenant,
      ts: event.ts,
      identity: { source: src.key, since: first, stage: 'recon' },
      severity: p.recon_severity as Severity,
      title: `Reconnaissance from ${src.name} toward sensitive services`,
      summary:
        `${src.name} tried ${recon.length} destinations it never used or that refused it in ` +
        `${formatSpan(last - first)} (${formatTime(first)} to ${formatTime(last)}), ${refused.length} of them ` +
        `refused by policy and ${sensitive.length} declared sensitive (${sensitive.join(', ')}); e.g. ` +
        `${recon
          .slice(0, 6)
          .map((hit) => hit[2])
          .join(', ')}. Thresholds: ${p.recon_min_destinations} destinations within ` +
        `${formatSpan(p.recon_window)}, ${p.recon_min_refused} refused, ${p.recon_min_sensitive} sensitive services. ` +
        `A workload whose usual peers are learned does not suddenly probe the services holding the data: ` +
        `this is how an intruder in ${src.name} maps its way from a foothold (T1046). Isolate or watch ` +
        `${src.name}; a denial then a success at a sensitive service pages again as the whole chain.`,
      entities: {
        src_identity: src.name,
        src_workload: src.key,
        ...pivotEntities('src', src),
        stage: 'recon',
      },
      evidence: {
        event_ids: evidenceIds(
          recon.map((hit) => hit[1]),
          40,
        ),
        first_ts: first,
        last_ts: last,
        recon_destinations: recon.length,
        refused_destinations: refused.length,
        sensitive_destinations: sensitive,
        destinations: recon.map((hit) => hit[2]),
        threshold_recon_destinations: p.recon_min_destinations,
        threshold_refused: p.recon_min_refused,
        threshold_sensitive: p.recon_min_sensitive,
        recon_window_ms: p.recon_window,
      },
    })
  }

  function finding(event: AnyEvent, src: Endpoint, chain: Chain): DetectedFinding {
    const { recon, denied, success } = chain
    const reconStart = recon[0]![0]
    const reconEnd = recon[recon.length - 1]![0]
    const failed = recon.filter((hit) => hit[3] === 1).length
    const deniedTargets = [...new Set(denied.map((a) => a[2]))].join(', ')
    const reachedTarget = success[3] >= 0 ? formatTarget(success[2], success[3]) : success[2]
    const stages = [
      {
        stage: 'recon',
        first_ts: reconStart,
        last_ts: reconEnd,
        count: recon.length,
        failed,
        destinations: recon.map((hit) => hit[2]),
        event_ids: recon.map((hit) => hit[1]),
      },
      {
        stage: 'denied',
        first_ts: denied[0]![0],
        last_ts: denied[denied.length - 1]![0],
        count: denied.length,
        destinations: [...new Set(denied.map((a) => a[2]))],
        event_ids: denied.map((a) => a[4]),
      },
      { stage: 'success', ts: success[0], destination: reachedTarget, event_ids: [success[4]] },
    ]
    return buildFinding(context, {
      tenant: event.tenant,
      ts: event.ts,
      identity: { source: src.key, since: reconStart, success: success[4] },
      title: `Post-compromise chain from ${src.name}: recon, denied, then reached ${success[2]}`,
      summary:
        `${src.name} went from reconnaissance to a sensitive service in ${formatSpan(success[0] - reconStart)}: ` +
        `(1) recon: ${recon.length} new or failed destinations (${failed} failed) between ${formatTime(reconStart)} ` +
        `and ${formatTime(reconEnd)}, e.g. ${recon
          .slice(0, 5)
          .map((hit) => hit[2])
          .join(', ')}; (2) ${denied.length} denied attempts against ${deniedTargets} between ` +
        `${formatTime(denied[0]![0])} and ${formatTime(denied[denied.length - 1]![0])}; (3) then reached ` +
        `${reachedTarget} at ${formatTime(success[0])}. Thresholds: ${p.recon_min_destinations} destinations within ` +
        `${formatSpan(p.recon_window)}, ${p.min_denied} denials, all within ${formatSpan(p.chain_window)}. Mapping ` +
        `the network, being refused by a sensitive service and then getting in is how an intruder in ` +
        `${src.name} would reach its data: treat ${src.name} as compromised.`,
      entities: {
        src_identity: src.name,
        src_workload: src.key,
        ...pivotEntities('src', src),
        dst_identity: success[2],
        ...(success[3] >= 0 ? { dst_port: String(success[3]) } : {}),
        stage: 'chain',
      },
      evidence: {
        event_ids: evidenceIds([...recon.map((hit) => hit[1]), ...denied.map((a) => a[4]), success[4]], 40),
        stages,
        first_ts: reconStart,
        last_ts: success[0],
        recon_destinations: recon.length,
        denied_attempts: denied.length,
        threshold_recon_destinations: p.recon_min_destinations,
        threshold_denied: p.min_denied,
        recon_window_ms: p.recon_window,
        chain_window_ms: p.chain_window,
      },
    })
  }
}

/** `post_compromise_chain`: recon, then denials by a sensitive service, then reaching one, from one workload. */
export const postCompromiseChainType = defineDetectorType({
  name: 'post_compromise_chain',
  description:
    'One workload within an hour: recon of many new or failed destinations, repeated denials by a sensitive service, then a success there',
  params,
  create: (context) => postCompromiseChainDetector(context),
})
