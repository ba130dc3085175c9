import { PalisadeError } from '@palisade/errors'
import { type DeclarationProblem, formatDeclarationProblem } from './declaration-problem.ts'

/** Base of the declarations package's errors: a stable `code`, whether a retry could help, and the cause. */
export class DeclarationsError extends PalisadeError {}

/**
 * Declarations that cannot be used: every problem of every file (routing, rules, intent, risk, SLOs,
 * dashboards) at once, each as `file:line: what`. Thrown before anything is opened or started.
 */
export class DeclarationsInvalidError extends DeclarationsError {
  readonly problems: readonly DeclarationProblem[]
  constructor(problems: readonly DeclarationProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super(
      'DECLARATIONS_INVALID',
      `invalid declarations (${count}):\n${problems.map((p) => `  - ${formatDeclarationProblem(p)}`).join('\n')}`,
      { retriable: false },
    )
    this.problems = problems
  }
}

/** An intent directory that cannot be read (missing, not a directory, no permission). */
export class IntentDirectoryError extends DeclarationsError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const reason =
      (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? 'no such directory'
        : String((cause as Error)?.message ?? cause)
    super('INTENT_DIRECTORY_UNREADABLE', `cannot read intent directory ${path}: ${reason}`, {
      retriable: false,
      cause,
    })
  }
}
