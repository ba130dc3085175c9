// npm run bench:ingest [-- --events N --batch B --concurrency C --history H --rate R --cpu-prof-dir DIR]
//
// HTTP → stored on the embedded default beside the engine's own insert of the same events from a
// file, in one run (see scripts/ingest-bench.ts). `--history` stores that many older flows first,
// to measure ingest (and the exactly-once id look-up) on a table that has grown.
import { parseArgs } from 'node:util'
import { runIngestBench } from './ingest-bench.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '4' },
    history: { type: 'string', default: '0' },
    /** Events a second to send at (default: as fast as they are acknowledged). */
    rate: { type: 'string' },
    /** Write a V8 CPU profile of the palisade process into this folder. */
    'cpu-prof-dir': { type: 'string' },
  },
})

await runIngestBench({
  events: Number(args.events),
  batch: Number(args.batch),
  concurrency: Number(args.concurrency),
  history: Number(args.history),
  rate: args.rate ? Number(args.rate) : undefined,
  cpuProfDir: args['cpu-prof-dir'],
  print: (line) => console.log(line),
})
