// A service for run-service.integration.test.ts: it takes a second to start and says on stdout
// when it starts and when it is stopped, so the test can signal it while it is still starting.
import { createConsoleLog } from '../console-log.ts'
import { runService } from '../run-service.ts'

const startMs = Number(process.argv[2] ?? '1000')
process.stdout.write('starting\n')
await runService('slow-start', createConsoleLog('slow-start'), async () => {
  await new Promise((resolve) => setTimeout(resolve, startMs))
  // Stands for the server a real service keeps open (signal handlers alone keep nothing alive).
  const work = setInterval(() => {}, 60_000)
  return {
    banner: 'started',
    async stop() {
      clearInterval(work)
      process.stdout.write('stopped cleanly\n')
    },
  }
})
