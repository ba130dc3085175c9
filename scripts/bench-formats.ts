// npm run bench:formats [-- --records N]
//
// Records per second through each wire format's parser and the event model's validation, on the
// shared fixtures scaled up to about N records (default 200,000), beside our native NDJSON on the
// benches' realistic flow events. One process, one run, side by side (see formats-bench.ts).
import { parseArgs } from 'node:util'
import { formatsBenchReport, runFormatsBench } from './formats-bench.ts'

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '200000' } } })
console.log(formatsBenchReport(runFormatsBench(Number(args.records))))
