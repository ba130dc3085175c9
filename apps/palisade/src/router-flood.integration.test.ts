import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseRoutingConfig } from '@palisade/alerting'
import { topics } from '@palisade/bus'
import { loadDeclarations } from '@palisade/declarations'
import type { Log } from '@palisade/runtime'
import type { Finding } from '@palisade/schema'
import { type ReceivedEvent, startPagerDutySink } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// The all-in-one's parts in this process (embedded engine, real HTTP, the PagerDuty sink), with a
// flood of findings put on its bus as the detectors would: /healthz must keep answering while the
// router takes the flood in and flushes it, and the process must still stop. Latencies are printed,
// not asserted (speed is for `npm run bench:router`).

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const ROUTING_KEY = 'FLOODROUTINGKEY00000000000000000'
const FINDINGS = 50_000
const t0 = Date.UTC(2026, 10, 23, 9)
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log

let dataDir: string
let running: RunningPalisade
let sink: { url: string; events: ReceivedEvent[]; close: () => Promise<void> }

function finding(i: number): Finding {
  const port = 32768 + (i % 28000)
  return {
    finding_id: `flood-${i}`,
    tenant: 'default',
    ts: t0 + i,
    detected_at: t0 + i,
    rule: 'lateral.cross_namespace',
    severity: i % 5 === 0 ? 'page' : 'ticket',
    title: 'Cross-namespace access against declared intent',
    summary: `kube-system/coredns reached payments/ledger:${port}`,
    entities: {
      src_workload: 'kube-system/coredns',
      dst_workload: `payments/ledger-${i % 5000}`,
      dst_port: String(port),
      incident: `payments/ledger-${i % 5000}`,
    },
    evidence: { event_ids: [`e-${i}`] },
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-flood-'))
  sink = await startPagerDutySink(ROUTING_KEY)
  const env = {
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: 'flood-test-token-0123456789abcdef',
    PALISADE_COLLECTOR_PORT: '0',
    PALISADE_DASHBOARD_PORT: '0',
    PALISADE_PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    PALISADE_PAGERDUTY_URL: sink.url,
  }
  const config = loadConfig(env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  // The repository's routing, with a group_wait short enough for a test to see the flush.
  const text = readFileSync(join(repoRoot, 'alerts', 'routing.yaml'), 'utf8').replace(
    /group_wait: \w+/g,
    'group_wait: 1s',
  )
  const routing = parseRoutingConfig(text)
  running = await startAllInOne(
    config,
    { declarations: { ...declarations, routing }, receivers: loadReceivers(env, routing) },
    quiet,
  )
})

afterAll(async () => {
  await running?.stop()
  await sink?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the all-in-one under a flood of findings', () => {
  it('answers /healthz on both ports while the router takes in and flushes 50,000 findings, then stops', async () => {
    const latencies: number[] = []
    const failures: string[] = []
    let flooding = true
    const probe = (async () => {
      while (flooding) {
        for (const url of [running.collectorUrl, running.dashboardUrl]) {
          const started = performance.now()
          const response = await fetch(`${url}/healthz`).catch((error: Error) => error)
          latencies.push(performance.now() - started)
          if (response instanceof Error || response.status !== 200)
            failures.push(response instanceof Error ? response.message : String(response.status))
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()

    const floodStarted = performance.now()
    for (let i = 0; i < FINDINGS; i += 500) {
      const batch = Array.from({ length: Math.min(500, FINDINGS - i) }, (_, j) => finding(i + j))
      await running.bus.publish(
        topics.findings,
        batch.map((value) => ({ key: value.entities.src_workload!, value })),
      )
    }
    const acceptedMs = performance.now() - floodStarted
    // The router's flush delivers the pages within budget and one digest of the rest to PagerDuty.
    const deadline = Date.now() + 120_000
    while (
      !sink.events.some((event) => event.body.payload?.summary.includes('collapsed')) &&
      Date.now() < deadline
    )
      await new Promise((resolve) => setTimeout(resolve, 100))
    const flushedMs = performance.now() - floodStarted
    flooding = false
    await probe

    const stopStarted = performance.now()
    await running.stop()
    const stopMs = performance.now() - stopStarted

    const sorted = [...latencies].sort((a, b) => a - b)
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!)
    console.log(
      `${FINDINGS} findings taken in over ${Math.round(acceptedMs)} ms, flushed by ${Math.round(flushedMs)} ms; ` +
        `/healthz ${latencies.length} probes: median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; ` +
        `stop took ${Math.round(stopMs)} ms; ${sink.events.length} PagerDuty events`,
    )
    expect(failures).toEqual([])
    expect(latencies.length).toBeGreaterThan(10)
    expect(sink.events.some((event) => event.body.payload?.summary.includes('collapsed'))).toBe(true)
    // One rule flooding: at most its budget (10) in pages plus the digest, however many findings.
    const fromRule = sink.events.filter(
      (event) => (event.body.payload as { class?: string } | undefined)?.class === 'lateral.cross_namespace',
    )
    expect(fromRule.length).toBeLessThanOrEqual(11)
  })
})
