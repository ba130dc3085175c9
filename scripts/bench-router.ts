// npm run bench:router [-- --alerts N --groups N --sample N]
//
// The alert router under a flood: 100,000 active alerts from 5,000 groups, with inhibition rules
// and silences. Prints the flush time, the alerts/s accepted and the RSS, each with its ratio to a
// baseline measured in the same run (the same flood without inhibition and silences; RSS before
// the flood), and the pre-change O(n²) inhibition timed on a sample and extrapolated.
import { parseArgs } from 'node:util'
import { routerBenchReport, runRouterBench } from './router-bench.ts'

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '100000' },
    groups: { type: 'string', default: '5000' },
    sample: { type: 'string', default: '2000' },
  },
})
const result = await runRouterBench({
  alerts: Number(args.alerts),
  groups: Number(args.groups),
  quadraticSample: Number(args.sample),
})
console.log(routerBenchReport(result))
