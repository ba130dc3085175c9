import type { FormatParser } from '../format-parser.ts'

/** Mesh formats: Envoy/Istio access logs (ext_authz, RBAC), Istio metrics and Envoy TLS stats. */
export const meshParsers: FormatParser[] = []
