import type { AuditVerdict } from '@palisade/clickhouse'
import { CliUsageError } from './cli-args.ts'

/** Pure: check `palisade audit …` arguments (only `verify` exists). */
export function parseAuditArgs(argv: string[]): { action: 'verify' } {
  if (argv.length === 1 && argv[0] === 'verify') return { action: 'verify' }
  throw new CliUsageError('usage: palisade audit verify')
}

/** Pure: what `palisade audit verify` prints for a verdict, and its exit code. */
export function auditVerdictReport(verdict: AuditVerdict): { output: string; exitCode: number } {
  if (verdict.ok)
    return {
      output: `audit chain intact: ${verdict.rows} row(s); last hash ${verdict.lastHash}`,
      exitCode: 0,
    }
  return {
    output: `audit chain broken at row ${verdict.firstBad.seq}: ${verdict.firstBad.reason} (${verdict.rows} row(s) read)`,
    exitCode: 1,
  }
}
