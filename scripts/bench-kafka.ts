// npm run bench:kafka [-- --events N --rounds R --batch B --concurrency C --scale X --cpu-prof-dir DIR]
//
// On one real broker and the same realistic flow events: Palisade's collector (HTTP → Kafka,
// acknowledged after acks=all), kafkajs alone with the bus's settings, and Apache Kafka's own Java
// ProducerPerformance as the physical anchor, each rate with its ratios; what reached each topic;
// then the ingester's catch-up on what the collector published, and the rows it stored.
import { parseArgs } from 'node:util'
import { kafkaBenchReport, runKafkaBench } from './kafka-bench.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '4' },
    scale: { type: 'string', default: '0.1' },
    rounds: { type: 'string', default: '3' },
    /** Write a V8 CPU profile of the collector into this folder. */
    'cpu-prof-dir': { type: 'string' },
  },
})
const result = await runKafkaBench({
  events: Number(args.events),
  batch: Number(args.batch),
  concurrency: Number(args.concurrency),
  scale: Number(args.scale),
  rounds: Number(args.rounds),
  ...(args['cpu-prof-dir'] ? { cpuProfDir: args['cpu-prof-dir'] } : {}),
})
console.log(kafkaBenchReport(result))
