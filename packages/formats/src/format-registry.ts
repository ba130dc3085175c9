import type { FormatParser } from './format-parser.ts'
import { nativeParsers } from './native-ndjson.ts'

/**
 * Every format the collector and `palisade replay` accept, by name. Wire formats register here,
 * one module per format.
 */
export const formatParsers: ReadonlyMap<string, FormatParser> = new Map(
  [...nativeParsers].map((parser) => [parser.name, parser]),
)
