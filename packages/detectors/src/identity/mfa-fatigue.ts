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
  /** Severity of the rejections alone (no push accepted yet), or `off`. */
  rejections_only: z.enum(['off', 'info', 'ticket']).default('ticket'),
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
  /** Rejected pushes in the window, by client address of the sign-in that asked (`-` when none). */
  window: KeyedWindow
  now: number
  /** Whether the rejections alone may fire (false from their finding until they fall below half). */
  armed: boolean
  /** The latest accepted push, for rejections that arrive after it but happened before. */
  accept: Accept | null
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
  addEntry(state.window, event.ts, event.event_id, [event.client_ip ?? '-'], p.max_tracked)
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
  if (!state.armed || p.rejections_only === 'off' || count < p.min_rejections) return []
  state.armed = false
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
        `${iso(last)}${addressesOf(addresses)}; threshold ${p.min_rejections} in ${formatSpan(p.window)}): someone ` +
        'who has the password is flooding the user with pushes (MFA fatigue). None accepted yet, an acceptance ' +
        'would page; reset the password.',
      entities: {
        principal: event.principal,
        client_ip: addresses.find((a) => a !== '-') ?? '-',
        outcome: 'failure',
      },
      evidence: {
        event_ids: recentIds(state.window, 20),
        rejections: count,
        first_ts: first,
        last_ts: last,
        client_ips: addresses,
        threshold_rejections: p.min_rejections,
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
 * because nobody got in yet; entity `outcome: failure`). A rejection arriving late, after the
 * accepted push it preceded, still counts. Kept per principal (partition key).
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
        window: newWindow(1),
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
