import { type Detector, type DetectorType, type RuleState, withNoiseControl } from '@palisade/detectors'
import type { DeclaredIntent } from '@palisade/intent'
import { parseDocument } from 'yaml'
import type { z } from 'zod'
import { type RuleDeclaration, ruleFileSchema } from './rule-file.ts'

/** A rule file's text and where it came from. */
export interface RuleSource {
  path: string
  text: string
}

/** Something wrong in a rule file, said so that its author can fix it. */
export interface RuleProblem {
  file: string
  /** Rule id, when the problem is in one rule. */
  rule?: string
  /** Where in the file, such as `rules[2].params.window`. */
  at: string
  message: string
}

/** A rule ready to run: its declaration, and its detector for an intent (tests bring their own). */
export interface CompiledRule {
  file: string
  declaration: RuleDeclaration
  /** The detector with the rule's noise controls, for the given intent. */
  instantiate(intent: DeclaredIntent): Detector<RuleState>
}

function describePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
    '',
  )
}

function issueProblems(
  file: string,
  prefix: string,
  issues: readonly z.core.$ZodIssue[],
  rule?: string,
): RuleProblem[] {
  return issues.flatMap((issue) => {
    const at = [prefix, describePath(issue.path)].filter(Boolean).join('.')
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        ...(rule ? { rule } : {}),
        at: at ? `${at}.${key}` : key,
        message: `unknown field '${key}'`,
      }))
    }
    return [{ file, ...(rule ? { rule } : {}), at: at || '(file)', message: issue.message }]
  })
}

/** Replace `$name` strings (whole values or array items) by the file's list of that name. */
function resolveLists(
  value: unknown,
  lists: Record<string, (string | number)[]>,
  missing: Set<string>,
): unknown {
  if (typeof value === 'string' && value.startsWith('$')) {
    const list = lists[value.slice(1)]
    if (list === undefined) missing.add(value.slice(1))
    return list ?? value
  }
  if (Array.isArray(value))
    return value.flatMap((item) => {
      const resolved = resolveLists(item, lists, missing)
      return typeof item === 'string' && item.startsWith('$') && Array.isArray(resolved)
        ? resolved
        : [resolved]
    })
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveLists(v, lists, missing)]))
  return value
}

/**
 * Read rule files: YAML, the rule-file schema (unknown fields, bad durations), each rule's detector
 * type and its params (strict), lists, tests (every rule needs a test that must fire and one that
 * must not), unique ids. Pure: the texts are given. Rules with problems are left out.
 */
export function compileRules(
  sources: readonly RuleSource[],
  catalog: readonly DetectorType[],
): { rules: CompiledRule[]; problems: RuleProblem[] } {
  const types = new Map(catalog.map((type) => [type.name, type]))
  const problems: RuleProblem[] = []
  const rules: CompiledRule[] = []
  const seen = new Map<string, string>()
  for (const { path: file, text } of sources) {
    const document = parseDocument(text, { prettyErrors: true })
    if (document.errors.length > 0) {
      for (const error of document.errors)
        problems.push({
          file,
          at: `line ${error.linePos?.[0]?.line ?? '?'}`,
          message: error.message.split('\n')[0]!,
        })
      continue
    }
    const raw = document.toJS() as { rules?: { id?: unknown }[] } | null
    const parsed = ruleFileSchema.safeParse(raw)
    if (!parsed.success) {
      // Name the rule of each problem when the file says which it is.
      for (const problem of issueProblems(file, '', parsed.error.issues)) {
        const index = /^rules\[(\d+)\]/.exec(problem.at)?.[1]
        const id = index === undefined ? undefined : raw?.rules?.[Number(index)]?.id
        problems.push(typeof id === 'string' ? { ...problem, rule: id } : problem)
      }
      continue
    }
    parsed.data.rules.forEach((declaration, index) => {
      const at = `rules[${index}]`
      const rule = declaration.id
      const before = problems.length
      const problem = (where: string, message: string) =>
        problems.push({ file, rule, at: `${at}.${where}`, message })
      const elsewhere = seen.get(rule)
      if (elsewhere !== undefined) problem('id', `rule id '${rule}' is already used in ${elsewhere}`)
      seen.set(rule, file)
      const type = types.get(declaration.detector)
      if (type === undefined) {
        problem(
          'detector',
          `unknown detector '${declaration.detector}'; known: ${[...types.keys()].sort().join(', ')}`,
        )
        return
      }
      const missing = new Set<string>()
      const params = type.params.safeParse(resolveLists(declaration.params, parsed.data.lists, missing))
      for (const name of missing) problem('params', `unknown list '$${name}' (declare it under lists:)`)
      if (!params.success) problems.push(...issueProblems(file, `${at}.params`, params.error.issues, rule))
      if (!declaration.tests.some((test) => test.expect.length > 0))
        problem('tests', 'no test that must fire: add a test whose expect lists the finding')
      if (!declaration.tests.some((test) => test.expect.length === 0))
        problem('tests', 'no test that must not fire: add a test with `expect: []` (a benign look-alike)')
      for (const name of declaration.group_by) {
        if (!/^[a-z][a-z0-9_]*$/.test(name)) problem('group_by', `'${name}' is not an entity name`)
      }
      if (problems.length > before || !params.success) return
      const settings = params.data
      rules.push({
        file,
        declaration,
        instantiate: (intent) =>
          withNoiseControl(
            type.create({
              id: rule,
              title: declaration.title,
              severity: declaration.severity,
              params: settings,
              intent,
            }),
            {
              dedupPeriodMs: declaration.dedup_period,
              groupBy: declaration.group_by,
              runbookUrl: declaration.runbook_url,
              mitre: declaration.mitre,
            },
          ),
      })
    })
  }
  return { rules, problems }
}

/** Where in its file a problem is, with the rule's id: `rules[2] (identity.spray).params.window`. */
export function ruleProblemPlace(problem: RuleProblem): string {
  return problem.rule ? problem.at.replace(/^(rules\[\d+\])/, `$1 (${problem.rule})`) : problem.at
}

/** A problem as one line: `alerts/rules/identity.yaml: rules[2] (identity.spray).params.window: bad duration ...`. */
export function formatRuleProblem(problem: RuleProblem): string {
  return `${problem.file}: ${ruleProblemPlace(problem)}: ${problem.message}`
}
