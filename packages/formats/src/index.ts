export type {
  FormatParser,
  ParsedRecord,
  ParseOptions,
  ParseResult,
  RejectedRecord,
} from './format-parser.ts'
export { formatParsers } from './format-registry.ts'
export { nativeParser, nativeParsers, splitAtLines, splitJsonRecords, splitLines } from './native-ndjson.ts'
export { type CounterReading, cumulativeToDelta } from './opa-otlp/otlp-cumulative.ts'
export {
  createWorkloadDirectory,
  type KnownWorkload,
  type WorkloadDirectory,
  type WorkloadDirectoryOptions,
} from './workload-directory.ts'
