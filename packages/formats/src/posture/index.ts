import type { FormatParser } from '../format-parser.ts'
import { osqueryResultsParser } from './osquery-results.ts'

export { osqueryResultsParser } from './osquery-results.ts'

/** Device and workload posture formats: osquery result logs. */
export const postureParsers: FormatParser[] = [osqueryResultsParser]
