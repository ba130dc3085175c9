import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const launcher = fileURLToPath(new URL('../../bin/palisade.mjs', import.meta.url))

/** One standalone app (`palisade <app>`) as a child process, for tests. */
export interface AppProcess {
  child: ChildProcess
  /** The URL its banner printed (its HTTP port: API, or health and metrics). */
  url: string
  output: () => string
  exited: Promise<number | NodeJS.Signals>
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | NodeJS.Signals>
}

/** Start `palisade <app>` with `env` (ports 0 = free ports) and wait for its banner's URL. */
export async function startAppProcess(app: string, env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, [launcher, app], {
    env: {
      ...process.env,
      PALISADE_COLLECTOR_PORT: '0',
      PALISADE_DASHBOARD_PORT: '0',
      PALISADE_INGESTER_PORT: '0',
      PALISADE_DETECTOR_PORT: '0',
      PALISADE_ALERT_ROUTER_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  )
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start in 60 s:\n${output}`)), 60_000)
    child.stdout!.on('data', () => {
      // The banner's last URL is the app's own (an earlier one may be ClickHouse's).
      const banner = output.split('\n').find((line) => / on http:\/\//.test(line))
      const urls = banner?.match(/http:\/\/127\.0\.0\.1:\d+/g)
      if (urls) {
        clearTimeout(timer)
        resolve(urls.at(-1)!)
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${app} exited (${code}) before it was ready:\n${output}`))
    })
  })
  return {
    child,
    url,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
