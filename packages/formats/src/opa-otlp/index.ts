import type { FormatParser } from '../format-parser.ts'

/** OPA decision logs and OTLP/HTTP logs and metrics (JSON; protobuf is decoded before parsing). */
export const opaOtlpParsers: FormatParser[] = []
