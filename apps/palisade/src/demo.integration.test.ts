import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PalisadeProcess, startPagerDutySink, startPalisadeProcess } from '@palisade/testing'
import { afterAll, describe, expect, it } from 'vitest'

// `palisade demo` as a user runs it, with PALISADE_PAGERDUTY_URL pointing at a local sink that
// checks the Events v2 bodies: the injected incidents must page within 3 minutes, and the
// dashboard API must show the findings and the incident.

const token = 'demo-test-token-0123456789abcdef'
const routingKey = 'R0UT1NGKEY0123456789012345678901'
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-demo-'))
let palisade: PalisadeProcess | undefined
const sinkPromise = startPagerDutySink(routingKey)

afterAll(async () => {
  if (palisade && palisade.child.exitCode === null) {
    palisade.child.kill('SIGTERM')
    await palisade.exited
  }
  await (await sinkPromise).close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function until<T>(
  what: string,
  deadlineMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${deadlineMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

describe('npm run demo', () => {
  // The demo pages in about two minutes; the wait allows six, since this runs beside the whole suite
  // on two cores (a wall-clock limit only stops a hung demo, it measures nothing).
  it('pages for the injected incidents and shows them on the dashboard', {
    timeout: 720_000,
  }, async () => {
    const sink = await sinkPromise
    const started = Date.now()
    palisade = await startPalisadeProcess(
      {
        PALISADE_DATA_DIR: dataDir,
        PALISADE_TOKEN: token,
        PALISADE_PAGERDUTY_URL: sink.url,
        PALISADE_PAGERDUTY_ROUTING_KEY: routingKey,
      },
      'demo',
    )
    const sloPage = await until('a page for the auth SLO burn', 360_000 - (Date.now() - started), () =>
      sink.events.find(
        (event) =>
          event.body.event_action === 'trigger' &&
          /Auth success|auth-success/.test(event.body.payload!.summary),
      ),
    )
    expect(sloPage.body.routing_key).toBe(routingKey)
    expect(sloPage.body.payload!.severity).toBe('critical')
    expect(sloPage.body.dedup_key).toMatch(/\S{8,}/)
    const edgePage = await until('a page for the lateral movement', 360_000 - (Date.now() - started), () =>
      sink.events.find(
        (event) => event.body.event_action === 'trigger' && /postgres/.test(event.body.payload!.summary),
      ),
    )
    expect(edgePage.body.payload!.summary).toContain('frontend')

    const api = async (path: string) => {
      const response = await fetch(`${palisade!.dashboardUrl}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(200)
      return (await response.json()) as Record<string, unknown>
    }
    const { findings } = (await api('/api/v1/findings')) as { findings: { rule: string; summary: string }[] }
    expect(
      findings.some((finding) => finding.rule === 'lateral.new_edge' && finding.summary.includes('postgres')),
    ).toBe(true)
    const { slos } = (await api('/api/v1/slos')) as {
      slos: {
        name: string
        tiers: { firing: boolean }[]
        coverage: { complete: boolean; coveredMs: number }
        budget: { over: string }
      }[]
    }
    const authSlo = slos.find((slo) => slo.name === 'auth-success')!
    expect(authSlo.tiers.some((tier) => tier.firing)).toBe(true)
    // The demo's day of telemetry is not a 30-day window, and the status says so.
    expect(authSlo.coverage.complete).toBe(false)
    expect(authSlo.coverage.coveredMs).toBeGreaterThan(0)
    expect(authSlo.budget.over).toBe('covered')
    const incidents = JSON.stringify(
      await api(`/api/v1/panels/active_incidents?from=${Date.now() - 86_400_000}&to=${Date.now()}`),
    )
    expect(incidents).toContain('SLOBurnRate')
    // The edge's AWS WAF log reaches the on-call's "top triggered WAF rules" panel (it is sent
    // behind the history, which the pages above need not wait for).
    const wafRuleIds = await until('the WAF rules panel', 180_000, async () => {
      const { rows } = (await api(
        `/api/v1/panels/top_waf_rules?from=${Date.now() - 86_400_000}&to=${Date.now()}`,
      )) as unknown as { rows: { rule_id: string }[] }
      const ids = rows.map((row) => row.rule_id)
      return ids.includes('rate-limit-per-ip') ? ids : undefined
    })
    expect(wafRuleIds).toContain('AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS')

    // Sources re-send firing alerts every minute; the incident must stay one page.
    await new Promise((resolve) => setTimeout(resolve, 65_000))
    const triggers = sink.events.filter(
      (event) => event.body.event_action === 'trigger' && event.body.dedup_key === sloPage.body.dedup_key,
    )
    expect(triggers).toHaveLength(1)
  })
})
