import type { Log } from '@palisade/runtime'
import {
  type GeneratedRecord,
  generateDemoTelemetry,
  generateDemoWafLog,
  type IncidentLabel,
} from '@palisade/scenario-generator'
import { postFormatText, postRecords } from './collector-client.ts'

/** Options of {@link startDemoFeed}. */
export interface DemoFeedOptions {
  collectorUrl: string
  token: string
  seed: number
  /** Hours of history to send first, ending now (default 8). */
  historyHours?: number
  /** Wall clock, epoch ms. */
  now?: () => number
}

const minuteMs = 60_000

/**
 * The edge's WAF log of [from, to) as AWS writes it, through `/v1/ingest/aws-waf` like a log
 * shipper: 5,000 lines a request, as {@link postRecords} batches the native records.
 */
async function sendWafLog(
  from: number,
  to: number,
  incidentAt: number,
  options: DemoFeedOptions,
): Promise<number> {
  const lines = generateDemoWafLog({ seed: options.seed ^ from, from, to, incidentAt })
  const target = { collectorUrl: options.collectorUrl, token: options.token }
  let accepted = 0
  for (let start = 0; start < lines.length; start += 5000) {
    const body = lines.slice(start, start + 5000).join('\n')
    accepted += (await postFormatText(target, 'aws-waf', {}, body)).accepted
  }
  return accepted
}

async function send(records: GeneratedRecord[], options: DemoFeedOptions): Promise<number> {
  const byKind = new Map<string, unknown[]>()
  for (const { kind, record } of records) {
    const list = byKind.get(kind)
    if (list) list.push(record)
    else byKind.set(kind, [record])
  }
  let accepted = 0
  for (const [kind, list] of byKind) {
    accepted += (await postRecords(kind, list, { collectorUrl: options.collectorUrl, token: options.token }))
      .accepted
  }
  return accepted
}

/**
 * Feed the demo: hours of history up to the current minute (incidents injected 8 minutes ago, the
 * auth burst still going on), then every completed minute live, through the collector's HTTP API
 * like any other source. Returns at once, with the incident labels and a stop function that waits
 * for what is being sent; the history goes out behind it.
 */
export async function startDemoFeed(
  options: DemoFeedOptions,
  log: Log,
): Promise<{ incidents: IncidentLabel[]; stop: () => Promise<void> }> {
  const now = options.now ?? Date.now
  const currentMinute = () => Math.floor(now() / minuteMs) * minuteMs
  let sentUntil = currentMinute()
  const incidentAt = sentUntil - 8 * minuteMs
  const historyFrom = sentUntil - (options.historyHours ?? 8) * 3_600_000
  const history = generateDemoTelemetry({
    seed: options.seed,
    from: historyFrom,
    to: sentUntil,
    incidentAt,
  })
  // History is sent behind the start-up banner, so the user gets the URLs at once and watches the
  // incidents arrive; the live minutes queue behind it.
  const started = Date.now()
  let running: Promise<unknown> = send(history.records, options)
    .then(async (accepted) => accepted + (await sendWafLog(historyFrom, sentUntil, incidentAt, options)))
    .then((accepted) => {
      log.info(`demo: sent ${accepted} events of history in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      for (const incident of history.incidents)
        log.info(`demo: injected ${incident.id}: ${incident.description}`)
    })
    .catch((error) => log.error('demo: sending the history failed', error))

  let stopped = false
  const timer = setInterval(() => {
    const until = currentMinute()
    if (until <= sentUntil || stopped) return
    const from = sentUntil
    sentUntil = until
    const live = generateDemoTelemetry({ seed: options.seed ^ from, from, to: until, incidentAt })
    running = running
      .then(() => send(live.records, options))
      .then(() => sendWafLog(from, until, incidentAt, options))
      .catch((error) => log.error('demo: live feed failed', error))
  }, 5_000)
  timer.unref()
  return {
    incidents: history.incidents,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
