// tsx scripts/generate-scenario.ts <out-dir> [--seed N] [--days N] [--scale X] [--start YYYY-MM-DD]
//
// Write a seeded, labelled scenario of the scenario mesh to <out-dir>: one file per stream in its
// wire format (replay each with `palisade replay <format> <file>`, options from streams.json),
// labels.json, and the mesh's intent under intent/.
import { parseArgs } from 'node:util'
import { generateScenario, writeScenario } from '@palisade/scenario-generator'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string', default: '1' },
    days: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    start: { type: 'string' },
  },
})
const [dir] = positionals
if (dir === undefined || positionals.length !== 1) {
  console.error(
    'usage: tsx scripts/generate-scenario.ts <out-dir> [--seed N] [--days N] [--scale X] [--start YYYY-MM-DD]',
  )
  process.exit(2)
}
const number = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isFinite(value)) {
    console.error(`--${name} "${text}" is not a number`)
    process.exit(2)
  }
  return value
}
const started = Date.now()
const scenario = generateScenario({
  seed: number('seed', values.seed),
  days: number('days', values.days),
  scale: number('scale', values.scale),
  ...(values.start !== undefined ? { start: Date.parse(`${values.start}T00:00:00Z`) } : {}),
})
await writeScenario(dir, scenario)
const records = scenario.streams.reduce((sum, stream) => sum + stream.items.length, 0)
console.log(
  `${dir}: ${scenario.streams.length} streams, ${records.toLocaleString('en')} records, ${scenario.labels.length} labels (${new Date(scenario.start).toISOString()} – ${new Date(scenario.end).toISOString()}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
)
