// npm run bench:detect [-- --seed N --days N --scale X --hours H]
//
// Detector throughput on the generated scenario, beside the collector's, per rule, and the
// detectors' lag behind the collector over time while the all-in-one takes the scenario as fast as
// it can (see detect-bench.ts). One run, figures side by side.
import { parseArgs } from 'node:util'
import { detectBenchReport, runDetectBench } from './detect-bench.ts'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '3' },
    scale: { type: 'string' },
    /** Only the first H hours of the scenario. */
    hours: { type: 'string' },
  },
})
console.log('generating the scenario...')
const result = await runDetectBench({
  seed: Number(args.seed),
  days: Number(args.days),
  ...(args.scale ? { scale: Number(args.scale) } : {}),
  ...(args.hours ? { hours: Number(args.hours) } : {}),
})
console.log(detectBenchReport(result))
