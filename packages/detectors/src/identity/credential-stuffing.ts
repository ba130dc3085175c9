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
  /**
   * Early tier, on the anonymised failures only (from a proxy/anonymiser address, or an AS number
   * in `hosting_asns`, never the declared corporate egress): distinct users that suffice within
   * `anonymised_window`. 0 (the default) turns the tier off. Never above `min_users`.
   */
  anonymised_min_users: z.number().int().min(0).default(0),
  /** Distinct anonymised addresses those early-tier failures must come from. */
  anonymised_min_addresses: z.number().int().min(2).default(5),
  /** Sliding window of the early tier. */
  anonymised_window: duration.default(10 * 60_000),
  /** AS numbers of clouds, VPS and bullet-proof hosting, proxy resellers. */
  hosting_asns: z.array(z.number().int().nonnegative()).default([]),
})

/** Dimensions of the window: principal (named ones), client address, flags. */
const PRINCIPAL = 0
const ADDRESS = 1
const FLAGS = 2
/** Flags: `x` the IdP says the user is unknown, `n` the source named nobody, `p` a proxy address. */
type Flag = 'x' | 'n' | 'p'

export interface CredentialStuffingState {
  window: KeyedWindow
  /**
   * The early tier's failures (anonymised addresses only), by principal and address; absent in
   * state checkpointed before the tier existed (made on first use).
   */
  anonymised?: KeyedWindow
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
 * failures. With `anonymised_min_users`, an early tier fires on fewer users when they all fail
 * through several anonymiser or hosting-network addresses (the declared corporate egress never
 * counts) within `anonymised_window`. Fires once per episode, re-arms when the users of both tiers
 * fall below half their thresholds.
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
    const earlyUsers = Math.min(p.min_users, p.anonymised_min_users)
    /** Whether a qualifying failure came through an anonymiser or a hosting network (not the corporate egress). */
    const anonymised = (auth: AuthEvent): boolean =>
      p.anonymised_min_users > 0 &&
      auth.client_ip !== undefined &&
      (auth.is_proxy === true || (auth.asn !== undefined && p.hosting_asns.includes(auth.asn))) &&
      !context.intent.isCorporateEgress({
        ip: auth.client_ip,
        ...(auth.asn !== undefined ? { asn: auth.asn } : {}),
      })
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => qualifies(asAuth(event)),
      partitioning: 'rekeyed',
      keyOf: (event) => event.tenant,
      initialState: () => ({
        window: newWindow(3),
        anonymised: newWindow(2),
        now: Number.NEGATIVE_INFINITY,
        armed: true,
      }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        if (!qualifies(auth)) return []
        if (auth.ts > state.now) state.now = auth.ts
        const { window } = state
        state.anonymised ??= newWindow(2)
        const early = state.anonymised
        pruneBefore(window, state.now - p.window)
        pruneBefore(early, state.now - p.anonymised_window)
        const usersNow = () => window.distinct[PRINCIPAL]! + flagged(window, 'n')
        // Re-armed once both tiers fell below half their thresholds: one finding per episode.
        if (
          !state.armed &&
          usersNow() < Math.ceil(p.min_users / 2) &&
          (p.anonymised_min_users === 0 || early.distinct[PRINCIPAL]! < Math.ceil(earlyUsers / 2))
        )
          state.armed = true
        if (auth.ts < state.now - p.window) return []
        const principal = auth.principal === unknownPrincipal ? '' : auth.principal
        addEntry(
          window,
          auth.ts,
          auth.event_id,
          [principal, auth.client_ip ?? '', flagsOf(auth)],
          p.max_tracked,
        )
        if (auth.ts >= state.now - p.anonymised_window && anonymised(auth)) {
          // An attempt naming nobody is one user of its own, as in the main tier.
          addEntry(
            early,
            auth.ts,
            auth.event_id,
            [principal || `#${auth.event_id}`, auth.client_ip!],
            p.max_tracked,
          )
        }
        if (!state.armed) return []
        const users = usersNow()
        const general = users >= p.min_users && window.distinct[ADDRESS]! >= p.min_addresses
        // Leaked lists replayed through rotating anonymisers: people who mistype their user name do
        // it from their own one address and then get it right, they do not walk through five
        // datacentre or proxy addresses naming a new account each time.
        const earlyTier =
          p.anonymised_min_users > 0 &&
          early.distinct[PRINCIPAL]! >= earlyUsers &&
          early.distinct[ADDRESS]! >= p.anonymised_min_addresses
        if (!general && !earlyTier) return []
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
        const earlyUsersSeen = early.distinct[PRINCIPAL]!
        const earlyAddresses = early.distinct[ADDRESS]!
        const threshold = general
          ? `threshold ${p.min_users} users from ${p.min_addresses} addresses in ${formatSpan(p.window)}`
          : `${earlyUsersSeen} users through ${earlyAddresses} proxy or hosting-network addresses; threshold ` +
            `${earlyUsers} users through ${p.anonymised_min_addresses} such addresses in ${formatSpan(p.anonymised_window)}`
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
              `${percent(proxies, attempts)} from proxy addresses (${threshold}). Users: ` +
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
              anonymised_users: earlyUsersSeen,
              anonymised_client_ips: earlyAddresses,
              tier: general ? 'general' : 'anonymised',
              threshold_users: general ? p.min_users : earlyUsers,
              threshold_addresses: general ? p.min_addresses : p.anonymised_min_addresses,
              window_ms: general ? p.window : p.anonymised_window,
            },
          }),
        ]
      },
    }
  },
})
