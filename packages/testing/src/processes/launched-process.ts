import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { testEnvironment } from '../config.ts'
import { TestHarnessError } from '../errors.ts'

const launcher = fileURLToPath(new URL('../../../../apps/palisade/bin/palisade.mjs', import.meta.url))

/** A `palisade ...` child process, as a user runs it, for tests and benchmarks. */
export interface LaunchedProcess {
  child: ChildProcess
  output: () => string
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals>
}

/**
 * Start `palisade <args>` and wait until `ready(stdout)` finds what it looks for (its URLs). The
 * child inherits this process's environment (PATH, HOME and the like) with `env` on top; every
 * port defaults to 0, a free one. `nodeArgs` go to node itself (`--cpu-prof` for a profile).
 */
export async function launchPalisade<T>(
  args: string[],
  env: Record<string, string>,
  ready: (stdout: string) => T | undefined,
  nodeArgs: string[] = [],
): Promise<LaunchedProcess & { ready: T }> {
  // The young generation `npm start` and the image give it (see apps/palisade/bin/palisade.mjs).
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...nodeArgs, launcher, ...args], {
    env: {
      ...testEnvironment(),
      PALISADE_COLLECTOR_PORT: '0',
      PALISADE_DASHBOARD_PORT: '0',
      PALISADE_INGESTER_PORT: '0',
      PALISADE_DETECTOR_PORT: '0',
      PALISADE_ALERT_ROUTER_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let output = ''
  child.stdout!.on('data', (chunk) => {
    stdout += chunk
    output += chunk
  })
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  )
  const found = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new TestHarnessError('PROCESS_NOT_READY', `palisade ${args[0]} did not start in 60 s:\n${output}`),
        ),
      60_000,
    )
    child.stdout!.on('data', () => {
      const value = ready(stdout)
      if (value !== undefined) {
        clearTimeout(timer)
        resolve(value)
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      reject(
        new TestHarnessError(
          'PROCESS_NOT_READY',
          `palisade ${args[0]} exited (${code}) before it was ready:\n${output}`,
        ),
      )
    })
  })
  return { child, output: () => output, exited, ready: found }
}
