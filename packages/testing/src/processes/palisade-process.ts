import { type LaunchedProcess, launchPalisade } from './launched-process.ts'

/** A `palisade start` (or `demo`) child process, with the URLs it printed. */
export interface PalisadeProcess extends LaunchedProcess {
  collectorUrl: string
  dashboardUrl: string
}

/**
 * Start `palisade <command>` (the all-in-one) with the given environment (ports 0 = free ports)
 * and wait for its URLs. `nodeArgs` go to node itself (`--cpu-prof` for a benchmark's profile).
 */
export async function startPalisadeProcess(
  env: Record<string, string>,
  command = 'start',
  nodeArgs: string[] = [],
): Promise<PalisadeProcess> {
  const launched = await launchPalisade(
    [command],
    env,
    (stdout) => {
      const collector = /collector\s+(http:\/\/\S+)/.exec(stdout)
      const dashboard = /dashboard\s+(http:\/\/\S+)/.exec(stdout)
      return collector && dashboard ? { collectorUrl: collector[1]!, dashboardUrl: dashboard[1]! } : undefined
    },
    nodeArgs,
  )
  return { ...launched, ...launched.ready }
}
