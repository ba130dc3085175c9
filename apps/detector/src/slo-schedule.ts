import cron from 'node-cron'
import type { SloEvaluator } from './slo-evaluator.ts'

/** Options of {@link startSloSchedule}. */
export interface SloScheduleOptions {
  /** Cron expression, evaluated in UTC (default `* * * * *`: every minute; 6 fields add seconds). */
  schedule?: string
  /** Told about each failed evaluation (default: node-cron's logger reports it); the next tick retries. */
  onError?: (error: unknown) => void
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
  let inFlight: Promise<unknown> | undefined
  const task = cron.schedule(
    schedule,
    async () => {
      const run = evaluator.evaluateAll()
      inFlight = run
      try {
        await run
      } catch (error) {
        if (!onError) throw error
        onError(error)
      } finally {
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
