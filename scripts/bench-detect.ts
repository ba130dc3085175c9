// npm run bench:detect [-- --seed N --days N --scale X]
//
// Detector throughput on the generated scenario, beside the collector's: the scenario's records
// (real wire formats) parsed and validated once, then run through the full rule suite in the
// detector runtime (both stages: partition-keyed and re-keyed, risk scoring aside), per rule, and
// the same scenario replayed over HTTP through a real all-in-one process. Measured in one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Checkpoint, CheckpointStore } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import { createDetectorRuntime, type RekeyedEvent } from '@palisade/detector'
import { type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { generateScenario, writeScenario } from '@palisade/scenario-generator'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { startPalisadeProcess } from '@palisade/testing'
import { replayScenario, retentionCoveringScenario } from '../apps/palisade/src/evaluation/scenario-replay.ts'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '3' },
    scale: { type: 'string' },
  },
})
const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-detect-'))
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString()} events/s`

console.log('generating the scenario...')
const scenario = generateScenario({
  seed: Number(args.seed),
  days: Number(args.days),
  ...(args.scale ? { scale: Number(args.scale) } : {}),
})
await writeScenario(join(workDir, 'scenario'), scenario)

// 1. Parse and validate, as the collector does, once.
const parseStart = performance.now()
const events: KindedEvent[] = []
for (const stream of scenario.streams) {
  const parser = formatParsers.get(stream.format)!
  const texts = stream.items.map((item) => item.text)
  const body = stream.join === 'json-array' ? `[${texts.join(',')}]` : texts.join('\n')
  const parsed = parser.parse(body, stream.options ?? {})
  for (const record of parsed.records) {
    const result = validateEvent(record.kind, record.event, { tenant: scenario.tenant, observedAt: 0 })
    if (result.ok) events.push({ kind: record.kind, event: result.event as AnyEvent })
  }
}
const parseMs = performance.now() - parseStart
events.sort((a, b) => a.event.ts - b.event.ts)

// 2. The full rule suite in the detector runtime, batches of one kind per minute of event time.
const repoRoot = join(import.meta.dirname, '..')
const declarations = await loadDeclarations({
  alertsDir: join(repoRoot, 'alerts'),
  rulesDir: join(repoRoot, 'alerts', 'rules'),
  intentDir: join(workDir, 'scenario', 'intent'),
  dashboardsDir: join(repoRoot, 'dashboards'),
  routingFile: join(repoRoot, 'alerts', 'routing.yaml'),
})
const detectors = declarations.rules.map((rule) => rule.instantiate(declarations.intent))
const saved = new Map<string, Checkpoint[]>()
const memoryCheckpoints: CheckpointStore = {
  async save(detector, checkpoints) {
    saved.set(detector, checkpoints)
  },
  async load(detector) {
    return saved.get(detector) ?? []
  },
}
let findings = 0
let rekeyed = 0
const runtime = createDetectorRuntime({
  detectors,
  checkpoints: memoryCheckpoints,
  publishFindings: async (batch) => {
    findings += batch.length
  },
  publishRekeyed: async (messages) => {
    rekeyed += messages.length
    await runtime.handleRekeyed(messages.map((message) => message.value as RekeyedEvent))
  },
})
const batches: { kind: EventKind; events: AnyEvent[] }[] = []
for (let i = 0; i < events.length; ) {
  const minute = Math.floor(events[i]!.event.ts / 60_000)
  const byKind = new Map<EventKind, AnyEvent[]>()
  while (i < events.length && Math.floor(events[i]!.event.ts / 60_000) === minute) {
    const { kind, event } = events[i++]!
    byKind.set(kind, [...(byKind.get(kind) ?? []), event])
  }
  for (const [kind, list] of byKind) batches.push({ kind, events: list })
}
const heapBefore = process.memoryUsage().heapUsed
const suiteStart = performance.now()
for (const batch of batches) await runtime.handle(batch.kind, batch.events)
const suiteMs = performance.now() - suiteStart
const heapAfter = process.memoryUsage().heapUsed
await runtime.checkpoint()
const stateBytes = [...saved.values()].reduce((sum, list) => sum + JSON.stringify(list).length, 0)

// 3. Each rule alone, to see where the time goes.
const perRule = detectors
  .map((detector) => {
    const start = performance.now()
    runDetector(detector, events)
    return { id: detector.id, ms: performance.now() - start }
  })
  .sort((a, b) => b.ms - a.ms)

// 4. The collector: the same scenario over HTTP through the all-in-one (which runs the same suite
// behind it: acknowledged = stored and detected).
const token = 'bench-detect-token-0123456789'
const palisade = await startPalisadeProcess({
  PALISADE_DATA_DIR: join(workDir, 'data'),
  PALISADE_TOKEN: token,
  PALISADE_TENANT: scenario.tenant,
  PALISADE_INTENT_DIR: join(workDir, 'scenario', 'intent'),
  ...retentionCoveringScenario(scenario),
})
const replayStart = performance.now()
// As fast as it takes them: six hours of event time per request (the eval's five-minute slices
// measure request latency, not throughput).
const replay = await replayScenario(
  scenario,
  { collectorUrl: palisade.collectorUrl, token },
  { sliceMs: 6 * 3_600_000 },
)
const replayMs = performance.now() - replayStart
const rss =
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${palisade.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
palisade.child.kill('SIGTERM')
await palisade.exited
rmSync(workDir, { recursive: true, force: true })

const suiteRate = (events.length / suiteMs) * 1000
const ingestRate = (replay.accepted / replayMs) * 1000
console.log(`
scenario                    ${args.days} days, ${events.length.toLocaleString()} events (${scenario.streams.length} streams), ${detectors.length} rules
parse + validate            ${rate(events.length, parseMs)}
detector suite              ${rate(events.length, suiteMs)} (${findings} findings, ${rekeyed.toLocaleString()} events re-keyed, heap +${((heapAfter - heapBefore) / 2 ** 20).toFixed(0)} MiB, checkpointed state ${(stateBytes / 2 ** 20).toFixed(1)} MiB)
collector (all-in-one)      ${rate(replay.accepted, replayMs)} over HTTP, stored and detected (peak RSS ${rss.toFixed(0)} MiB)
ratio suite / collector     ${(suiteRate / ingestRate).toFixed(1)}   (aim: > 1, the detectors keep pace; detection is ${((100 * ingestRate) / suiteRate).toFixed(0)}% of the all-in-one's time)

per rule (alone, same events):`)
for (const { id, ms } of perRule) console.log(`  ${id.padEnd(40)} ${rate(events.length, ms)}`)
