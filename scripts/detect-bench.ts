// The detection bench (`npm run bench:detect`), as a function the smoke test runs at a tiny size.
//
// Detector throughput on the generated scenario, beside the collector's: the scenario's records
// (real wire formats) parsed and validated once, then run through the full rule suite in the
// detector runtime (both stages: partition-keyed and re-keyed, risk scoring aside), per rule, and
// the same scenario replayed over HTTP through a real all-in-one process as fast as it takes them,
// while the detectors' lag behind the collector is sampled from its /metrics. Measured in one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Checkpoint, CheckpointStore } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import { createDetectorRuntime, type RekeyedEvent } from '@palisade/detector'
import { type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { generateScenario, writeScenario } from '@palisade/scenario-generator'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { startPalisadeProcess } from '@palisade/testing'
import { replayScenario, retentionCoveringScenario } from '../apps/palisade/src/evaluation/scenario-replay.ts'

/** Settings of {@link runDetectBench}. */
export interface DetectBenchOptions {
  seed: number
  /** Days of scenario (default 3). */
  days?: number
  /** Multiplier of the scenario's request rates (default 1). */
  scale?: number
  /** Keep only the first `hours` of the scenario (default all of it): a smoke test's size. */
  hours?: number
  /** How often the detectors' lag is sampled during the replay, ms (default 500). */
  sampleMs?: number
}

/** One sample of the detectors' lag behind the collector in the all-in-one. */
export interface LagSample {
  /** Seconds since the replay started. */
  at: number
  /** Event time the replay had sent up to, epoch ms. */
  eventTime: number
  /** Events the collector had accepted (kinds the detectors read). */
  accepted: number
  /** Events the detectors had read. */
  detected: number
  /** Seconds since the collector had accepted as many events as the detectors have now read. */
  lagSeconds: number
}

/** What {@link runDetectBench} measured. */
export interface DetectBenchResult {
  workDir: string
  days: number
  events: number
  streams: number
  rules: number
  parseMs: number
  suiteMs: number
  findings: number
  rekeyed: number
  heapGrowthBytes: number
  stateBytes: number
  perRule: { id: string; ms: number }[]
  replay: { accepted: number; ms: number; peakRssMiB: number }
  lag: LagSample[]
  /** Seconds after the replay's last answer until the detectors had read everything accepted. */
  drainSeconds: number
}

const token = 'bench-detect-token-0123456789'

/** Run the bench; everything it started is stopped and its temp dir removed, however it ends. */
export async function runDetectBench(options: DetectBenchOptions): Promise<DetectBenchResult> {
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-detect-'))
  let palisade: Awaited<ReturnType<typeof startPalisadeProcess>> | undefined
  try {
    const days = options.days ?? 3
    const scenario = generateScenario({
      seed: options.seed,
      days,
      ...(options.scale === undefined ? {} : { scale: options.scale }),
    })
    if (options.hours !== undefined) {
      const end = scenario.start + options.hours * 3_600_000
      for (const stream of scenario.streams) stream.items = stream.items.filter((item) => item.ts < end)
      scenario.streams = scenario.streams.filter((stream) => stream.items.length > 0)
    }
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
    const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore
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

    // 4. The collector: the same scenario over HTTP through the all-in-one, as fast as it takes
    // them (six hours of event time per request), its detectors consuming behind the store.
    palisade = await startPalisadeProcess({
      PALISADE_DATA_DIR: join(workDir, 'data'),
      PALISADE_TOKEN: token,
      PALISADE_TENANT: scenario.tenant,
      PALISADE_INTENT_DIR: join(workDir, 'scenario', 'intent'),
      ...retentionCoveringScenario(scenario),
    })
    const collectorUrl = palisade.collectorUrl
    const counts: {
      at: number
      eventTime: number
      accepted: Map<string, number>
      detected: Map<string, number>
    }[] = []
    let eventTime = scenario.start
    const replayStart = performance.now()
    const sample = async () => {
      const metrics = await readMetrics(collectorUrl)
      counts.push({ at: (performance.now() - replayStart) / 1000, eventTime, ...metrics })
    }
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        await sample()
        await new Promise((resolve) => setTimeout(resolve, options.sampleMs ?? 500))
      }
    })()
    let replay: Awaited<ReturnType<typeof replayScenario>>
    try {
      replay = await replayScenario(
        scenario,
        { collectorUrl, token },
        { sliceMs: 6 * 3_600_000, onProgress: (progress) => (eventTime = progress.upTo) },
      )
    } finally {
      sampling = false
      await sampler
    }
    const replayMs = performance.now() - replayStart
    // Then until the detectors have read everything the collector accepted (a minute at most).
    for (let waited = 0; waited < 60_000; waited += 250) {
      await sample()
      const last = counts.at(-1)!
      if (total(last.detected) >= total(restrict(last.accepted, last.detected))) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const drainSeconds = Math.max(0, counts.at(-1)!.at - replayMs / 1000)
    const peakRssMiB =
      Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${palisade.child.pid}/status`, 'utf8'))?.[1] ?? 0) /
      1024

    return {
      workDir,
      days,
      events: events.length,
      streams: scenario.streams.length,
      rules: detectors.length,
      parseMs,
      suiteMs,
      findings,
      rekeyed,
      heapGrowthBytes,
      stateBytes,
      perRule,
      replay: { accepted: replay.accepted, ms: replayMs, peakRssMiB },
      lag: lagOverTime(counts),
      drainSeconds,
    }
  } finally {
    if (palisade && palisade.child.exitCode === null && palisade.child.signalCode === null) {
      palisade.child.kill('SIGTERM')
      await palisade.exited
    }
    rmSync(workDir, { recursive: true, force: true })
  }
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0)

/** Only the kinds the detectors read (the collector also takes kinds no rule reads). */
function restrict(accepted: Map<string, number>, detected: Map<string, number>): Map<string, number> {
  return new Map([...accepted].filter(([kind]) => detected.has(kind)))
}

/** The collector's accepted records and the detectors' events read, per kind, from `/metrics`. */
async function readMetrics(
  url: string,
): Promise<{ accepted: Map<string, number>; detected: Map<string, number> }> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  const text = await response.text()
  const accepted = new Map<string, number>()
  const detected = new Map<string, number>()
  for (const line of text.split('\n')) {
    const sample =
      /^(palisade_collector_records_total|palisade_detector_events_total)\{([^}]*)\} (\S+)$/.exec(line)
    if (!sample) continue
    const labels = Object.fromEntries([...sample[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (labels.kind === undefined) continue
    if (sample[1] === 'palisade_detector_events_total') detected.set(labels.kind, Number(sample[3]))
    else if (labels.outcome === 'accepted') accepted.set(labels.kind, Number(sample[3]))
  }
  return { accepted, detected }
}

/**
 * Lag in seconds at each sample: how long ago the collector had accepted as many events (of the
 * kinds the detectors read) as the detectors have read now. Zero when they have read everything.
 */
function lagOverTime(
  counts: { at: number; eventTime: number; accepted: Map<string, number>; detected: Map<string, number> }[],
): LagSample[] {
  const kinds = counts.at(-1)?.detected ?? new Map<string, number>()
  const accepted = counts.map((sample) => total(restrict(sample.accepted, kinds)))
  return counts.map((sample, index) => {
    const detected = total(sample.detected)
    let since = index
    while (since > 0 && accepted[since - 1]! >= detected) since--
    return {
      at: sample.at,
      eventTime: sample.eventTime,
      accepted: accepted[index]!,
      detected,
      lagSeconds: detected >= accepted[index]! ? 0 : sample.at - counts[since]!.at,
    }
  })
}

const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en')} events/s`

/** The figures, the lag over time (at most `rows` samples, evenly spread), and per rule. */
export function detectBenchReport(result: DetectBenchResult, rows = 16): string {
  const suiteRate = (result.events / result.suiteMs) * 1000
  const ingestRate = (result.replay.accepted / result.replay.ms) * 1000
  const maxLag = Math.max(0, ...result.lag.map((sample) => sample.lagSeconds))
  const maxBehind = Math.max(0, ...result.lag.map((sample) => sample.accepted - sample.detected))
  const step = Math.max(1, Math.ceil(result.lag.length / rows))
  const shown = result.lag.filter((_, index) => index % step === 0 || index === result.lag.length - 1)
  const replaySeconds = result.replay.ms / 1000
  return `
scenario                    ${result.days} days, ${result.events.toLocaleString('en')} events (${result.streams} streams), ${result.rules} rules
parse + validate            ${rate(result.events, result.parseMs)}
detector suite              ${rate(result.events, result.suiteMs)} (${result.findings} findings, ${result.rekeyed.toLocaleString('en')} events re-keyed, heap ${result.heapGrowthBytes >= 0 ? '+' : ''}${(result.heapGrowthBytes / 2 ** 20).toFixed(0)} MiB, checkpointed state ${(result.stateBytes / 2 ** 20).toFixed(1)} MiB)
collector (all-in-one)      ${rate(result.replay.accepted, result.replay.ms)} over HTTP, stored and detected (peak RSS ${result.replay.peakRssMiB.toFixed(0)} MiB)
ratio suite / collector     ${(suiteRate / ingestRate).toFixed(1)}   (aim: > 1, the detectors keep pace; detection is ${((100 * ingestRate) / suiteRate).toFixed(0)}% of the all-in-one's time)
detector lag                max ${maxLag.toFixed(1)} s behind the collector (${(maxLag / replaySeconds).toFixed(2)} of the replay's ${replaySeconds.toFixed(1)} s), at most ${maxBehind.toLocaleString('en')} events behind; caught up ${result.drainSeconds.toFixed(1)} s after the last answer

detector lag over time (wall clock since the replay started; event time replayed; events accepted and read):
${shown.map((sample) => `  ${sample.at.toFixed(1).padStart(7)} s  ${new Date(sample.eventTime).toISOString().slice(0, 16)}  ${sample.accepted.toLocaleString('en').padStart(10)} accepted  ${sample.detected.toLocaleString('en').padStart(10)} read  lag ${sample.lagSeconds.toFixed(1)} s`).join('\n')}

per rule (alone, same events):
${result.perRule.map(({ id, ms }) => `  ${id.padEnd(40)} ${rate(result.events, ms)}`).join('\n')}`
}
