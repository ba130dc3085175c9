import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { loadDeclarations } from '@palisade/declarations'
import {
  buildIndependentScenario,
  type IndependentPage,
  type IndependentScenario,
  type IndependentScenarioOptions,
  type IndependentScore,
  scoreByEntityAndTime,
} from '@palisade/independent-scenario'
import type { Finding } from '@palisade/schema'
import { type ReceivedEvent, startPagerDutySink, startPalisadeProcess } from '@palisade/testing'
import { exportFindings } from '../findings-export.ts'
import { createInProcessDetection, parseStreams } from './detect-in-process.ts'
import { replayScenario, retentionCoveringScenario, type ScenarioReplayProgress } from './scenario-replay.ts'

/** Options of {@link runIndependentEvaluation}. */
export interface IndependentEvaluationOptions extends IndependentScenarioOptions {
  /** The rules alone in this process (no all-in-one, no router): for iterating on detectors. */
  inProcess?: boolean
  /** Keep the scenario, data and findings folder instead of removing it. */
  keep?: boolean
  /** Event time per replay step (default 5 min, as eval:detection); longer steps mean fewer requests. */
  sliceMs?: number
  onProgress?: (progress: ScenarioReplayProgress, scenario: IndependentScenario) => void
  log?: (line: string) => void
}

/** What an evaluation on the independent scenario measured. */
export interface IndependentEvaluationResult {
  scenario: IndependentScenario
  records: number
  accepted: number
  rejected: number
  rejectedByReason: Record<string, number>
  findings: Finding[]
  /** Page findings grouped as the router groups them, in event time. */
  score: IndependentScore
  /** What PagerDuty received (all-in-one only): each trigger judged by the findings it carries. */
  delivered?: IndependentScore
  triggers: number
  replaySeconds: number
  workDir: string
}

/** Write the scenario as files (one per stream, the intent, the labels), as a tester would hand it over. */
export function writeIndependentScenario(dir: string, scenario: IndependentScenario): void {
  for (const stream of scenario.streams) {
    const file = join(dir, stream.path)
    mkdirSync(dirname(file), { recursive: true })
    // In pieces: a day of Hubble flows is more text than one string may hold.
    const fd = openSync(file, 'w')
    try {
      const array = stream.join === 'json-array'
      if (array) writeSync(fd, '[')
      for (let i = 0; i < stream.items.length; i += 10_000) {
        const texts = stream.items.slice(i, i + 10_000).map((item) => item.text)
        const separator = array ? ',\n' : '\n'
        writeSync(fd, `${i > 0 && array ? separator : ''}${texts.join(separator)}${array ? '' : '\n'}`)
      }
      if (array) writeSync(fd, ']\n')
    } finally {
      closeSync(fd)
    }
  }
  for (const file of scenario.intent) {
    mkdirSync(join(dir, 'intent'), { recursive: true })
    writeFileSync(join(dir, 'intent', file.path), file.text)
  }
  writeFileSync(join(dir, 'labels.json'), `${JSON.stringify(scenario.labels, null, 2)}\n`)
}

const repoRoot = join(import.meta.dirname, '..', '..', '..', '..')

/**
 * The independent scenario through the product: built, written to files, replayed in event time
 * through the collector of a real all-in-one (`palisade start`, PagerDuty pointed at a local sink)
 * with its hand-written intent, findings exported through the API, scored by entity and time.
 */
