import { readFileSync } from 'node:fs'
import type { DeclarationProblem } from './declaration-problem.ts'

/** A declaration file's text, or the problem that it cannot be read (missing, a folder, no permission). */
export function readText(file: string): { text: string } | { problem: DeclarationProblem } {
  try {
    return { text: readFileSync(file, 'utf8') }
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    return { problem: { file, message: `cannot read: ${reason}` } }
  }
}

/** The line a YAML parser's message names (`... at line 4, column 2`), if it names one. */
export function lineInMessage(message: string): number | undefined {
  const line = /at line (\d+)/.exec(message)?.[1]
  return line === undefined ? undefined : Number(line)
}
