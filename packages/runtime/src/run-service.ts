import { PalisadeError } from '@palisade/errors'
import type { Log } from './console-log.ts'
import { stopTraceExport } from './trace-export.ts'

/** A started service: what to print for its user, and how to stop it cleanly. */
export interface RunningService {
  banner: string
  stop(): Promise<void>
}

/**
 * Run a service until SIGINT or SIGTERM, then stop it (finish in-flight work, flush, export the
 * last trace spans when `startTraceExport` registered an export) and exit 0.
 * A Palisade error a retry cannot help (invalid configuration or declarations: every problem is in its
 * message) prints that message and exits 2; any other failure to start is logged and exits 1.
 */
export async function runService(
  name: string,
  log: Log,
  start: () => Promise<RunningService>,
): Promise<void> {
  // Handlers go in before anything starts: a SIGTERM that arrives while the service starts (or in
  // the instant after its banner is printed) must stop it cleanly, not kill it with the default action.
  let running: RunningService | undefined
  let signalled: string | undefined
  const stopRunning = (service: RunningService, signal: string) => {
    log.info(`${signal}: finishing in-flight work and stopping`)
    service
      .stop()
      // Spans of the last requests are still buffered: flush them before the process ends.
      .then(() => stopTraceExport())
      .then(
        () => process.exit(0),
        (error) => {
          log.error('shutdown failed', error)
          process.exit(1)
        },
      )
  }
  const shutdown = (signal: string) => {
    if (signalled) return
    signalled = signal
    if (running) stopRunning(running, signal)
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  try {
    running = await start()
  } catch (error) {
    if (error instanceof PalisadeError && !error.retriable) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    log.error(`${name} failed to start`, error)
    process.exit(1)
  }
  process.stdout.write(`${running.banner}\n`)
  // Signalled while starting: stop now that there is something to stop.
  if (signalled) stopRunning(running, signalled)
}
