import type { FormatParser } from '../format-parser.ts'
import { awsWafLogParser } from './aws-waf-log.ts'
import { modsecurityAuditLogParser } from './modsecurity-audit-log.ts'

/** Web application firewall logs: AWS WAF, ModSecurity v3 and Coraza JSON audit logs. */
export const wafParsers: FormatParser[] = [awsWafLogParser, modsecurityAuditLogParser]
