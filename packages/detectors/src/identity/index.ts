import type { DetectorType } from '../rules/detector-type.ts'
import { bruteForceType } from './brute-force.ts'
import { credentialStuffingType } from './credential-stuffing.ts'
import { impossibleTravelType } from './impossible-travel.ts'
import { mfaFatigueType } from './mfa-fatigue.ts'
import { passwordSprayType } from './password-spray.ts'
import { privilegedAccountAttackType } from './privileged-account-attack.ts'
import { sessionHijackType } from './session-hijack.ts'
import { successAfterSprayType } from './success-after-spray.ts'

/** Identity attacks: spray, brute force, stuffing, success after spray, impossible travel, MFA fatigue, attacks on privileged accounts, replayed sessions. */
export const identityDetectorTypes: DetectorType[] = [
  passwordSprayType,
  successAfterSprayType,
  bruteForceType,
  credentialStuffingType,
  impossibleTravelType,
  mfaFatigueType,
  privilegedAccountAttackType,
  sessionHijackType,
]
