import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const launcher = fileURLToPath(new URL('../../bin/palisade.mjs', import.meta.url))

/** A `palisade start` child process, as a user runs it, for tests. */
export interface PalisadeProcess {
  child: ChildProcess
  collectorUrl: string
  dashboardUrl: string
  output: () => string
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals>
}

/**
 * Start `palisade <command>` with the given environment (ports 0 = free ports) and wait for its
 * URLs. `nodeArgs` go to node itself (`--cpu-prof` for a benchmark's profile, say).
 */
export async function startPalisadeProcess(
  env: Record<string, string>,
  command = 'start',
  nodeArgs: string[] = [],
): Promise<PalisadeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, launcher, command], {
    env: { ...process.env, PALISADE_COLLECTOR_PORT: '0', PALISADE_DASHBOARD_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  )
  const urls = await new Promise<{ collectorUrl: string; dashboardUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`palisade did not start in 60 s:\n${output}`)), 60_000)
    const check = () => {
      const collector = /collector\s+(http:\/\/\S+)/.exec(output)
      const dashboard = /dashboard\s+(http:\/\/\S+)/.exec(output)
      if (collector && dashboard) {
        clearTimeout(timer)
        resolve({ collectorUrl: collector[1]!, dashboardUrl: dashboard[1]! })
      }
    }
    child.stdout!.on('data', check)
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`palisade exited (${code}) before it was ready:\n${output}`))
    })
  })
  return { child, ...urls, output: () => output, exited }
}
