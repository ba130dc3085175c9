import type { EventKind } from '@palisade/schema'

/** One record a parser mapped to the event model; validated by the collector afterwards. */
export interface ParsedRecord {
  /** 1-based line (or element) of the input it came from, for per-record errors. */
  line: number
  /** The source text of the record, kept for quarantine if validation refuses the mapping. */
  raw: string
  kind: EventKind
  /**
   * The event in our native schema (the fields of `packages/schema`), with `event_id` set: the
   * source's own id where it has one (OPA `decision_id`, Okta `uuid`), else
   * `deriveEventId(<format>, <canonical source record>)`, so that replaying a file adds nothing.
   */
  event: Record<string, unknown>
}

/** A record the parser could not read or map, with the reason a person can act on. */
export interface RejectedRecord {
  line: number
  raw: string
  reason: string
}

/** What a parser made of one input. */
export interface ParseResult {
  records: ParsedRecord[]
  rejected: RejectedRecord[]
  /**
   * Lines read and deliberately not events (the other statistics of an Envoy stats dump): counted
   * in the answer, so that nothing a client sent goes unaccounted for.
   */
  ignored?: number
}

/** Per-request options a format may take (e.g. the field list of a header-less AWS custom format). */
export type ParseOptions = Record<string, string>

/**
 * A wire format: a pure function from one input (a request body or a file, already decompressed)
 * to events and per-record errors. No I/O, no clock: the same input always gives the same output.
 * A record that cannot be read costs only itself.
 */
export interface FormatParser {
  /** URL and CLI name: `POST /v1/ingest/<name>`, `palisade replay <name> <file>`. */
  name: string
  /** One line for `--help` and the README. */
  description: string
  /** The kinds of events it produces. */
  kinds: readonly EventKind[]
  /** Names of the options it understands (anything else is refused by the collector). */
  options?: readonly string[]
  parse(input: string, options?: ParseOptions): ParseResult
  /**
   * Set by formats of cumulative counters (Prometheus scrapes, Envoy stats dumps): an input counts
   * only the increases between the readings it holds, so a sender must repeat each series'
   * previous reading with the new one (increases already counted add nothing twice).
   */
  cumulativeCounters?: true
  /**
   * Split an input too large for one request into parts of at most about `maxChars` that each
   * parse on their own (headers repeated where the format needs them). Formats without it are
   * sent whole. Returns each part with the line number its first line had in the input.
   */
  splitInput?(input: string, maxChars: number): { text: string; firstLine: number }[]
}
