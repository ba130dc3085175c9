import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { createHuntTestRunner, migrate, migrationsDir, openClickHouse } from '@palisade/clickhouse'
import { formatDeclarationProblem, readRisk } from '@palisade/declarations'
import { detectorCatalog } from '@palisade/detectors'
import {
  compileRules,
  fixtureReader,
  formatRuleProblem,
  type RuleTestResult,
  readRuleSources,
  runHuntRuleTests,
  runRuleTests,
} from '@palisade/rules'
import { CliUsageError } from './cli-args.ts'

/** What a `palisade rules` command printed and how it ends. */
export interface CommandOutcome {
  output: string
  exitCode: number
}

/** Arguments of `palisade rules <test|lint>`. */
export interface RulesArgs {
  action: 'test' | 'lint'
  rulesDir: string
  /** Only the rules whose id starts with this. */
  rule: string | undefined
  /** `lint --list`: print the detector types rules can use. */
  list: boolean
}

/** Pure: parse `rules` arguments; the folder defaults to `<alerts>/rules`. */
export function parseRulesArgs(argv: string[], defaultDir: string): RulesArgs {
  let parsed: ReturnType<typeof parseRulesOptions>
  try {
    parsed = parseRulesOptions(argv)
  } catch (error) {
    throw new CliUsageError((error as Error).message)
  }
  const [action, ...rest] = parsed.positionals
  if ((action !== 'test' && action !== 'lint') || rest.length > 0)
    throw new CliUsageError(
      'usage: palisade rules <test|lint> [--dir alerts/rules] [--rule id-prefix] [--list], or palisade rules noise --help',
    )
  return {
    action,
    rulesDir: parsed.values.dir ?? defaultDir,
    rule: parsed.values.rule,
    list: parsed.values.list ?? false,
  }
}

function parseRulesOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' }, rule: { type: 'string' }, list: { type: 'boolean', default: false } },
  })
}

/** One line per test, then the totals; failures indented under their test. */
export function testReport(results: RuleTestResult[]): string {
  const lines = results.flatMap((result) => [
    `${result.passed ? 'ok  ' : 'FAIL'} ${result.rule} › ${result.test}`,
    ...result.failures.map((failure) => `       ${failure}`),
  ])
  const failed = results.filter((result) => !result.passed).length
  const rules = new Set(results.map((result) => result.rule)).size
  lines.push(
    '',
    `${results.length - failed} passed, ${failed} failed (${results.length} tests of ${rules} rules)`,
  )
  return lines.join('\n')
}

/**
 * `palisade rules lint`: every problem of the rule files and of `risk.yaml` beside them, or a count.
 * `palisade rules test`: lint, then every rule's inline tests (fixtures read relative to each
 * rule file, through the real format parsers). Exit 1 on any problem or failed test.
 */
export async function runRulesCommand(args: RulesArgs, cwd = process.cwd()): Promise<CommandOutcome> {
  if (args.list) {
    const width = Math.max(...detectorCatalog.map((type) => type.name.length))
    return {
      output: detectorCatalog.map((type) => `${type.name.padEnd(width)}  ${type.description}`).join('\n'),
      exitCode: 0,
    }
  }
  const sources = await readRuleSources(args.rulesDir, cwd)
  const { rules, problems } = compileRules(sources, detectorCatalog)
  const lint = problems.map(formatRuleProblem)
  const riskFile = join(args.rulesDir, '..', 'risk.yaml')
  // A rules folder outside alerts/ has no risk.yaml beside it: only a file that is there is linted.
  const risk = readRisk(riskFile).problems.filter((problem) => problem.line !== undefined)
  lint.push(
    ...risk.map((problem) => formatDeclarationProblem({ ...problem, file: relative(cwd, problem.file) })),
  )
  const selected = rules.filter(
    (rule) => args.rule === undefined || rule.declaration.id.startsWith(args.rule),
  )
  if (args.action === 'lint' || lint.length > 0) {
    const tests = selected.reduce((sum, rule) => sum + rule.declaration.tests.length, 0)
    return lint.length > 0
      ? {
          output: `${lint.join('\n')}\n\n${lint.length} problem(s) in ${sources.length} rule file(s)`,
          exitCode: 1,
        }
      : {
          output: `${selected.length} rules in ${sources.length} files lint clean (${tests} inline tests)`,
          exitCode: 0,
        }
  }
  const streaming = selected.filter((rule) => rule.declaration.detector !== 'hunt')
  const results = streaming.flatMap((rule) => runRuleTests(rule, fixtureReader(cwd)))
  results.push(
    ...(await huntRuleResults(
      selected.filter((rule) => !streaming.includes(rule)),
      cwd,
    )),
  )
  return { output: testReport(results), exitCode: results.every((result) => result.passed) ? 0 : 1 }
}

/**
 * Hunt rules' tests need the engine: they run on an embedded store in a scratch directory, made
 * for this command and removed after it, never on the deployment's data.
 */
async function huntRuleResults(
  rules: Parameters<typeof runHuntRuleTests>[0][],
  cwd: string,
): Promise<RuleTestResult[]> {
  if (rules.length === 0) return []
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-hunt-tests-'))
  const client = await openClickHouse({ kind: 'embedded', dataDir })
  try {
    await migrate(client, { dir: migrationsDir })
    const run = createHuntTestRunner(client)
    const results: RuleTestResult[] = []
    for (const rule of rules) results.push(...(await runHuntRuleTests(rule, run, fixtureReader(cwd))))
    return results
  } finally {
    await client.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
