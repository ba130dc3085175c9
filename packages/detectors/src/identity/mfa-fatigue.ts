import { type AnyEvent, type AuthEvent, partitionKey, type Severity } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { asAuth, iso, isPush, sampleText } from './auth-signals.ts'
import {
  addEntry,
  clearWindow,
  type KeyedWindow,
  liveEntries,
  newWindow,
  pruneBefore,
  recentIds,
  sampleKeys,
  timeSpan,
  windowSize,
} from './keyed-window.ts'

const params = z.strictObject({
  /** Window the rejected pushes are counted in (before the accepted one). */
  window: duration.default(15 * 60_000),
  /** Rejected or failed pushes within the window. */
  min_rejections: z.number().int().min(2).default(5),
  /**
   * Severity of the rejections alone (no push accepted yet), or `off`: `page` answers push bombing
   * while it happens (whoever sends the pushes has the password), the acceptance pages again.
   */
  rejections_only: z.enum(['off', 'info', 'ticket', 'page']).default('ticket'),
  /**
   * Rejections that suffice when the sign-ins asking for them come from a hosting or proxy network
   * (the record's proxy flag, or an AS number in `hosting_asns`) that is not declared corporate
   * egress: 0 (the default) keeps `min_rejections`. Never above `min_rejections`.
   */
  hosting_min_rejections: z.number().int().min(0).default(0),
  /** AS numbers of clouds, VPS and bullet-proof hosting, proxy resellers. */
  hosting_asns: z.array(z.number().int().nonnegative()).default([]),
  /** Rejections kept per principal (oldest evicted beyond it). */
  max_tracked: z.number().int().min(10).max(10_000).default(500),
})
type Params = z.output<typeof params>

interface Accept {
  ts: number
  id: string
  client_ip?: string
  reported: boolean
}

export interface MfaFatigueState {
  /**
   * Rejected pushes in the window: by client address of the sign-in that asked (`-` when none), and
   * `h` when that address is on a hosting or proxy network (state checkpointed before that second
   * dimension existed has one: its rejections count as from elsewhere).
   */
  window: KeyedWindow
  now: number
  /** Whether the rejections alone may fire (false from their finding until they fall below half). */
  armed: boolean
  /** The latest accepted push, for rejections that arrive after it but happened before. */
  accept: Accept | null
}

/** Dimension of the window flagging rejections asked for from a hosting or proxy network. */
const HOSTING = 1

/** Rejections in the window asked for from a hosting or proxy network. */
function hostingRejections(window: KeyedWindow): number {
  return window.counts[HOSTING]?.[':h'] ?? 0
}

function isRejection(auth: AuthEvent): boolean {
  return auth.outcome === 'failure' && isPush(auth.method) && auth.failure_kind !== 'system'
}

/** The rejections in `[ts - window, ts)`. */
function rejectionsBefore(
  window: KeyedWindow,
  ts: number,
  span: number,
): { ts: number; id: string; key: string }[] {
  const out: { ts: number; id: string; key: string }[] = []
  for (const entry of liveEntries(window)) if (entry.ts < ts && entry.ts >= ts - span) out.push(entry)
  return out
}

function addressesOf(keys: string[]): string {
  const named = keys.filter((key) => key !== '-')
  return named.length === 0 ? '' : `, sign-ins from ${sampleText(named, named.length, 3)}`
}

function acceptedFinding(
  context: RuleContext<Params>,
  event: AuthEvent,
  accept: Accept,
  rejections: { ts: number; id: string; key: string }[],
): DetectedFinding {
  const p = context.params
  const first = Math.min(...rejections.map((r) => r.ts))
  const last = Math.max(...rejections.map((r) => r.ts))
  const addresses = [...new Set(rejections.map((r) => r.key))]
  const clientIp = accept.client_ip ?? addresses.find((key) => key !== '-') ?? '-'
  return buildFinding(context, {
    tenant: event.tenant,
    ts: event.ts,
    identity: { principal: event.principal, accept: accept.id },
    title: `MFA fatigue: ${event.principal} accepted a push after ${rejections.length} rejections`,
    summary:
      `${event.principal} rejected ${rejections.length} MFA push requests in ${formatSpan(last - first)} (${iso(first)} ` +
      `to ${iso(last)}${addressesOf(addresses)}) and then accepted one at ${iso(accept.ts)}` +
      `${accept.client_ip !== undefined ? ` for a sign-in from ${accept.client_ip}` : ''} (threshold ` +
      `${p.min_rejections} rejections in ${formatSpan(p.window)}): MFA fatigue. The user likely approved a push to ` +
      'make the prompts stop, letting in whoever holds the password: revoke the session and reset the password.',
    entities: { principal: event.principal, client_ip: clientIp, outcome: 'success' },
    evidence: {
      event_ids: [...rejections.slice(-19).map((r) => r.id), accept.id],
      rejections: rejections.length,
      first_ts: first,
      last_ts: last,
      accept_event_id: accept.id,
      accept_ts: accept.ts,
      client_ips: addresses.slice(0, 5),
      threshold_rejections: p.min_rejections,
      window_ms: p.window,
    },
  })
}

function hostingThreshold(p: Params): number {
  return Math.min(p.min_rejections, p.hosting_min_rejections)
}

/** Whether the sign-in asking for the push came from a hosting or proxy network, by the record's own words. */
function fromHostingNetwork(context: RuleContext<Params>, event: AuthEvent): boolean {
  const p = context.params
  if (p.hosting_min_rejections === 0) return false
  const hosting = event.is_proxy === true || (event.asn !== undefined && p.hosting_asns.includes(event.asn))
  if (!hosting) return false
  // A VPN or cloud desktop the organisation declared as its egress is the workforce's own address.
  return !context.intent.isCorporateEgress({
    ...(event.client_ip !== undefined ? { ip: event.client_ip } : {}),
    ...(event.asn !== undefined ? { asn: event.asn } : {}),
  })
}

