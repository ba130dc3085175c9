import { type AnyEvent, type AuthEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import {
  asAuth,
  isGuessFailure,
  isLockout,
  iso,
  isPush,
  networkNote,
  sampleText,
  unknownPrincipal,
} from './auth-signals.ts'
import {
  addEntry,
  type KeyedWindow,
  newWindow,
  pruneBefore,
  recentIds,
  sampleKeys,
  timeSpan,
  windowSize,
} from './keyed-window.ts'
import type { AddressNote } from './spray-tracker.ts'

const params = z.strictObject({
  /** Sliding window the failures are counted in. */
  window: duration.default(10 * 60_000),
  /** Failures of one principal within the window. */
  min_failures: z.number().int().min(2).default(15),
  /** A lockout (LOCKED_OUT, user_temporarily_disabled) fires with at least this many failures in the window. */
  lockout_min_failures: z.number().int().min(1).default(5),
  /** A success within this long of the brute force's last failure raises a page. */
  success_within: duration.default(30 * 60_000),
  /** Failures kept per principal (oldest evicted beyond it). */
  max_tracked: z.number().int().min(10).max(100_000).default(1000),
})
type Params = z.output<typeof params>

interface Episode {
  /** Time of the failure that crossed the threshold. */
  crossedAt: number
  first: number
  last: number
  failures: number
  addresses: number
  sampleAddresses: string[]
  /** Addresses the failures came from over the episode (capped). */
  guessing: string[]
  /** Those of them the principal had signed in from before the brute force. */
  familiar: string[]
  clientIp: string
  address: AddressNote
  lockout: { ts: number; reason: string } | null
  eventIds: string[]
  successReported: boolean
}

export interface BruteForceState {
  /** Guess failures of the principal in the window, by client address (`-` when none); made at the first failure. */
  window: KeyedWindow | null
  now: number
  armed: boolean
  /** Latest lockout seen. */
  lockout: { ts: number; id: string; reason: string } | null
  /** What the latest failure's record said about its address. */
  address: AddressNote
  /** The latest brute force, while a success after it may still come. */
  episode: Episode | null
  /** The latest success, for a brute force whose crossing is seen after it (late failures). */
  success: { ts: number; id: string; client_ip?: string } | null
  /** Addresses the principal signed in from lately (the {@link maxKnown} most recent), first seen when. */
  known: { ip: string; ts: number }[]
}

/** Addresses of successful sign-ins remembered per principal. */
const maxKnown = 8
/** Failing addresses remembered per brute force. */
const maxGuessing = 50

function note(event: AuthEvent): AddressNote {
  const out: AddressNote = {}
  if (event.country !== undefined) out.country = event.country
  if (event.city !== undefined) out.city = event.city
  if (event.asn !== undefined) out.asn = event.asn
  if (event.is_proxy !== undefined) out.is_proxy = event.is_proxy
  return out
}

/** The address with the most failures in the window. */
function topAddress(window: KeyedWindow): string {
  let best = '-'
  let most = 0
  for (const [name, count] of Object.entries(window.counts[0]!))
    if (count > most) {
      most = count
      best = name.slice(1)
    }
  return best
}

function addressesText(episode: Episode): string {
  return episode.addresses <= 1
    ? `${episode.clientIp}${networkNote(episode.address)}`
    : `${episode.addresses} addresses (${sampleText(episode.sampleAddresses, episode.addresses, 3)})`
}

function bruteForceFinding(
  context: RuleContext<Params>,
  event: AuthEvent,
  episode: Episode,
): DetectedFinding {
  const { params: p } = context
  const locked = episode.lockout
    ? `, and was locked out (${episode.lockout.reason} at ${iso(episode.lockout.ts)})`
    : ''
  return buildFinding(context, {
    tenant: event.tenant,
    ts: event.ts,
    identity: { principal: event.principal, window_start: episode.first },
    title: `Brute force against ${event.principal}`,
    summary:
      `${event.principal} failed to sign in ${episode.failures} times in ${formatSpan(episode.last - episode.first)} ` +
      `(${iso(episode.first)} to ${iso(episode.last)}) from ${addressesText(episode)}${locked}; threshold ` +
      `${p.min_failures} failures in ${formatSpan(p.window)}, or a lockout after ${p.lockout_min_failures}. ` +
      (episode.guessing.length > 0 && episode.familiar.length === episode.guessing.length
        ? `Every failing address is one ${event.principal} signed in from before: possibly a device retrying a stale ` +
          'password, or someone on the same network; a typo burst is a few failures then a success.'
        : "Someone is guessing this account's password (a typo burst is a few failures then a success); a success " +
          'from a guessing address would page.'),
    entities: { principal: event.principal, client_ip: episode.clientIp, outcome: 'failure' },
    evidence: {
      event_ids: episode.eventIds,
      failures: episode.failures,
      first_ts: episode.first,
      last_ts: episode.last,
      client_ips: episode.sampleAddresses,
      distinct_client_ips: episode.addresses,
      familiar_client_ips: episode.familiar,
      threshold_failures: p.min_failures,
      lockout_min_failures: p.lockout_min_failures,
      window_ms: p.window,
      ...(episode.lockout ? { lockout_reason: episode.lockout.reason, lockout_ts: episode.lockout.ts } : {}),
    },
  })
}

function successFinding(
  context: RuleContext<Params>,
  event: { tenant: string; principal: string },
  episode: Episode,
  success: { ts: number; id: string; client_ip?: string },
): DetectedFinding {
  const { params: p } = context
  const from = success.client_ip ?? 'an unknown address'
  const gap = success.ts >= episode.last ? `${formatSpan(success.ts - episode.last)} after` : 'during'
  return buildFinding(context, {
    tenant: event.tenant,
    ts: success.ts,
    identity: { principal: event.principal, window_start: episode.first, success: success.id },
    severity: 'page',
    title: `Sign-in of ${event.principal} right after a brute force`,
    summary:
      `${event.principal} signed in successfully from ${from} at ${iso(success.ts)}, ${gap} ${episode.failures} ` +
      `failed sign-ins in ${formatSpan(episode.last - episode.first)} from ${addressesText(episode)}` +
      `${episode.lockout ? ` and a lockout (${episode.lockout.reason})` : ''}; threshold ${p.min_failures} in ` +
      `${formatSpan(p.window)}, or a lockout after ${p.lockout_min_failures}. Raised to page: a success right after a brute force means the password was likely ` +
      `guessed: it came from one of the guessing addresses, not one ${event.principal} had signed in from ` +
      'before. Revoke the sessions and reset the credentials.',
    entities: { principal: event.principal, client_ip: from, outcome: 'success' },
    evidence: {
      event_ids: [...episode.eventIds.slice(-19), success.id],
      success_event_id: success.id,
      success_ts: success.ts,
      failures: episode.failures,
      first_ts: episode.first,
      last_ts: episode.last,
      client_ips: episode.sampleAddresses,
      threshold_failures: p.min_failures,
      success_within_ms: p.success_within,
      raised_because: 'success right after a brute force',
    },
  })
}

/**
 * Whether a success is the brute force's: right after it, from one of the guessing addresses, and
 * not from an address the principal signed in from before (the user's own device, its password
 * fixed, is no compromise).
 */
function successCounts(
  episode: Episode,
  success: { ts: number; client_ip?: string },
  within: number,
): boolean {
  return (
    !episode.successReported &&
    success.ts >= episode.crossedAt &&
    success.ts - episode.last <= within &&
    success.client_ip !== undefined &&
    episode.guessing.includes(success.client_ip) &&
    !episode.familiar.includes(success.client_ip)
  )
}

function onFailure(
  context: RuleContext<Params>,
  state: BruteForceState,
  event: AuthEvent,
): DetectedFinding[] {
  const p = context.params
  if (event.ts > state.now) state.now = event.ts
  state.window ??= newWindow(1)
  const window = state.window
  pruneBefore(window, state.now - p.window)
  if (!state.armed && windowSize(window) < Math.ceil(p.min_failures / 2)) state.armed = true
  if (event.ts < state.now - p.window) return []
  addEntry(window, event.ts, event.event_id, [event.client_ip ?? '-'], p.max_tracked)
  state.address = note(event)
  if (isLockout(event.reason) && (state.lockout === null || event.ts >= state.lockout.ts))
    state.lockout = { ts: event.ts, id: event.event_id, reason: event.reason! }
  const lockout = state.lockout !== null && state.lockout.ts >= state.now - p.window ? state.lockout : null
  const failures = windowSize(window)
  const episode = state.episode
  if (!state.armed) {
    // The same brute force goes on: its episode grows.
    if (episode !== null) {
      episode.failures++
      if (event.ts > episode.last) episode.last = event.ts
      episode.addresses = Math.max(episode.addresses, window.distinct[0]!)
      const ip = event.client_ip
      if (ip !== undefined && episode.guessing.length < maxGuessing && !episode.guessing.includes(ip)) {
        episode.guessing.push(ip)
        if (state.known.some((known) => known.ip === ip && known.ts < episode.first))
          episode.familiar.push(ip)
      }
      if (lockout && episode.lockout === null) episode.lockout = { ts: lockout.ts, reason: lockout.reason }
    }
    return []
  }
  if (failures < p.min_failures && !(lockout && failures >= p.lockout_min_failures)) return []
  state.armed = false
  const { first, last } = timeSpan(window)
  const clientIp = topAddress(window)
  const guessing = sampleKeys(window, maxGuessing).filter((ip) => ip !== '-')
  const fresh: Episode = {
    crossedAt: event.ts,
    first,
    last,
    failures,
    addresses: window.distinct[0]!,
    sampleAddresses: sampleKeys(window, 5),
    guessing,
    familiar: guessing.filter((ip) => state.known.some((known) => known.ip === ip && known.ts < first)),
    clientIp,
    address: clientIp === event.client_ip ? state.address : {},
    lockout: lockout ? { ts: lockout.ts, reason: lockout.reason } : null,
    eventIds: recentIds(window, 20),
    successReported: false,
  }
  state.episode = fresh
  const findings = [bruteForceFinding(context, event, fresh)]
  // A success seen before this crossing but after it in event time (late failures).
  if (state.success !== null && successCounts(fresh, state.success, p.success_within)) {
    fresh.successReported = true
    findings.push(successFinding(context, event, fresh, state.success))
  }
  return findings
}

function onSuccess(
  context: RuleContext<Params>,
  state: BruteForceState,
  event: AuthEvent,
): DetectedFinding[] {
  const success = {
    ts: event.ts,
    id: event.event_id,
    ...(event.client_ip !== undefined ? { client_ip: event.client_ip } : {}),
  }
  if (state.success === null || event.ts >= state.success.ts) state.success = success
  if (event.client_ip !== undefined) {
    const ip = event.client_ip
    // Most recently used last, each with the first time seen.
    const at = state.known.findIndex((entry) => entry.ip === ip)
    const since = at < 0 ? event.ts : Math.min(event.ts, state.known[at]!.ts)
    if (at >= 0) state.known.splice(at, 1)
    state.known.push({ ip, ts: since })
    if (state.known.length > maxKnown) state.known.shift()
  }
  const episode = state.episode
  if (episode === null) return []
  if (successCounts(episode, success, context.params.success_within)) {
    episode.successReported = true
    return [successFinding(context, event, episode, success)]
  }
  if (state.armed && event.ts - episode.last > context.params.success_within) state.episode = null
  return []
}

/**
 * `brute_force`: one principal failing many times within a window (`min_failures`), or being
 * locked out after at least `lockout_min_failures` failures: someone guesses its password. A typo
 * burst (a few failures, then a success) stays far below. MFA push rejections are `mfa_fatigue`'s
 * and not counted; nor are attempts whose source names nobody (`unknown`: that is everyone's
 * failures, credential stuffing's signal). Kept per principal (the auth partition key).
 *
 * Severity: the rule's for the brute force; raised to `page` for a success of the principal within
 * `success_within` of the brute force's last failure (a second finding, entity `outcome: success`):
 * the password was likely guessed. Fires once per episode, re-arms when the failures in the window
 * fall below half the threshold.
 */
export const bruteForceType = defineDetectorType({
  name: 'brute_force',
  description:
    'One principal failing sign-in many times or locked out (brute force); a success right after pages',
  params,
  create(context): Detector<BruteForceState> {
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        if (auth.principal === unknownPrincipal) return false
        return auth.outcome === 'success' || (isGuessFailure(auth) && !isPush(auth.method))
      },
      partitioning: 'event',
      keyOf: (event) => partitionKey('auth', asAuth(event)),
      initialState: () => ({
        window: null,
        now: Number.NEGATIVE_INFINITY,
        armed: true,
        lockout: null,
        address: {},
        episode: null,
        success: null,
        known: [],
      }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        return auth.outcome === 'success' ? onSuccess(context, state, auth) : onFailure(context, state, auth)
      },
    }
  },
})
