import { spawn } from 'node:child_process'
import { TestHarnessError } from './errors.ts'

/** What `promtool check metrics` said: `ok` when it exited 0 (parsed, and no lint problems). */
export interface PromtoolVerdict {
  ok: boolean
  /** promtool's stdout and stderr: the parse error or the lint problems, one per line. */
  output: string
}

/**
 * Pipe a Prometheus text exposition through `promtool check metrics` (Debian's `prometheus`
 * package), the reference parser and linter: exit 1 is a parse error, 3 lint problems (a counter
 * without `_total`, a metric without HELP). Rejects when promtool itself cannot be run.
 */
export function promtoolCheckMetrics(text: string, binary = '/usr/bin/promtool'): Promise<PromtoolVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.once('error', (error) =>
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new TestHarnessError(
              'TOOL_MISSING',
              `${binary} is missing: install Prometheus (Debian: apt-get install prometheus)`,
              error,
            )
          : error,
      ),
    )
    // promtool may exit on a parse error before reading everything: that is its verdict, not ours.
    child.stdin.on('error', () => {})
    child.once('close', (code) => resolve({ ok: code === 0, output: output.trim() }))
    child.stdin.end(text)
  })
}
