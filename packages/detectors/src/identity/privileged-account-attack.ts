import { type AnyEvent, type AuthEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import {
  asAuth,
  isGuessFailure,
  isLockout,
  iso,
  isPush,
  networkNote,
  plural,
  sampleText,
} from './auth-signals.ts'

const params = z.strictObject({
  /** Sliding window the failures are counted in. */
  window: duration.default(10 * 60_000),
  /** Failures from hosting or proxy networks within the window that page. */
  min_hosting_failures: z.number().int().min(1).default(5),
  /**
   * AS numbers of hosting and VPS providers (clouds, bullet-proof hosting, proxy resellers): where
   * scripts run, not where staff sign in. Okta's securityContext gives the AS number; its `isProxy`
   * flag counts too.
   */
  hosting_asns: z.array(z.number().int().nonnegative()).default([]),
  /** Failures kept per principal (oldest evicted beyond it). */
  max_tracked: z.number().int().min(10).max(10_000).default(200),
})
type Params = z.output<typeof params>

interface Attempt {
  ts: number
  id: string
  ip: string
  hosting: boolean
}

export interface PrivilegedAttackState {
  /** Guess failures of the principal within the window, oldest first. */
  attempts: Attempt[]
  /** When the current episode paged (lockout or burst); re-armed once the window is empty of failures. */
  pagedAt: number | null
}

/** Whether an address is a hosting or proxy network by the record's own words (AS number, proxy flag). */
function fromHosting(event: AuthEvent, p: Params, context: RuleContext<Params>): boolean {
  // The company's own egress (a VPN concentrator in a cloud) is no attacker's network.
  const client = {
    ...(event.client_ip !== undefined ? { ip: event.client_ip } : {}),
    ...(event.asn !== undefined ? { asn: event.asn } : {}),
  }
  if (context.intent.isCorporateEgress(client)) return false
  return event.is_proxy === true || (event.asn !== undefined && p.hosting_asns.includes(event.asn))
}

function attackFinding(
  context: RuleContext<Params>,
  event: AuthEvent,
  state: PrivilegedAttackState,
  lockout: boolean,
): DetectedFinding {
  const p = context.params
  const attempts = state.attempts
  const first = attempts[0]!.ts
  const addresses = [...new Set(attempts.map((attempt) => attempt.ip))]
  const hosting = attempts.filter((attempt) => attempt.hosting)
  const why = lockout
    ? `was locked out (${event.reason} at ${iso(event.ts)})`
    : `failed ${plural(hosting.length, 'time')} from hosting or proxy networks`
  return buildFinding(context, {
    tenant: event.tenant,
    ts: event.ts,
    identity: { principal: event.principal, episode: first },
    title: `Attack on privileged account ${event.principal}`,
    summary:
      `${event.principal}, a declared privileged account, ${why}: ${plural(attempts.length, 'failed sign-in')} in ` +
      `${formatSpan(event.ts - first)} (${iso(first)} to ${iso(event.ts)}) from ${plural(addresses.length, 'address', 'addresses')} ` +
      `(${sampleText(addresses, addresses.length, 3)}${networkNote(event)}), ${hosting.length} of them from hosting or ` +
      `proxy networks; pages on a lockout or on ${p.min_hosting_failures} failures from such networks in ${formatSpan(p.window)}. ` +
      'An administrator account is worth guessing: check the sign-ins that follow, and whether the account is still locked.',
    entities: {
      principal: event.principal,
      ...(event.client_ip !== undefined ? { client_ip: event.client_ip } : {}),
      outcome: 'failure',
    },
    evidence: {
      event_ids: evidenceIds(attempts.map((attempt) => attempt.id)),
      failures: attempts.length,
      hosting_failures: hosting.length,
      client_ips: addresses.slice(0, 10),
      distinct_client_ips: addresses.length,
      first_ts: first,
      last_ts: event.ts,
      ...(lockout ? { lockout_reason: event.reason, lockout_ts: event.ts } : {}),
      ...(event.asn !== undefined ? { asn: event.asn } : {}),
      threshold_hosting_failures: p.min_hosting_failures,
      window_ms: p.window,
    },
  })
}

/**
 * `privileged_account_attack`: failed sign-ins of a privileged account (declared in intent:
 * `PalisadeIntent.spec.privileged`, since sign-in records carry no groups or admin roles) page when
 * the account is locked out, or when `min_hosting_failures` of them within `window` come from
 * hosting or proxy networks (`hosting_asns`, Okta's `isProxy`; the corporate egress never counts).
 * A typo burst from the office, or failures of an ordinary account, stay with `brute_force`. Pages
 * once per episode; re-arms once no failure is left in the window. Kept per principal.
 */
export const privilegedAccountAttackType = defineDetectorType({
  name: 'privileged_account_attack',
  description:
    'A declared privileged account locked out, or failing sign-ins from hosting/proxy networks (pages at once)',
  params,
  create(context): Detector<PrivilegedAttackState> {
    const p = context.params
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        return isGuessFailure(auth) && !isPush(auth.method) && context.intent.isPrivileged(auth.principal)
      },
      partitioning: 'event',
      keyOf: (event) => partitionKey('auth', asAuth(event)),
      initialState: () => ({ attempts: [], pagedAt: null }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        state.attempts = state.attempts.filter((attempt) => attempt.ts > auth.ts - p.window)
        if (state.attempts.length === 0) state.pagedAt = null
        state.attempts.push({
          ts: auth.ts,
          id: auth.event_id,
          ip: auth.client_ip ?? '-',
          hosting: fromHosting(auth, p, context),
        })
        if (state.attempts.length > p.max_tracked) state.attempts.shift()
        if (state.pagedAt !== null) return []
        const lockout = isLockout(auth.reason)
        const hosting = state.attempts.filter((attempt) => attempt.hosting).length
        if (!lockout && hosting < p.min_hosting_failures) return []
        state.pagedAt = auth.ts
        return [attackFinding(context, auth, state, lockout)]
      },
    }
  },
})
