// npm run eval:independent [-- --seed N --days N --services N --scale X --keep --in-process]
//
// Detection quality on a scenario the detectors' authors did not shape: a labelled scenario written
// from the sources' documentation and real samples (@palisade/independent-scenario: Hubble, Istio
// access logs, opa-envoy-plugin decisions, Okta System Log; hand-written NetworkPolicy /
// PeerAuthentication / AuthorizationPolicy / PalisadeIntent), replayed in event time through the
// collector of a real all-in-one whose PagerDuty receiver points at a local sink. Scored by entity
// and time, never by rule id: recall of page-worthy incidents, precision of pages, pages on benign
// confounders and benign days, median time to detect; both for page findings grouped as the router
// groups them (event time) and for what PagerDuty received. `--in-process`: the rules alone.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { independentScoreReport } from '@palisade/independent-scenario'
import { runIndependentEvaluation } from '../apps/palisade/src/evaluation/independent-evaluation.ts'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '3' },
    services: { type: 'string', default: '21' },
    scale: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
  },
})

let lastTwentieth = -1
const result = await runIndependentEvaluation({
  seed: Number(args.seed),
  days: Number(args.days),
  services: Number(args.services),
  scale: Number(args.scale),
  keep: args.keep,
  inProcess: args['in-process'],
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
console.log(
  `${result.records.toLocaleString()} records, ${result.accepted.toLocaleString()} events stored, ${result.rejected} rejected${result.rejected ? ` ${JSON.stringify(result.rejectedByReason)}` : ''}; ${result.findings.length.toLocaleString()} findings (${result.findings.filter((f) => f.severity === 'page').length} page)`,
)
console.log('\n== page findings grouped as the router groups them (event time) ==\n')
console.log(independentScoreReport(result.score))
if (result.delivered) {
  console.log(`\n== what PagerDuty received: ${result.triggers} triggers ==\n`)
  console.log(independentScoreReport(result.delivered))
}
if (args.keep) {
  writeFileSync(
    join(result.workDir, 'score.json'),
    JSON.stringify({ score: result.score, delivered: result.delivered }, null, 2),
  )
  console.log(`\nscenario, data, findings, PagerDuty events and score kept in ${result.workDir}`)
}
