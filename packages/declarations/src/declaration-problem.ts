/** One thing wrong with a declaration file, located so that a person can open the file and fix it. */
export interface DeclarationProblem {
  /** The file (or folder, when it cannot be read). */
  file: string
  /** 1-based line of the offending node; absent only when the file itself cannot be read. */
  line?: number
  message: string
}

/** Render a problem as `file:line: what` (`file: what` for a file that cannot be read). */
export function formatDeclarationProblem(problem: DeclarationProblem): string {
  return `${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`
}
