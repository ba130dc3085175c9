import { PalisadeError } from '@palisade/errors'

/** Base of the SLO package's errors: a stable `code`, whether a retry could help, and the cause. */
export class SloError extends PalisadeError {}

/** One thing wrong with an SLO file, located so that a person can go and fix it. */
export interface SloProblem {
  /** The file (or other source name) the YAML came from. */
  source: string
  /** 1-based index of the YAML document in the file (`---` separates documents). */
  document: number
  /** Where in the document, e.g. `spec.objectives[0].target`; empty for the whole document. */
  path: string
  /** 1-based line and column of the offending node, when the YAML parser knows it. */
  line?: number
  column?: number
  message: string
}

/** Render a problem as `file:line:col (document N, path): message`. */
export function formatSloProblem(problem: SloProblem): string {
  const position = problem.line === undefined ? '' : `:${problem.line}:${problem.column ?? 1}`
  const where =
    problem.path === '' ? `document ${problem.document}` : `document ${problem.document}, ${problem.path}`
  return `${problem.source}${position} (${where}): ${problem.message}`
}

/** SLO definitions that cannot be used; `problems` lists every one found, not only the first. */
export class SloInvalidError extends SloError {
  readonly problems: readonly SloProblem[]
  constructor(problems: readonly SloProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super(
      'SLO_INVALID',
      `invalid SLO definitions (${count}):\n${problems.map((p) => `  - ${formatSloProblem(p)}`).join('\n')}`,
      {
        retriable: false,
      },
    )
    this.problems = problems
  }
}

/** An SLO file or folder that could not be read (missing, not a folder, no permission). */
export class SloLoadError extends SloError {
  constructor(source: string, cause: unknown) {
    super(
      'SLO_LOAD_FAILED',
      `cannot read SLO definitions from ${source}: ${(cause as Error)?.message ?? cause}`,
      {
        retriable: false,
        cause,
      },
    )
  }
}

/** A request named an SLO that is not loaded (the API answers 404). */
export class SloNotFoundError extends SloError {
  constructor(readonly slo: string) {
    super('SLO_NOT_FOUND', `no SLO named "${slo}"`, { retriable: false })
  }
}
