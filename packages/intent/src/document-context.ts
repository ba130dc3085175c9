import type { z } from 'zod'
import type { IntentProblem } from './intent-problem.ts'
import {
  compileSelector,
  type LabelSelectorInput,
  type SelectorScope,
  selectorHint,
  type WorkloadSelector,
} from './workload-selector.ts'

/** A path into a document: `['spec', 'ingress', 0, 'ports']`. */
export type DocumentPath = readonly (string | number)[]

/** Line of the node at `path`, when the document came from a parsed file. */
export type Locate = (path: DocumentPath) => number | undefined

/** Render `spec.ingress[0].ports[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = ''
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`
    else text += text === '' ? String(part) : `.${String(part)}`
  }
  return text
}

/**
 * What the compilers of one document share: its identity for verdicts (`Kind/namespace/name`), its
 * source for problems, and a problem sink that locates paths and says each warning topic once.
 */
export class DocumentContext {
  private readonly topics = new Set<string>()

  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly name: string,
    readonly source: string,
    private readonly problems: IntentProblem[],
    private readonly locate: Locate | undefined,
  ) {}

  /** `Kind/namespace/name` (`Kind/name` when cluster-scoped), as verdicts name the declaration that decided. */
  get id(): string {
    return this.namespace ? `${this.kind}/${this.namespace}/${this.name}` : `${this.kind}/${this.name}`
  }

  report(path: DocumentPath, message: string, level: IntentProblem['level'] = 'error'): void {
    this.problems.push(this.problem(path, message, level))
  }

  /** A located problem, not yet reported. */
  problem(path: DocumentPath, message: string, level: IntentProblem['level'] = 'error'): IntentProblem {
    const where = formatPath(path)
    const problem: IntentProblem = {
      source: this.source,
      message: where ? `${where}: ${message}` : message,
      level,
    }
    const line = this.locate?.(path)
    if (line !== undefined) problem.line = line
    return problem
  }

  /** Report problems in line order (Zod lists unknown fields last). */
  reportAll(problems: IntentProblem[]): void {
    const byLine = (problem: IntentProblem) => problem.line ?? Number.MAX_SAFE_INTEGER
    this.problems.push(...problems.sort((a, b) => byLine(a) - byLine(b)))
  }

  /** Report a warning once per document and topic (say, one unknown selector label). */
  warnOnce(topic: string, path: DocumentPath, message: string): void {
    if (this.topics.has(topic)) return
    this.topics.add(topic)
    this.report(path, message, 'warning')
  }

  /** Compile a selector; a label no workload identity answers is reported once per document. */
  selector(
    input: LabelSelectorInput | undefined,
    scope: SelectorScope,
    path: DocumentPath,
  ): WorkloadSelector {
    const selector = compileSelector(input, scope)
    const label = selector.unknownLabels[0]
    if (label !== undefined)
      this.warnOnce(
        'selector-label',
        path,
        `selector label ${label} cannot be matched to workload identities; ${selectorHint(scope)} ` +
          '(selectors using it are treated as matching nothing)',
      )
    return selector
  }
}

/** Fields a strict schema accepts at `path`, for "did you mean" hints; empty when unknown. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  // Zod 4 exposes each schema's definition under `_zod.def`; only the shapes we use are walked.
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition objects
  let current: any = schema
  const unwrap = () => {
    for (let guard = 0; guard < 10 && current?._zod?.def; guard += 1) {
      const def = current._zod.def
      if (def.innerType) current = def.innerType
      else if (def.type === 'pipe') current = def.in
      else break
    }
  }
  for (const part of path) {
    unwrap()
    const def = current?._zod?.def
    if (!def) return []
    if (def.type === 'object') current = def.shape[part as string]
    else if (def.type === 'array') current = def.element
    else if (def.type === 'record') current = def.valueType
    else return []
  }
  unwrap()
  const def = current?._zod?.def
  return def?.type === 'object' ? Object.keys(def.shape) : []
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j += 1) {
      const saved = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = saved
    }
  }
  return row[b.length]!
}

function readableMessage(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_type') {
    let value: unknown = input
    for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part]
    if (value === undefined) return 'is required'
    return issue.message.replace(/^Invalid input: /, '')
  }
  if (issue.code === 'invalid_value')
    return `expected one of ${issue.values.map((value) => String(value)).join(', ')}`
  return issue.message.replace(/^Invalid (input|option): /, '')
}

/** Turn a failed parse into located problems; unknown fields get the accepted ones (and a guess). */
export function reportSchemaIssues(
  context: DocumentContext,
  schema: z.ZodType,
  error: z.ZodError,
  input: unknown,
): void {
  const found: IntentProblem[] = []
  for (const issue of error.issues) {
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol')
    if (issue.code === 'unrecognized_keys') {
      const accepted = knownKeys(schema, path)
      for (const key of issue.keys) {
        const guess = accepted
          .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
          .filter(({ distance }) => distance <= Math.max(2, Math.floor(key.length / 3)))
          .sort((a, b) => a.distance - b.distance)[0]
        const hint = guess ? ` (did you mean ${guess.candidate}?)` : ''
        const known = accepted.length > 0 ? `; known fields: ${accepted.join(', ')}` : ''
        found.push(context.problem([...path, key], `unknown field${hint}${known}`))
      }
      continue
    }
    found.push(context.problem(path, readableMessage(issue, input)))
  }
  context.reportAll(found)
}
