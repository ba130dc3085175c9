import type { DetectorType } from '../rules/detector-type.ts'
import { certExpiryType } from './cert-expiry.ts'
import { handshakeFailureBurstType } from './handshake-failure-burst.ts'
import { plaintextInStrictType } from './plaintext-in-strict.ts'

/** mTLS: plaintext where STRICT, handshake failure bursts, certificates about to expire. */
export const mtlsDetectorTypes: DetectorType[] = [
  plaintextInStrictType,
  handshakeFailureBurstType,
  certExpiryType,
]
