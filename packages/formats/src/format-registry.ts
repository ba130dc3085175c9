import { flowParsers } from './flows/index.ts'
import type { FormatParser } from './format-parser.ts'
import { identityParsers } from './identity/index.ts'
import { meshParsers } from './mesh/index.ts'
import { nativeParsers } from './native-ndjson.ts'
import { opaOtlpParsers } from './opa-otlp/index.ts'
import { postureParsers } from './posture/index.ts'
import { wafParsers } from './waf/index.ts'

/**
 * Every format the collector and `palisade replay` accept, by name: our own NDJSON per kind, then
 * the wire formats, one module per format, grouped by family.
 */
export const formatParsers: ReadonlyMap<string, FormatParser> = new Map(
  [
    ...nativeParsers,
    ...flowParsers,
    ...meshParsers,
    ...identityParsers,
    ...opaOtlpParsers,
    ...postureParsers,
    ...wafParsers,
  ].map((parser) => [parser.name, parser]),
)
