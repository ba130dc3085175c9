import type { BuiltIntent } from './intent-documents.ts'
import { formatIntentProblem } from './intent-problem.ts'

const list = (items: readonly string[], empty = 'none') => (items.length > 0 ? items.join(', ') : empty)

/** A person's summary of a loaded intent directory: what it declares, then what is wrong with it. */
export function formatIntentReport(dir: string, loaded: BuiltIntent & { files: string[] }): string {
  const { summary, problems } = loaded
  const lines: string[] = []
  const total = Object.values(summary.documents).reduce((sum, count) => sum + count, 0)
  lines.push(`Intent in ${dir}: ${loaded.files.length} file(s), ${total} document(s) used`)
  const kinds = Object.entries(summary.documents).map(([kind, count]) => `${kind} ${count}`)
  lines.push(`  documents:   ${list(kinds)}`)
  lines.push(`  namespaces:  ${list(summary.namespaces)}`)
  const tenants = Object.entries(summary.tenants).map(([namespace, tenant]) => `${namespace} → ${tenant}`)
  lines.push(`  tenants:     ${list(tenants, 'none declared')}`)
  if (summary.mtls.length === 0) lines.push('  mTLS:        none declared (Istio default: PERMISSIVE)')
  for (const [index, mtls] of summary.mtls.entries()) {
    const ports = mtls.ports.map(([port, mode]) => `port ${port} ${mode}`)
    const exceptions = ports.length > 0 ? ` (${ports.join(', ')})` : ''
    lines.push(
      `  ${index === 0 ? 'mTLS:       ' : '            '} ${mtls.scope}: ${mtls.mode === 'UNSET' ? 'UNSET (inherits)' : mtls.mode}${exceptions} — ${mtls.by}`,
    )
  }
  const egress = summary.egress.map(({ target, ports }) => (ports ? `${target}:${ports.join('/')}` : target))
  lines.push(`  egress:      ${list(egress, 'none declared')}`)
  const corporate = [...summary.corporate.cidrs, ...summary.corporate.asns.map((asn) => `AS${asn}`)]
  lines.push(`  corporate:   ${list(corporate, 'none declared')}`)
  lines.push(`  sensitive:   ${list(summary.sensitive, 'none declared')}`)
  lines.push(`  monitoring:  ${list(summary.monitoring, 'none declared')}`)
  lines.push(`  known drops: ${summary.knownDrops}`)
  if (summary.changes.length === 0) lines.push('  changes:     none declared')
  for (const [index, change] of summary.changes.entries()) {
    const window = `${new Date(change.from).toISOString()} → ${new Date(change.to).toISOString()}`
    const about = change.description ? ` ${change.description}` : ''
    lines.push(`  ${index === 0 ? 'changes:    ' : '            '} ${change.id} ${window}${about}`)
  }
  const errors = problems.filter((problem) => problem.level === 'error')
  const warnings = problems.filter((problem) => problem.level === 'warning')
  lines.push('')
  if (problems.length === 0) lines.push('No problems.')
  else lines.push(`${errors.length} error(s), ${warnings.length} warning(s):`)
  for (const problem of [...errors, ...warnings])
    lines.push(`  ${problem.level}: ${formatIntentProblem(problem)}`)
  return lines.join('\n')
}
