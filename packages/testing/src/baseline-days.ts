import { type ClickHouseClient, createEventWriter } from '@palisade/clickhouse'
import { validateEvent } from '@palisade/schema'
import { TestHarnessError } from './errors.ts'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/**
 * Earlier days for baseline bands: on each of the `days` days before `now`, over the same
 * `hours` before that day's `now`, 20 decisions on `service` every 2 minutes with a deny ratio that
 * varies from day to day (day d denies d mod 3 of the 20: 0 %, 5 % or 10 %), and no workload identities, so
 * that no edge of the service graph changes. Answers the decisions written.
 */
export async function seedBaselineDays(
  client: ClickHouseClient,
  options: { tenant: string; now: number; days?: number; hours?: number; service?: string },
): Promise<number> {
  const { tenant, now, days = 7, hours = 6, service = 'payments' } = options
  const events = []
  for (let d = 1; d <= days; d++) {
    for (let m = 0; m < hours * 60; m += 2) {
      for (let i = 0; i < 20; i++) {
        const result = validateEvent(
          'decision',
          {
            ts: now - d * DAY - m * MINUTE - 5_000 - i * 100,
            service,
            request_id: `baseline-${d}-${m}-${i}`,
            pdp: 'opa',
            decision: i < d % 3 ? 'deny' : 'allow',
            latency_ms: 5,
          },
          { tenant, observedAt: now },
        )
        if (!result.ok) throw new TestHarnessError('HARNESS_MISUSED', `baseline day: ${result.reason}`)
        events.push(result.event)
      }
    }
  }
  await createEventWriter(client).write('decision', events)
  return events.length
}
