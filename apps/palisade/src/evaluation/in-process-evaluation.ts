import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadDeclarations } from '@palisade/declarations'
import { sourceGapType } from '@palisade/detectors'
import { generateScenario, type Scenario, writeScenario } from '@palisade/scenario-generator'
import type { Finding } from '@palisade/schema'
import { createInProcessDetection, parseStreams } from './detect-in-process.ts'
import { type DetectionScore, scoreDetection } from './detection-score.ts'

/** Options of {@link runInProcessEvaluation}: those of `runDetectionEvaluation` that apply. */
export interface InProcessEvaluationOptions {
  seed: number
  days: number
  scale?: number
  /** Write the incidents (default true); false: a benign soak. */
  incidents?: boolean
  log?: (line: string) => void
}

/** What an in-process evaluation measured. */
export interface InProcessEvaluationResult {
  score: DetectionScore
  findings: Finding[]
  scenario: Scenario
  events: number
  rejected: number
}

/**
 * The evaluation without the all-in-one, for iterating on rules: the scenario's records parsed and
 * validated as the collector does, run in event-time order through the repository's rule suite in
 * the detector runtime (both stages) and the risk scorer, and scored like `runDetectionEvaluation`.
 * No storage, bus, router or HTTP: a few times faster, and what it leaves out (replay slicing across
 * formats, lag) can only move times to detect by seconds; the full run confirms.
 */
export async function runInProcessEvaluation(
  options: InProcessEvaluationOptions,
): Promise<InProcessEvaluationResult> {
  const log = options.log ?? (() => {})
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-eval-fast-'))
  try {
    const scenario = generateScenario({
      seed: options.seed,
      days: options.days,
      ...(options.scale ? { scale: options.scale } : {}),
      ...(options.incidents === false ? { incidents: false } : {}),
    })
    // The intent files as the all-in-one reads them.
    await writeScenario(join(workDir, 'scenario'), scenario)
    const { events, rejected } = parseStreams(scenario)
    log(
      `scenario${options.incidents === false ? ' (benign soak)' : ''}: ${options.days} days, ${events.length.toLocaleString()} events, ${scenario.labels.length} labels (seed ${options.seed}), in process`,
    )
    const repoRoot = join(import.meta.dirname, '..', '..', '..', '..')
    const declarations = await loadDeclarations({
      alertsDir: join(repoRoot, 'alerts'),
      rulesDir: join(repoRoot, 'alerts', 'rules'),
      intentDir: join(workDir, 'scenario', 'intent'),
      dashboardsDir: join(repoRoot, 'dashboards'),
      routingFile: join(repoRoot, 'alerts', 'routing.yaml'),
    })
    // The wall-clock silence check as the detector service runs it: a replay runs far faster than
    // real time and its sources stop when it ends, so it must find nothing to page (its events are
    // months old: not live); what it finds after the replay is scored like any finding.
    const gapRule = declarations.rules.find((rule) => rule.declaration.detector === sourceGapType.name)
    let wallClockAhead = 0
    const { findings, runtime, take, replay } = createInProcessDetection(declarations, {
      now: () => Date.now() + wallClockAhead,
      ...(gapRule
        ? {
            sourceSilence: {
              gapRule: gapRule.declaration.id,
              gapParams: sourceGapType.params.parse(gapRule.declaration.params),
            },
          }
        : {}),
    })
    await replay(events)
    // A day after the replay ended, by the wall clock.
    wallClockAhead = 86_400_000
    const silent = await runtime.checkSilentSources()
    take(silent.opened.map((finding) => ({ ...finding, detected_at: Date.now() })))
    if (silent.opened.length > 0) log(`${silent.opened.length} sources paged as silent after the replay`)
    return {
      score: scoreDetection(findings, scenario.labels, {
        days: options.days,
        start: scenario.start,
        noiseBudget: declarations.routing.noiseBudget,
      }),
      findings,
      scenario,
      events: events.length,
      rejected,
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
}
