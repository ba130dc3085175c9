import { spawn } from 'node:child_process'
import { TestHarnessError } from '../errors.ts'

/** What a finished command left: its exit code (null when a signal ended it) and stdout+stderr. */
export interface CommandResult {
  code: number | null
  output: string
}

/**
 * Run `command args` to completion, collecting stdout and stderr together. Rejects with the spawn
 * error (`code: 'ENOENT'` when the command is not installed), or when it runs longer than
 * `timeoutMs` (default 10 min), after killing it.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const timeoutMs = options.timeoutMs ?? 600_000
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new TestHarnessError(
          'COMMAND_TIMEOUT',
          `${command} ${args.join(' ')} ran longer than ${timeoutMs} ms:\n${tail(output)}`,
        ),
      )
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
