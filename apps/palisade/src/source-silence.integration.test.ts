import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startAlertRouterService } from '@palisade/alert-router'
import { parseRoutingConfig } from '@palisade/alerting'
import { createInProcessBus, topics } from '@palisade/bus'
import { type ClickHouseClient, migrate, migrationsDir, openClickHouse } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import { startDetectorService } from '@palisade/detector'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { startPagerDutySink } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Silence of an expected source, judged by the wall clock, through the detector service and the
// alert router as the all-in-one composes them (in-process bus, embedded ClickHouse engine, a local
// PagerDuty sink). The detector's wall clock is moved by the test (no test can wait for 30 minutes of
// cadence); the router runs on the real one. Event times follow the moved clock for a live source,
// and lie a month behind it for a replay.

const ROUTING_KEY = 'silence-routing-key-0123456789abcdef'
const minute = 60_000
const repoRoot = join(import.meta.dirname, '..', '..', '..')
const routing = parseRoutingConfig(`
route:
  receiver: 'null'
  group_by: [alertname]
  routes:
    - matchers: ['severity="page"']
      receiver: pagerduty
      group_wait: 0s
      group_interval: 200ms
      repeat_interval: 4h
receivers:
  - { name: pagerduty, pagerduty: {} }
  - { name: 'null' }
`)
const quiet = {
  info: () => {},
  warn: () => {},
  error: (message: string, error?: unknown) => console.error(message, error),
}

let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-silence-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
})

afterAll(async () => {
  await sink?.close()
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

let counter = 0
function flow(tenant: string, source: string, ts: number): AnyEvent {
  const result = validateEvent(
    'flow',
    {
      event_id: `silence-${++counter}`,
      ts,
      source,
      src_identity: 'shop/web',
      dst_identity: 'shop/api',
      dst_port: 8080,
      verdict: 'allowed',
    },
    { tenant, observedAt: ts },
  )
  if (!result.ok) throw new Error(result.reason)
  return result.event as AnyEvent
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('a silent source pages by the wall clock', () => {
  it('pages when a live source stops, resolves when it resumes, and never pages for a replay of old data', async () => {
    const declarations = await loadDeclarations({
      alertsDir: join(repoRoot, 'alerts'),
      rulesDir: join(repoRoot, 'alerts', 'rules'),
      intentDir: join(repoRoot, 'alerts', 'intent'),
      dashboardsDir: join(repoRoot, 'dashboards'),
      routingFile: join(repoRoot, 'alerts', 'routing.yaml'),
    })
    // The detectors acknowledge publishes here, so the test knows when its events were taken in.
    const bus = createInProcessBus({ acknowledgingGroups: ['detector', 'detector-rekeyed'] })
    const registry = new Registry()
    const router = await startAlertRouterService({
      bus,
      client,
      routing,
      config: {
        receivers: [{ name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY }],
      },
      registry,
      log: quiet,
    })
    let now = Date.now()
    const detector = await startDetectorService({
      bus,
      client,
      config: { checkpointIntervalMs: 60_000, sourceSilenceCheckIntervalMs: 100 },
      declarations,
      registry,
      log: quiet,
      clock: () => now,
      // As the all-in-one runs it.
      soleConsumer: true,
    })
    try {
      // 40 minutes of two live sources, one event a minute; and a month-old capture of a third
      // source replayed now (an hour of it), under another tenant.
      const start = now
      for (let i = 0; i < 40; i++) {
        now = start + i * minute
        await bus.publish(topics.events('flow'), [
          { key: 'acme/a', value: flow('acme', 'hubble-node-a', now) },
          { key: 'acme/b', value: flow('acme', 'okta-feed', now + 1000) },
        ])
      }
      const monthAgo = start - 30 * 24 * 60 * minute
      await bus.publish(
        topics.events('flow'),
        Array.from({ length: 60 }, (_, i) => ({
          key: 'globex/r',
          value: flow('globex', 'replayed-capture', monthAgo + i * minute),
        })),
      )
      const last = start + 39 * minute
      // Four minutes later nothing is due (under 5 minutes, under 8× the 1-minute cadence).
      now = last + 4 * minute
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(sink.events).toEqual([])

      // Then hubble-node-a goes quiet while okta-feed keeps reporting: 9 minutes on, a page.
      for (let i = 1; i <= 9; i++) {
        now = last + i * minute
        await bus.publish(topics.events('flow'), [
          { key: 'acme/b', value: flow('acme', 'okta-feed', now + 1000) },
        ])
      }
      const page = await until('the page', () =>
        sink.events.find((event) => event.body.event_action === 'trigger'),
      )
      expect(page.body.payload?.severity).toBe('critical')
      expect(page.body.payload?.summary).toContain('Telemetry source silent: source hubble-node-a')
      expect(JSON.stringify(page.body.payload?.custom_details)).toContain(
        'source hubble-node-a has sent nothing since',
      )

      // A re-check keeps it one incident: no second trigger for the same silence.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(sink.events.filter((event) => event.body.event_action === 'trigger')).toHaveLength(1)

      // It resumes: the resolve reaches PagerDuty with the page's dedup key.
      now = last + 10 * minute
      await bus.publish(topics.events('flow'), [{ key: 'acme/a', value: flow('acme', 'hubble-node-a', now) }])
      const resolve = await until('the resolve', () =>
        sink.events.find((event) => event.body.event_action === 'resolve'),
      )
      expect(resolve.body.dedup_key).toBe(page.body.dedup_key)

      // Hours later by the wall clock, the replayed source never paged, and it never will: it
      // was never live. (hubble-node-a and okta-feed, silent again by now, page as one incident.)
      now = last + 5 * 60 * minute
      await until('the next page', () =>
        sink.events.filter((event) => event.body.event_action === 'trigger').length >= 2 ? true : undefined,
      )
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const summaries = sink.events.map((event) => JSON.stringify(event.body))
      expect(summaries.some((text) => text.includes('replayed-capture'))).toBe(false)
      expect(summaries.some((text) => text.includes('globex'))).toBe(false)
      const metrics = await registry.metrics()
      expect(metrics).toMatch(/palisade_detector_source_silences_total\{outcome="opened"\} [3-9]/)
      expect(metrics).toMatch(/palisade_detector_source_silences_total\{outcome="ended"\} 1/)
    } finally {
      await detector.stop()
      await router.stop()
      await bus.close()
    }
  })
})
