import type { AnyEvent, AuthEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { asAuth, isGuessFailure, iso, sampleText, saysUnknownUser, unknownPrincipal } from './auth-signals.ts'
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

const params = z.strictObject({
  /** Sliding window the users and addresses are counted in. */
  window: duration.default(30 * 60_000),
  /** Distinct unknown users (named, plus each attempt naming nobody) failing within the window. */
  min_users: z.number().int().min(2).default(30),
  /** Distinct client addresses those failures come from. */
  min_addresses: z.number().int().min(1).default(10),
  /** Whether failures from proxy/anonymiser addresses (`is_proxy`) count even for users that exist. */
  count_proxies: z.boolean().default(true),
  /** Failures kept per tenant (oldest evicted beyond it): bounds the state under any flood. */
  max_tracked: z.number().int().min(100).max(200_000).default(20_000),
})

/** Dimensions of the window: principal (named ones), client address, flags. */
const PRINCIPAL = 0
const ADDRESS = 1
const FLAGS = 2
/** Flags: `x` the IdP says the user is unknown, `n` the source named nobody, `p` a proxy address. */
type Flag = 'x' | 'n' | 'p'

export interface CredentialStuffingState {
  window: KeyedWindow
  now: number
  armed: boolean
}

function flagsOf(event: AuthEvent): string {
  let flags = ''
  if (saysUnknownUser(event)) flags += 'x'
  if (event.principal === unknownPrincipal) flags += 'n'
  if (event.is_proxy === true) flags += 'p'
  return flags
}

/** Live entries with a flag (sums over the few flag combinations). */
function flagged(window: KeyedWindow, flag: Flag): number {
  let total = 0
  for (const [name, count] of Object.entries(window.counts[FLAGS]!)) if (name.includes(flag)) total += count
  return total
}

function percent(part: number, whole: number): string {
  return `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`
}

/**
 * `credential_stuffing`: many sources failing sign-ins for many users the identity provider does
 * not know (Okta `UNKNOWN_USER`/`VERIFICATION_ERROR`, Keycloak `user_not_found`, CloudTrail `No
 * username found`, or a principal naming nobody), and, with `count_proxies`, any guess failing from
 * a proxy/anonymiser address (`is_proxy`): leaked username/password lists replayed through proxies.
 * This detector reads failures only (re-keyed by tenant, so the volume crossing the bus stays the
 * qualifying failures), so "unknown" is the IdP's word, not "never seen succeeding". Attempts
 * naming nobody each count as one user. State is one window per tenant, capped at `max_tracked`
 * failures. Fires once per episode, re-arms when the users fall below half the threshold.
 */
export const credentialStuffingType = defineDetectorType({
  name: 'credential_stuffing',
  description:
    'Many addresses failing sign-ins for many unknown users, often through proxies (credential stuffing)',
  params,
  create(context): Detector<CredentialStuffingState> {
    const p = context.params
    const qualifies = (auth: AuthEvent): boolean =>
      auth.outcome === 'failure' &&
      (saysUnknownUser(auth) || (p.count_proxies && auth.is_proxy === true && isGuessFailure(auth)))
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => qualifies(asAuth(event)),
      partitioning: 'rekeyed',
      keyOf: (event) => event.tenant,
      initialState: () => ({ window: newWindow(3), now: Number.NEGATIVE_INFINITY, armed: true }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        if (!qualifies(auth)) return []
        if (auth.ts > state.now) state.now = auth.ts
        const { window } = state
        pruneBefore(window, state.now - p.window)
        const usersNow = () => window.distinct[PRINCIPAL]! + flagged(window, 'n')
        if (!state.armed && usersNow() < Math.ceil(p.min_users / 2)) state.armed = true
        if (auth.ts < state.now - p.window) return []
        addEntry(
          window,
          auth.ts,
          auth.event_id,
          [auth.principal === unknownPrincipal ? '' : auth.principal, auth.client_ip ?? '', flagsOf(auth)],
          p.max_tracked,
        )
        if (!state.armed || window.distinct[ADDRESS]! < p.min_addresses) return []
        const users = usersNow()
        if (users < p.min_users) return []
        state.armed = false
        const attempts = windowSize(window)
        const addresses = window.distinct[ADDRESS]!
        const unnamed = flagged(window, 'n')
        const saidUnknown = flagged(window, 'x')
        const proxies = flagged(window, 'p')
        const { first, last } = timeSpan(window)
        const samplePrincipals = sampleKeys(window, 5, PRINCIPAL)
        const sampleAddresses = sampleKeys(window, 5, ADDRESS)
        const named = window.distinct[PRINCIPAL]!
        return [
          buildFinding(context, {
            tenant: event.tenant,
            ts: event.ts,
            identity: { window_start: first },
            title: `Credential stuffing against ${event.tenant}`,
            summary:
              `Credential stuffing against tenant ${event.tenant}: ${attempts} sign-ins failed for ${users} distinct ` +
              `users in ${formatSpan(last - first)} (${iso(first)} to ${iso(last)}) from ${addresses} distinct ` +
              `addresses; ${percent(saidUnknown, attempts)} of them for users the identity provider does not know, ` +
              `${percent(proxies, attempts)} from proxy addresses (threshold ${p.min_users} users from ` +
              `${p.min_addresses} addresses in ${formatSpan(p.window)}). Users: ` +
              `${named > 0 ? sampleText(samplePrincipals, named) : 'none named'}` +
              `${unnamed > 0 ? ` (plus ${unnamed} attempts naming nobody)` : ''}; addresses: ` +
              `${sampleText(sampleAddresses, addresses)}. Leaked username/password lists are being replayed: ` +
              'the users that do exist are at risk; look for successes from these addresses and enforce MFA.',
            entities: { tenant: event.tenant },
            evidence: {
              event_ids: recentIds(window, 20),
              attempts,
              distinct_users: users,
              named_users: named,
              unnamed_attempts: unnamed,
              unknown_user_attempts: saidUnknown,
              proxy_attempts: proxies,
              distinct_client_ips: addresses,
              first_ts: first,
              last_ts: last,
              sample_principals: samplePrincipals,
              sample_client_ips: sampleAddresses,
              threshold_users: p.min_users,
              threshold_addresses: p.min_addresses,
              window_ms: p.window,
            },
          }),
        ]
      },
    }
  },
})