export async function runIndependentEvaluation(
  options: IndependentEvaluationOptions,
): Promise<IndependentEvaluationResult> {
  const log = options.log ?? (() => {})
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-indep-'))
  const scenario = buildIndependentScenario(options)
  writeIndependentScenario(join(workDir, 'scenario'), scenario)
  const records = scenario.streams.reduce((sum, stream) => sum + stream.items.length, 0)
  log(
    `independent scenario: ${scenario.days} days, ${records.toLocaleString()} records (${scenario.streams.map((s) => `${s.format} ${s.items.length.toLocaleString()}`).join(', ')}), ${scenario.labels.length} labels (seed ${options.seed})`,
  )
  const scoreOptions = { start: scenario.start, days: scenario.days }
  try {
    if (options.inProcess) {
      const started = Date.now()
      const { findings, accepted, rejected, rejectedByReason } = await detectInProcess(
        scenario,
        join(workDir, 'scenario', 'intent'),
      )
      return {
        scenario,
        records,
        accepted,
        rejected,
        rejectedByReason,
        findings,
        score: scoreByEntityAndTime(findings, scenario.labels, scoreOptions),
        triggers: 0,
        replaySeconds: (Date.now() - started) / 1000,
        workDir,
      }
    }
    const routingKey = `indep-${options.seed}-routing-key-0123456789`
    const sink = await startPagerDutySink(routingKey)
    const token = `indep-token-${options.seed}-0123456789abcdef`
    const palisade = await startPalisadeProcess({
      PALISADE_DATA_DIR: join(workDir, 'data'),
      PALISADE_TOKEN: token,
      PALISADE_TENANT: scenario.tenant,
      PALISADE_INTENT_DIR: join(workDir, 'scenario', 'intent'),
      PALISADE_PAGERDUTY_URL: sink.url,
      PALISADE_PAGERDUTY_ROUTING_KEY: routingKey,
      ...retentionCoveringScenario(scenario),
    })
    try {
      const started = Date.now()
      const replay = await replayScenario(
        scenario,
        { collectorUrl: palisade.collectorUrl, token },
        {
          ...(options.sliceMs ? { sliceMs: options.sliceMs } : {}),
          onProgress: (progress) => options.onProgress?.(progress, scenario),
        },
      )
      const replaySeconds = (Date.now() - started) / 1000
      log(
        `replayed ${replay.accepted.toLocaleString()} events (${replay.rejected} rejected) in ${replaySeconds.toFixed(1)} s`,
      )
      const file = join(workDir, 'findings.ndjson')
      // Detectors run behind the collector and the router waits 15 s before a group's first
      // notification: export until the findings and the sink have been still for three looks,
      // and not before 20 s have passed.
      const settledFrom = Date.now() + 20_000
      let previous = ''
      let still = 0
      for (let attempt = 0; attempt < 60 && (still < 3 || Date.now() < settledFrom); attempt++) {
        const count = await exportFindings({
          apiUrl: palisade.dashboardUrl.replace(/\/$/, ''),
          token,
          args: {
            out: file,
            from: String(scenario.start - 86_400_000),
            to: String(scenario.end + 86_400_000),
            format: 'ndjson',
          },
        })
        const seen = `${count}/${sink.events.length}`
        still = seen === previous ? still + 1 : 0
        previous = seen
        await new Promise((resolve) => setTimeout(resolve, 2000))
      }
      const findings = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Finding)
      const triggers = sink.events.filter((event) => event.body.event_action === 'trigger')
      writeFileSync(
        join(workDir, 'pagerduty.ndjson'),
        `${sink.events.map((event) => JSON.stringify(event)).join('\n')}\n`,
      )
      return {
        scenario,
        records,
        accepted: replay.accepted,
        rejected: replay.rejected,
        rejectedByReason: replay.rejectedByReason,
        findings,
        score: scoreByEntityAndTime(findings, scenario.labels, scoreOptions),
        delivered: scoreByEntityAndTime(findings, scenario.labels, {
          ...scoreOptions,
          pages: deliveredPages(triggers, findings),
        }),
        triggers: triggers.length,
        replaySeconds,
        workDir,
      }
    } finally {
      palisade.child.kill('SIGTERM')
      await palisade.exited
      await sink.close()
    }
  } finally {
    if (!options.keep) rmSync(workDir, { recursive: true, force: true })
  }
}

/**
 * PagerDuty triggers as pages: each carries its alerts' finding ids; the page is judged by those
 * findings (the earliest first), its time is the earliest finding's event time.
 */
export function deliveredPages(triggers: ReceivedEvent[], findings: readonly Finding[]): IndependentPage[] {
  const byId = new Map(findings.map((finding) => [finding.finding_id, finding]))
  const pages: IndependentPage[] = []
  for (const trigger of triggers) {
    const details = trigger.body.payload?.custom_details as
      | { alerts?: { finding_id?: string; starts_at?: string }[] }
      | undefined
    const carried = (details?.alerts ?? [])
      .map((alert) => (alert.finding_id ? byId.get(alert.finding_id) : undefined))
      .filter((finding): finding is Finding => finding !== undefined)
      .sort((a, b) => a.ts - b.ts)
    // Alerts from the SLO evaluator or the router itself carry no finding: judged by their start.
    if (carried.length === 0) {
      const startsAt = Date.parse(trigger.body.payload?.timestamp ?? '')
      pages.push({
        key: trigger.body.dedup_key ?? '',
        ts: Number.isFinite(startsAt) ? startsAt : 0,
        findings: [
          {
            finding_id: trigger.body.dedup_key ?? '',
            tenant: '',
            ts: Number.isFinite(startsAt) ? startsAt : 0,
            detected_at: trigger.receivedAt,
            rule: String((trigger.body.payload as { class?: string } | undefined)?.class ?? 'unknown'),
            severity: 'page',
            title: trigger.body.payload?.summary ?? '',
            summary: trigger.body.payload?.summary ?? '',
            entities: { source: trigger.body.payload?.source ?? '' },
            evidence: {},
          },
        ],
      })
      continue
    }
    pages.push({ key: trigger.body.dedup_key ?? '', ts: carried[0]!.ts, findings: carried })
  }
  return pages.sort((a, b) => a.ts - b.ts)
}

/**
 * The rules alone: records parsed and validated as the collector does, run in event-time order
 * through the repository's rule suite in the detector runtime and the risk scorer (as
 * `eval:detection --in-process` does). No storage, bus or router.
 */
async function detectInProcess(
  scenario: IndependentScenario,
  intentDir: string,
): Promise<{
  findings: Finding[]
  accepted: number
  rejected: number
  rejectedByReason: Record<string, number>
}> {
  // In requests of at most 20,000 records, as a shipper sends them.
  const { events, rejected, rejectedByReason } = parseStreams(scenario, 20_000)
  const declarations = await loadDeclarations({
    alertsDir: join(repoRoot, 'alerts'),
    rulesDir: join(repoRoot, 'alerts', 'rules'),
    intentDir,
    dashboardsDir: join(repoRoot, 'dashboards'),
    routingFile: join(repoRoot, 'alerts', 'routing.yaml'),
  })
  const detection = createInProcessDetection(declarations)
  await detection.replay(events)
  const findings = detection.findings
  return { findings, accepted: events.length, rejected, rejectedByReason }
}
