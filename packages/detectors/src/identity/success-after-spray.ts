import type { AnyEvent, AuthEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { asAuth, isGuessFailure, iso } from './auth-signals.ts'
import { liveEntries } from './keyed-window.ts'
import {
  advanceSpray,
  describeSpray,
  newSprayState,
  type SprayCrossing,
  type SprayParams,
  type SprayState,
  sprayEntities,
  sprayEvidence,
  sprayKey,
  sprayParams,
  trackSprayFailure,
} from './spray-tracker.ts'

const params = z.strictObject({
  ...sprayParams,
  /** How long after the spray's last failure a success from the address still counts. */
  lookback: duration.default(12 * 3_600_000),
})
type Params = z.output<typeof params>

/** Sprayed principals remembered per episode (to say whether the one that succeeded was sprayed). */
const maxSprayedPrincipals = 1000
/** Successes kept per address from before a crossing (a success in the middle of the spray). */
const maxRecentSuccesses = 8
/** Principals reported per episode (once each). */
const maxReported = 100

interface RecentSuccess {
  ts: number
  id: string
  principal: string
}

interface SprayEpisode {
  spray: SprayCrossing
  /** `:` + principal → the spray's failures for it (capped at {@link maxSprayedPrincipals} principals). */
  sprayed: Record<string, number>
  sprayedCount: number
  /** Principals tried more than `max_attempts_per_user` times in the episode. */
  heavy: number
  /** `:` + principal already reported for this episode. */
  reported: Record<string, 1>
  reportedCount: number
}

export interface SuccessAfterSprayState {
  spray: SprayState
  /** The latest spray of the address, while its success may still count. */
  episode: SprayEpisode | null
  /** Recent successes from the address, for a spray whose crossing is seen after them. */
  successes: RecentSuccess[]
}

function remember(record: Record<string, 1>, principal: string): boolean {
  const name = `:${principal}`
  if (record[name] === 1) return false
  record[name] = 1
  return true
}

/** Count one of the spray's failures for a principal (bounded: principals beyond the cap are not kept). */
function countSprayed(episode: SprayEpisode, principal: string, p: SprayParams): void {
  const name = `:${principal}`
  const before = episode.sprayed[name] ?? 0
  if (before === 0) {
    if (episode.sprayedCount >= maxSprayedPrincipals) return
    episode.sprayedCount++
  }
  episode.sprayed[name] = before + 1
  if (before === p.max_attempts_per_user) episode.heavy++
}

function finding(
  context: RuleContext<Params>,
  episode: SprayEpisode,
  success: { ts: number; id: string; principal: string; tenant: string },
): DetectedFinding {
  const { spray } = episode
  const sprayed = (episode.sprayed[`:${success.principal}`] ?? 0) > 0
  const relation =
    success.ts <= spray.last
      ? 'in the middle of'
      : `${formatSpan(success.ts - spray.last)} after the last failure of`
  return buildFinding(context, {
    tenant: success.tenant,
    ts: success.ts,
    identity: { client_ip: spray.clientIp, principal: success.principal, window_start: spray.first },
    title: `Sign-in of ${success.principal} from spraying address ${spray.clientIp}`,
    summary:
      `${success.principal} signed in successfully from ${spray.clientIp} at ${iso(success.ts)}, ${relation} a ` +
      `password spray from that address: ${describeSpray(spray, context.params)}. ${success.principal} ` +
      `${sprayed ? 'was one of the sprayed accounts' : 'was not among the sprayed accounts seen'}: the spray ` +
      'likely found a valid password, so treat the account as compromised (revoke its sessions, reset its ' +
      'credentials, review what it did since).',
    entities: { ...sprayEntities(spray), principal: success.principal },
    evidence: {
      ...sprayEvidence(spray, context.params),
      event_ids: [...spray.eventIds.slice(-19), success.id],
      success_event_id: success.id,
      success_ts: success.ts,
      principal_was_sprayed: sprayed,
      lookback_ms: context.params.lookback,
    },
  })
}

function report(
  context: RuleContext<Params>,
  episode: SprayEpisode,
  success: { ts: number; id: string; principal: string; tenant: string },
): DetectedFinding[] {
  if (episode.reported[`:${success.principal}`] === 1 || episode.reportedCount >= maxReported) return []
  remember(episode.reported, success.principal)
  episode.reportedCount++
  return [finding(context, episode, success)]
}

function onFailure(
  context: RuleContext<Params>,
  state: SuccessAfterSprayState,
  event: AuthEvent,
): DetectedFinding[] {
  const crossing = trackSprayFailure(state.spray, event, context.params, context.intent)
  if (crossing !== undefined) {
    const episode: SprayEpisode = {
      spray: crossing,
      sprayed: {},
      sprayedCount: 0,
      heavy: 0,
      reported: {},
      reportedCount: 0,
    }
    for (const { key } of liveEntries(state.spray.window)) countSprayed(episode, key, context.params)
    state.episode = episode
    const findings: DetectedFinding[] = []
    for (const success of state.successes)
      if (success.ts >= crossing.first)
        findings.push(...report(context, episode, { ...success, tenant: event.tenant }))
    state.successes = []
    return findings
  }
  // The spray goes on (not re-armed yet): its episode grows.
  const episode = state.episode
  if (episode !== null && !state.spray.armed && isGuessFailure(event) && event.ts >= episode.spray.first) {
    const spray = episode.spray
    spray.attempts++
    if (event.ts > spray.last) spray.last = event.ts
    countSprayed(episode, event.principal, context.params)
    spray.users = Math.max(spray.users, episode.sprayedCount)
    spray.sprayedUsers = spray.users - episode.heavy
  }
  return []
}

function onSuccess(
  context: RuleContext<Params>,
  state: SuccessAfterSprayState,
  event: AuthEvent,
): DetectedFinding[] {
  const p: SprayParams = context.params
  advanceSpray(state.spray, event.ts, p)
  const episode = state.episode
  if (episode !== null && state.spray.now - episode.spray.last > context.params.lookback) state.episode = null
  const success = { ts: event.ts, id: event.event_id, principal: event.principal, tenant: event.tenant }
  if (
    state.episode !== null &&
    event.ts >= state.episode.spray.first &&
    event.ts - state.episode.spray.last <= context.params.lookback
  )
    return report(context, state.episode, success)
  // No spray (yet): keep the success a window long, for a crossing that is still to come.
  const cutoff = state.spray.now - p.window
  state.successes = state.successes.filter((s) => s.ts >= cutoff && s.principal !== event.principal)
  if (event.ts >= cutoff)
    state.successes.push({ ts: event.ts, id: event.event_id, principal: event.principal })
  if (state.successes.length > maxRecentSuccesses) state.successes.shift()
  return []
}

/**
 * `success_after_spray`: a successful sign-in from a client address that crossed the password-spray
 * threshold (same settings as `password_spray`) within `lookback`: the spray likely found the
 * account's password. Also fires for a success in the middle of the spray, seen before the crossing
 * (kept a window long). Re-keyed by client address like the spray; reads guess failures and
 * successes that name an address. One finding per principal per spray episode; the entities name
 * the principal that succeeded.
 */
export const successAfterSprayType = defineDetectorType({
  name: 'success_after_spray',
  description:
    'A successful sign-in from a client address that recently sprayed passwords (likely compromised account)',
  params,
  create(context): Detector<SuccessAfterSprayState> {
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        return auth.client_ip !== undefined && (auth.outcome === 'success' || isGuessFailure(auth))
      },
      partitioning: 'rekeyed',
      keyOf: (event) => sprayKey(asAuth(event)),
      initialState: () => ({ spray: newSprayState(), episode: null, successes: [] }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        return auth.outcome === 'success' ? onSuccess(context, state, auth) : onFailure(context, state, auth)
      },
    }
  },
})
