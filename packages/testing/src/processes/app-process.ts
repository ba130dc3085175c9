import { type LaunchedProcess, launchPalisade } from './launched-process.ts'

/** One standalone app (`palisade <app>`) as a child process, for tests. */
export interface AppProcess extends LaunchedProcess {
  /** The URL its banner printed (its HTTP port: API, or health and metrics). */
  url: string
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | NodeJS.Signals>
}

/**
 * Start `palisade <app>` with `env` (ports 0 = free ports) and wait for its banner's URL.
 * `nodeArgs` go to node itself (`--cpu-prof` for a profile).
 */
export async function startAppProcess(
  app: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<AppProcess> {
  const launched = await launchPalisade(
    [app],
    env,
    (stdout) => {
      // The banner's last URL is the app's own (an earlier one may be ClickHouse's).
      const banner = stdout.split('\n').find((line) => / on http:\/\//.test(line))
      return banner?.match(/http:\/\/127\.0\.0\.1:\d+/g)?.at(-1)
    },
    nodeArgs,
  )
  const { child, exited } = launched
  return {
    ...launched,
    url: launched.ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
