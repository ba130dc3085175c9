// npm run bench:query [-- --sizes 5000000,50000000 --runs 20 --span-days 7 --data-dir DIR --only slos,gates]
//
// p50/p95 of every dashboard panel and API route at each size of stored history, and the ratio of
// the largest size's p95 to the smallest's; the raw service graph (before the edge rollups) is
// timed beside them as the run's own baseline. Events are generated inside the engine
// (INSERT … SELECT from numbers(), see insertSyntheticEvents).
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { queryBenchReport, runQueryBench } from './query-bench.ts'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000000,50000000' },
    runs: { type: 'string', default: '20' },
    'span-days': { type: 'string', default: '7' },
    // Keep each size's store under DIR and reuse it next time (loading 50 M takes a while).
    'data-dir': { type: 'string' },
    // Time only the routes whose label contains one of these, comma-separated (e.g. slos,gates).
    only: { type: 'string' },
  },
})
const sizes = String(args.sizes)
  .split(',')
  .map((size) => Number(size.trim()))
if (sizes.some((size) => !Number.isInteger(size) || size <= 0))
  throw new Error('--sizes: positive integers, comma-separated')

const result = await runQueryBench({
  sizes,
  runs: Number(args.runs),
  spanDays: Number(args['span-days']),
  ...(args['data-dir'] ? { dataDir: resolve(String(args['data-dir'])) } : {}),
  ...(args.only ? { only: String(args.only).split(',') } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
})
process.stdout.write(`${queryBenchReport(result)}\n`)
