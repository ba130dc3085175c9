import type { FormatParser } from '../format-parser.ts'
import { cloudtrailLoginParser } from './cloudtrail-login.ts'
import { keycloakEventParser } from './keycloak-event.ts'
import { oktaSystemLogParser } from './okta-system-log.ts'

/** Identity-provider formats: Okta System Log, Keycloak events, AWS CloudTrail sign-ins. */
export const identityParsers: FormatParser[] = [
  oktaSystemLogParser,
  keycloakEventParser,
  cloudtrailLoginParser,
]
