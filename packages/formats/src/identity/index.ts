import type { FormatParser } from '../format-parser.ts'

/** Identity-provider formats: Okta System Log, Keycloak events, AWS CloudTrail sign-ins. */
export const identityParsers: FormatParser[] = []
