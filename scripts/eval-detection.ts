// npm run eval:detection [-- --seed N --days N --scale X --keep]
// npm run eval:detection -- --soak N [--scale X]   (N benign days, no incidents; default scale 0.25)
// npm run eval:detection -- --in-process [...]     (the rules alone, no all-in-one: for iterating)
//
// Detection quality on a labelled scenario: generate several days of a realistic mesh in the real
// wire formats (Hubble, Envoy access logs, OPA decision logs, Okta System Log, Istio metrics) with
// every threat and benign confounder on the last day, replay it through the collector of a real
// all-in-one process in event time, and score the findings against the labels: recall of
// page-worthy incidents, precision of pages, benign pages per day, median time to detect; pages per
// day and per rule. `--soak N`: N days of normal traffic with every habit and confounder and no
// incident (every page is a false one; the aim is at most one a day), at a quarter of the traffic
// unless --scale says otherwise, so that a week replays in minutes.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { scoreReport } from '../apps/palisade/src/evaluation/detection-score.ts'
import { runInProcessEvaluation } from '../apps/palisade/src/evaluation/in-process-evaluation.ts'
import { routerNoiseBudgetReport } from '../apps/palisade/src/evaluation/router-noise-budget.ts'
import { runDetectionEvaluation } from '../apps/palisade/src/evaluation/run-evaluation.ts'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '3' },
    scale: { type: 'string' },
    soak: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
  },
})

let lastTwentieth = -1
const soak = args.soak === undefined ? undefined : Number(args.soak)
if (soak !== undefined && !(Number.isInteger(soak) && soak >= 1)) {
  console.error(`--soak takes a number of days (a whole number >= 1), not ${args.soak}`)
  process.exit(2)
}
const scale = args.scale ? Number(args.scale) : soak !== undefined ? 0.25 : undefined
if (args['in-process']) {
  const fast = await runInProcessEvaluation({
    seed: Number(args.seed),
    days: soak ?? Number(args.days),
    ...(scale !== undefined ? { scale } : {}),
    ...(soak !== undefined ? { incidents: false } : {}),
    log: (line) => console.log(line),
  })
  if (fast.rejected > 0) console.log(`${fast.rejected} records rejected`)
  console.log(`${fast.findings.length} findings, ${fast.score.pages.length} pages\n`)
  console.log(scoreReport(fast.score))
  process.exit(0)
}
const result = await runDetectionEvaluation({
  seed: Number(args.seed),
  days: soak ?? Number(args.days),
  ...(scale !== undefined ? { scale } : {}),
  ...(soak !== undefined ? { incidents: false } : {}),
  keep: args.keep,
  log: (line) => console.log(line),
  onProgress: (progress, scenario) => {
    const done = Math.min(1, (progress.upTo - scenario.start) / (scenario.end - scenario.start))
    const line = `${(done * 100).toFixed(0).padStart(3)}%  ${progress.accepted.toLocaleString()} events  ${new Date(progress.upTo).toISOString()}`
    if (process.stderr.isTTY) process.stderr.write(`\r  ${line}  `)
    else if (Math.floor(done * 20) > lastTwentieth) {
      lastTwentieth = Math.floor(done * 20)
      console.log(`  ${line}  (${Math.round(process.uptime())} s)`)
    }
  },
})
if (process.stderr.isTTY) process.stderr.write('\n')
if (result.rejected > 0) console.log('rejected by reason:', result.rejectedByReason)
console.log(`${result.findings.length} findings, ${result.score.pages.length} pages\n`)
console.log(scoreReport(result.score))
console.log(`\n${routerNoiseBudgetReport(result.routerNoiseBudget)}`)
if (args.keep) {
  writeFileSync(join(result.workDir, 'score.json'), JSON.stringify(result.score, null, 2))
  console.log(`\nscenario, data, findings and score kept in ${result.workDir}`)
}
