// npm run bench:router [-- --alerts N --groups N --sample N --am-batched N --am-single N --am-rounds N --cpu-prof-dir DIR --no-alertmanager]
//
// The alert router under a flood: 100,000 active alerts from 5,000 groups, with inhibition rules
// and silences. Prints the flush time, the alerts/s accepted and the RSS, each with its ratio to a
// baseline measured in the same run (the same flood without inhibition and silences; RSS before
// the flood), and the pre-change O(n²) inhibition timed on a sample and extrapolated.
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { routerBenchReport, runRouterBench } from './router-bench.ts'
import { alertmanagerBinary, runSideBySide, sideBySideReport } from './router-vs-alertmanager.ts'

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '100000' },
    groups: { type: 'string', default: '5000' },
    sample: { type: 'string', default: '2000' },
    // The side-by-side run against a real Alertmanager (skipped when it is not installed).
    'am-batched': { type: 'string', default: '20000' },
    'am-single': { type: 'string', default: '2000' },
    // Each system runs once per round, in turn; its best round counts (a shared machine's bursts).
    'am-rounds': { type: 'string', default: '2' },
    // A CPU profile of each Palisade bench server process, to open in Chrome's DevTools.
    'cpu-prof-dir': { type: 'string' },
    'no-alertmanager': { type: 'boolean', default: false },
  },
})
const result = await runRouterBench({
  alerts: Number(args.alerts),
  groups: Number(args.groups),
  quadraticSample: Number(args.sample),
})
console.log(routerBenchReport(result))
if (args['no-alertmanager']) {
  // Asked not to.
} else if (!existsSync(alertmanagerBinary)) {
  console.log(
    `side by side with Alertmanager: skipped, ${alertmanagerBinary} is not installed (apt-get install prometheus-alertmanager)`,
  )
} else {
  const sideBySide = await runSideBySide({
    batched: Number(args['am-batched']),
    single: Number(args['am-single']),
    burst: 2000,
    concurrency: 8,
    rounds: Number(args['am-rounds']),
    ...(args['cpu-prof-dir'] ? { cpuProfileDir: args['cpu-prof-dir'] } : {}),
  })
  console.log(sideBySideReport(sideBySide, Number(args['am-rounds'])))
}
