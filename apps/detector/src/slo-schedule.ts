import cron from 'node-cron'
import { Counter, Histogram, type Registry } from 'prom-client'
import type { SloEvaluator } from './slo-evaluator.ts'

/** Options of {@link startSloSchedule}. */
export interface SloScheduleOptions {
  /** Cron expression, evaluated in UTC (default `* * * * *`: every minute; 6 fields add seconds). */
  schedule?: string
  /** Told about each failed evaluation (default: node-cron's logger reports it); the next tick retries. */
  onError?: (error: unknown) => void
  /** Where runs are counted by outcome and timed (default: not reported). */
  registry?: Registry
}

/**
 * Run `evaluator.evaluateAll()` on a cron schedule; a tick is skipped while the previous one still
 * runs. Throws at once on an invalid expression. Returns `stop`, which cancels the schedule and
 * resolves after the evaluation in flight, if any, has finished.
 */
export function startSloSchedule(
  evaluator: Pick<SloEvaluator, 'evaluateAll'>,
  options: SloScheduleOptions = {},
): () => Promise<void> {
  const { schedule = '* * * * *', onError } = options
  const registers = options.registry ? [options.registry] : []
  const runs = new Counter({
    name: 'palisade_slo_evaluations_total',
    help: 'Scheduled evaluations of every SLO, by outcome (succeeded, failed)',
    labelNames: ['outcome'] as const,
    registers,
  })
  const seconds = new Histogram({
    name: 'palisade_slo_evaluation_duration_seconds',
    help: 'Duration of a scheduled evaluation of every SLO, seconds',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  })
  let inFlight: Promise<unknown> | undefined
  const task = cron.schedule(
    schedule,
    async () => {
      const stop = seconds.startTimer()
      const run = evaluator.evaluateAll()
      inFlight = run
      try {
        await run
        runs.inc({ outcome: 'succeeded' })
      } catch (error) {
        runs.inc({ outcome: 'failed' })
        if (!onError) throw error
        onError(error)
      } finally {
        stop()
        inFlight = undefined
      }
    },
    // UTC: a DST change must not skip or repeat a minute of evaluation.
    { name: 'slo-evaluator', noOverlap: true, timezone: 'UTC' },
  )
  return async () => {
    await task.destroy()
    // Its failure was already reported (onError or node-cron's logger): only wait for it here.
    await inFlight?.catch(() => undefined)
  }
}
