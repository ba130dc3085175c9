import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRoutingConfig } from '@palisade/alerting'
import { generateScenario, type Scenario, writeScenario } from '@palisade/scenario-generator'
import type { Finding } from '@palisade/schema'
import { startPalisadeProcess } from '@palisade/testing'
import { exportFindings } from '../findings-export.ts'
import { type DetectionScore, scoreDetection } from './detection-score.ts'
import { type RouterNoiseBudget, routerNoiseBudgetOf } from './router-noise-budget.ts'
import { replayScenario, retentionCoveringScenario, type ScenarioReplayProgress } from './scenario-replay.ts'

/** Options of {@link runDetectionEvaluation}. */
export interface EvaluationOptions {
  seed: number
  days: number
  scale?: number
  /** Write the incidents (default true); false: a benign soak, where every page is a false one. */
  incidents?: boolean
  /** Keep the scenario, data and findings folder (printed) instead of removing it. */
  keep?: boolean
  onProgress?: (progress: ScenarioReplayProgress, scenario: Scenario) => void
  log?: (line: string) => void
}

/** What an evaluation measured. */
export interface EvaluationResult {
  score: DetectionScore
  findings: Finding[]
  scenario: Scenario
  accepted: number
  rejected: number
  rejectedByReason: Record<string, number>
  replaySeconds: number
  /** The router's noise budget per rule after the replay, from the all-in-one's /metrics. */
  routerNoiseBudget: RouterNoiseBudget[]
  workDir: string
}

/**
 * Generate a labelled scenario, start the all-in-one (`palisade start`, embedded engine) with the
 * scenario's declared intent, replay the scenario through the collector in event time, export the
 * findings through the API and score them against the labels.
 */
export async function runDetectionEvaluation(options: EvaluationOptions): Promise<EvaluationResult> {
  const log = options.log ?? (() => {})
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-eval-'))
  const scenario = generateScenario({
    seed: options.seed,
    days: options.days,
    ...(options.scale ? { scale: options.scale } : {}),
    ...(options.incidents === false ? { incidents: false } : {}),
  })
  await writeScenario(join(workDir, 'scenario'), scenario)
  const records = scenario.streams.reduce((sum, stream) => sum + stream.items.length, 0)
  log(
    `scenario${options.incidents === false ? ' (benign soak)' : ''}: ${options.days} days, ${records.toLocaleString()} records in ${scenario.streams.length} streams, ${scenario.labels.length} labels (seed ${options.seed})`,
  )
  const token = `eval-token-${options.seed}-0123456789abcdef`
  const palisade = await startPalisadeProcess({
    PALISADE_DATA_DIR: join(workDir, 'data'),
    PALISADE_TOKEN: token,
    PALISADE_TENANT: scenario.tenant,
    PALISADE_INTENT_DIR: join(workDir, 'scenario', 'intent'),
    ...retentionCoveringScenario(scenario),
  })
  try {
    const started = Date.now()
    const replay = await replayScenario(
      scenario,
      { collectorUrl: palisade.collectorUrl, token },
      { onProgress: (progress) => options.onProgress?.(progress, scenario) },
    )
    const replaySeconds = (Date.now() - started) / 1000
    log(
      `replayed ${replay.accepted.toLocaleString()} events (${replay.rejected} rejected) in ${replaySeconds.toFixed(1)} s`,
    )
    const file = join(workDir, 'findings.ndjson')
    let previous = -1
    // The collector answers once the events are stored; detectors run behind it (bounded lag) and
    // findings are stored a moment later: export until two exports agree.
    for (let attempt = 0; attempt < 30; attempt++) {
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
      if (count === previous) break
      previous = count
      await new Promise((resolve) => setTimeout(resolve, 1500))
    }
    // What the real router spent and collapsed per rule (its clock is the wall clock; its budget
    // counts in event time, so the replay spends it as the live days would have).
    const metrics = await fetch(`${palisade.collectorUrl.replace(/\/$/, '')}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const routerNoiseBudget = metrics.ok ? routerNoiseBudgetOf(await metrics.text()) : []
    const findings = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Finding)
    // The all-in-one routes with the repository's routing file: its noise budget, applied to the pages.
    const routing = parseRoutingConfig(
      readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'alerts', 'routing.yaml'), 'utf8'),
    )
    const score = scoreDetection(findings, scenario.labels, {
      days: options.days,
      start: scenario.start,
      noiseBudget: routing.noiseBudget,
    })
    return {
      score,
      findings,
      scenario,
      accepted: replay.accepted,
      rejected: replay.rejected,
      rejectedByReason: replay.rejectedByReason,
      replaySeconds,
      routerNoiseBudget,
      workDir,
    }
  } finally {
    palisade.child.kill('SIGTERM')
    await palisade.exited
    if (!options.keep) rmSync(workDir, { recursive: true, force: true })
  }
}