function onRejection(
  context: RuleContext<Params>,
  state: MfaFatigueState,
  event: AuthEvent,
): DetectedFinding[] {
  const p = context.params
  if (event.ts > state.now) state.now = event.ts
  pruneBefore(state.window, state.now - p.window)
  if (!state.armed && windowSize(state.window) < Math.ceil(p.min_rejections / 2)) state.armed = true
  if (event.ts < state.now - p.window) return []
  addEntry(
    state.window,
    event.ts,
    event.event_id,
    [event.client_ip ?? '-', fromHostingNetwork(context, event) ? 'h' : ''],
    p.max_tracked,
  )
  const accept = state.accept
  // A rejection from before an accepted push, arriving after it.
  if (accept !== null && !accept.reported && event.ts < accept.ts && accept.ts - event.ts <= p.window) {
    const rejections = rejectionsBefore(state.window, accept.ts, p.window)
    if (rejections.length >= p.min_rejections) {
      accept.reported = true
      state.armed = false
      return [acceptedFinding(context, event, accept, rejections)]
    }
  }
  const count = windowSize(state.window)
  if (!state.armed || p.rejections_only === 'off') return []
  // Whoever is being asked from a datacentre or an anonymiser holds the password and is not the
  // user at their desk: three refusals there are no mis-tap (one or two before accepting are the
  // usual mistake), so the early tier pages minutes before the general threshold would.
  const hosting = p.hosting_min_rejections > 0 && hostingRejections(state.window) >= hostingThreshold(p)
  if (count < p.min_rejections && !hosting) return []
  state.armed = false
  const threshold =
    count >= p.min_rejections
      ? `threshold ${p.min_rejections} in ${formatSpan(p.window)}`
      : `threshold ${hostingThreshold(p)} in ${formatSpan(p.window)} when asked from a hosting or proxy network`
  const { first, last } = timeSpan(state.window)
  const addresses = sampleKeys(state.window, 5)
  const severity: Severity = p.rejections_only
  return [
    buildFinding(context, {
      tenant: event.tenant,
      ts: event.ts,
      identity: { principal: event.principal, window_start: first },
      severity,
      title: `MFA push bombing of ${event.principal}`,
      summary:
        `${event.principal} rejected ${count} MFA push requests in ${formatSpan(last - first)} (${iso(first)} to ` +
        `${iso(last)}${addressesOf(addresses)}; ${threshold}): someone ` +
        'who has the password is flooding the user with pushes (MFA fatigue). None accepted yet, an acceptance ' +
        'pages again; reset the password now, before the user gives in.',
      entities: {
        principal: event.principal,
        client_ip: addresses.find((a) => a !== '-') ?? '-',
        outcome: 'failure',
      },
      evidence: {
        event_ids: recentIds(state.window, 20),
        rejections: count,
        hosting_rejections: hostingRejections(state.window),
        first_ts: first,
        last_ts: last,
        client_ips: addresses,
        threshold_rejections: count >= p.min_rejections ? p.min_rejections : hostingThreshold(p),
        window_ms: p.window,
      },
    }),
  ]
}

function onAccept(context: RuleContext<Params>, state: MfaFatigueState, event: AuthEvent): DetectedFinding[] {
  const p = context.params
  if (event.ts > state.now) state.now = event.ts
  pruneBefore(state.window, state.now - p.window)
  const accept: Accept = {
    ts: event.ts,
    id: event.event_id,
    ...(event.client_ip !== undefined ? { client_ip: event.client_ip } : {}),
    reported: false,
  }
  if (state.accept === null || event.ts >= state.accept.ts || state.accept.reported) state.accept = accept
  const rejections = rejectionsBefore(state.window, event.ts, p.window)
  if (rejections.length < p.min_rejections) return []
  accept.reported = true
  // The episode ends with the accepted push: its rejections are spent.
  clearWindow(state.window)
  state.armed = true
  return [acceptedFinding(context, event, accept, rejections)]
}

/**
 * `mfa_fatigue`: a principal rejects (or fails) at least `min_rejections` MFA pushes (`method`
 * containing `push`, outcome failure; system failures excluded) within `window`, then accepts one:
 * the user likely gave in to push bombing, letting in whoever holds the password (a `page`,
 * the rule's severity, entity `outcome: success`). The rejections alone, when no push is accepted
 * yet, are a finding of severity `rejections_only` (`ticket` by default, lowered from the rule's
 * because nobody got in yet; entity `outcome: failure`); with `hosting_min_rejections`, fewer
 * rejections suffice when the sign-ins asking for them come from a hosting or proxy network not
 * declared corporate egress. A rejection arriving late, after the accepted push it preceded, still
 * counts. Kept per principal (partition key).
 */
export const mfaFatigueType = defineDetectorType({
  name: 'mfa_fatigue',
  description: 'A principal rejecting many MFA pushes and then accepting one (MFA fatigue / push bombing)',
  params,
  create(context): Detector<MfaFatigueState> {
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => isPush(asAuth(event).method),
      partitioning: 'event',
      keyOf: (event) => partitionKey('auth', asAuth(event)),
      initialState: () => ({
        window: newWindow(2),
        now: Number.NEGATIVE_INFINITY,
        armed: true,
        accept: null,
      }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        if (auth.outcome === 'success') return onAccept(context, state, auth)
        return isRejection(auth) ? onRejection(context, state, auth) : []
      },
    }
  },
})
