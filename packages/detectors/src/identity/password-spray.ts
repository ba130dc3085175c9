import type { AnyEvent } from '@palisade/schema'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType } from '../rules/detector-type.ts'
import { asAuth, isGuessFailure } from './auth-signals.ts'
import {
  describeSpray,
  newSprayState,
  type SprayState,
  sprayEntities,
  sprayEvidence,
  sprayKey,
  sprayParamsSchema,
  trackSprayFailure,
} from './spray-tracker.ts'

/**
 * `password_spray`: one client address failing sign-ins for many distinct users within a window,
 * most of them tried only a few times (a spray tries one or two passwords per account to stay under
 * per-account lockouts). Re-keyed by client address (`<tenant>/ip/<client_ip>`); reads only guess
 * failures that name an address (system failures are outages, not guesses). Corporate/VPN egress
 * addresses of the declared intent, where many users share one address, need
 * `corporate_min_users` (or are excluded). Fires once per episode, re-arms when the distinct users
 * fall below half the threshold.
 */
export const passwordSprayType = defineDetectorType({
  name: 'password_spray',
  description:
    'One client address failing sign-ins for many distinct users, a few attempts each (password spray)',
  params: sprayParamsSchema,
  create(context): Detector<SprayState> {
    const { params, intent } = context
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        return auth.client_ip !== undefined && isGuessFailure(auth)
      },
      partitioning: 'rekeyed',
      keyOf: (event) => sprayKey(asAuth(event)),
      initialState: newSprayState,
      step(state, event: AnyEvent): DetectedFinding[] {
        const spray = trackSprayFailure(state, asAuth(event), params, intent)
        if (spray === undefined) return []
        return [
          buildFinding(context, {
            tenant: event.tenant,
            ts: event.ts,
            identity: { client_ip: spray.clientIp, window_start: spray.first },
            title: `Password spray from ${spray.clientIp}`,
            summary:
              `${describeSpray(spray, params)}. One address trying a few passwords across many accounts stays ` +
              `under per-account lockouts: a password spray. Block ${spray.clientIp} and look for any success from it.`,
            entities: sprayEntities(spray),
            evidence: sprayEvidence(spray, params),
          }),
        ]
      },
    }
  },
})
