import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createEventWriter } from '@palisade/clickhouse'
import { loadDashboards } from '@palisade/declarations'
import { buildIntent } from '@palisade/intent'
import { validateEvent } from '@palisade/schema'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// Debian's Chromium, driven by playwright-core, walking an investigation end to end: finding →
// evidence → entity page → a hunt → a request's decision timeline → back. Never skips: without
// the browser it fails and says what to install.
const CHROMIUM = '/usr/bin/chromium'
const artifactsDir = fileURLToPath(new URL('../../../artifacts', import.meta.url))
const REQUEST = 'walk-7f3a9c'
const DENIES = `SELECT request_id, subject, decision, policy_revision, enforcement_point
FROM decision
WHERE src_identity = 'spiffe://acme.io/ns/shop/sa/frontend' AND decision = 'deny'
ORDER BY ts DESC`

let server: DashboardTestServer
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`)
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({
      ...store,
      dashboards: loadDashboards(defaultDashboardsDir),
      // A default deny in the shop namespace only: the executive posture has something to compare.
      intent: buildIntent([
        {
          source: 'test intent',
          document: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: { name: 'default-deny-ingress', namespace: 'shop' },
            spec: { podSelector: {}, policyTypes: ['Ingress'] },
          },
        },
      ]).intent,
    }),
  )
  // One request seen at two hops: the gateway's Envoy allowed it, the payments PDP denied it.
  const hop = (record: Record<string, unknown>) => {
    const result = validateEvent(
      'decision',
      {
        service: 'payments',
        request_id: REQUEST,
        action: 'POST',
        resource: '/v1/payments/refund',
        src_identity: 'spiffe://acme.io/ns/shop/sa/frontend',
        ...record,
      },
      { tenant: 'acme', observedAt: server.now },
    )
    if (!result.ok) throw new Error(result.reason)
    return result.event
  }
  await createEventWriter(server.client).write('decision', [
    hop({
      ts: server.now - 90_000,
      source: 'envoy',
      pdp: 'envoy_ext_authz',
      enforcement_point: 'ingress-gateway',
      decision: 'allow',
    }),
    hop({
      ts: server.now - 89_960,
      source: 'opa',
      pdp: 'opa',
      enforcement_point: 'payments-sidecar',
      subject: 'user:mallory@acme.io',
      decision: 'deny',
      policy_id: 'payments.requires_mfa',
      policy_revision: 'r42',
      latency_ms: 4.2,
    }),
  ])
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  })
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function signIn(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const problems: string[] = []
  page.on('console', (message) => {
    const expected401 =
      /status of 401/.test(message.text()) && message.location().url.endsWith('/api/v1/session')
    // A refused hunt answers 400 by design; the page shows the reason.
    const expected400 =
      /status of 400/.test(message.text()) && message.location().url.includes('/api/v1/hunts/run')
    if (message.type() === 'error' && !expected401 && !expected400)
      problems.push(`${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(`${server.base}/`)
  await page.locator('#token').fill(testTokens.acme)
  await page.locator('#login-button').click()
  await page.waitForFunction(
    () =>
      document.body.dataset.state === 'ready' &&
      Array.from(document.querySelectorAll<HTMLElement>('.panel')).every(
        (p) => p.dataset.state !== 'loading',
      ),
    undefined,
    { timeout: 20_000 },
  )
  return { page, problems }
}

const detailReady = (page: Page, view: string, state = 'ready') =>
  page.waitForFunction(
    ([wanted, wantedState]) => {
      const node = document.querySelector<HTMLElement>('#detail')
      return (
        node !== null && node.dataset.view === wanted && node.dataset.state === wantedState && !node.hidden
      )
    },
    [view, state],
    { timeout: 20_000 },
  )

describe('an investigation in a browser', () => {
  it('walks finding → evidence → entity page → a hunt → a request timeline → back, each view showing what its link promised', async () => {
    const { page, problems } = await signIn()
    mkdirSync(artifactsDir, { recursive: true })
    const detail = page.locator('#detail')

    // The newest paging finding opens its evidence.
    await page.locator('[data-panel-id="findings"] .finding a.finding-name').first().click()
    await detailReady(page, 'finding')
    expect(page.url()).toContain('#/finding/acme-new-edge')
    expect(await detail.locator('[data-section="events"] .evidence-event').count()).toBe(1)

    // Its source identity opens the entity page.
    await detail
      .locator('[data-section="events"] a.entity-link', { hasText: 'spiffe://acme.io/ns/shop/sa/frontend' })
      .first()
      .click()
    await detailReady(page, 'entity')
    expect(await detail.locator('.entity-value').textContent()).toBe('spiffe://acme.io/ns/shop/sa/frontend')

    // The Hunt link opens the query box; a hunt over this identity's denies answers a table.
    await page.locator('#hunt-link').click()
    await detailReady(page, 'hunt')
    expect(await page.locator('#hunt-link').getAttribute('class')).toContain('active')
    await page.locator('#hunt-query').fill(DENIES)
    await page.locator('#hunt-run').click()
    await detailReady(page, 'hunt')
    const results = detail.locator('table.hunt-results')
    expect(await results.locator('th').allTextContents()).toEqual([
      'request_id',
      'subject',
      'decision',
      'policy_revision',
      'enforcement_point',
    ])
    const rows = results.locator('tbody tr')
    expect(await rows.count()).toBeGreaterThan(5)
    expect(await rows.first().locator('td').nth(0).textContent()).toContain(REQUEST)
    // The query is in the URL: a shared link or a reload runs the same hunt.
    expect(new URL(page.url()).searchParams.get('q')).toContain("decision = 'deny'")
    await page.screenshot({ path: join(artifactsDir, 'hunt-results.png'), fullPage: true })

    // A pivot: filter on revision r41 keeps only those rows and shows the filter as a chip.
    const r41 = rows.locator('td', { hasText: /^r41/ }).first()
    await r41.hover()
    await r41.locator('button.pivot-filter').click()
    await page.waitForFunction(() => document.querySelectorAll('#detail .filter-chip').length === 1)
    await detailReady(page, 'hunt')
    const revisions = await detail
      .locator('table.hunt-results tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[3]?.textContent?.replace('⊜', '')))
    expect(revisions.length).toBeGreaterThan(0)
    expect(new Set(revisions)).toEqual(new Set(['r41']))
    await detail.locator('.filter-chip').click()
    await page.waitForFunction(() => document.querySelectorAll('#detail .filter-chip').length === 0)
    await detailReady(page, 'hunt')

    // A refused hunt says why, in the page.
    await page.locator('#hunt-query').fill('SELECT * FROM system.tables')
    await page.locator('#hunt-run').click()
    await detailReady(page, 'hunt', 'refused')
    expect(await detail.locator('.hunt-refusal').textContent()).toContain('system tables are not readable')
    await page.screenshot({ path: join(artifactsDir, 'hunt-refused.png') })
    // Back to the entity page and forward again: the hunt comes back as it was left (refused).
    await page.goBack()
    await detailReady(page, 'entity')
    await page.goForward()
    await detailReady(page, 'hunt', 'refused')
    expect(await page.locator('#hunt-query').inputValue()).toBe('SELECT * FROM system.tables')
    await page.locator('#hunt-query').fill(DENIES)
    await page.locator('#hunt-run').click()
    await detailReady(page, 'hunt')

    // The request id opens that request's decision timeline, both hops in order.
    await detail.locator('a.request-link', { hasText: REQUEST }).first().click()
    await detailReady(page, 'request')
    expect(decodeURIComponent(page.url())).toContain(`#/request/${REQUEST}`)
    expect(await detail.locator('.entity-value').textContent()).toBe(REQUEST)
    const hops = detail.locator('table.request-timeline tbody tr')
    expect(await hops.count()).toBe(2)
    expect(await hops.nth(0).textContent()).toContain('ingress-gateway')
    expect(await hops.nth(0).textContent()).toContain('allow')
    expect(await hops.nth(1).textContent()).toContain('payments-sidecar')
    expect(await hops.nth(1).textContent()).toContain('deny')
    expect(await hops.nth(1).textContent()).toContain('payments.requires_mfa')
    await page.screenshot({ path: join(artifactsDir, 'request-timeline.png'), fullPage: true })

    // Back: the hunt again with its query and results, then the entity page, then the finding.
    await page.goBack()
    await detailReady(page, 'hunt')
    expect(await page.locator('#hunt-query').inputValue()).toContain("decision = 'deny'")
    expect(await detail.locator('table.hunt-results tbody tr').count()).toBeGreaterThan(5)
    await page.goBack()
    await detailReady(page, 'entity')
    await page.goBack()
    await detailReady(page, 'finding')
    expect(problems).toEqual([])
    await page.close()
  })

  it('saves a hunt under its own address, which opens the same query for a colleague', async () => {
    const { page, problems } = await signIn()
    await page.locator('#hunt-link').click()
    await detailReady(page, 'hunt')
    await page
      .locator('#hunt-query')
      .fill(
        "SELECT subject, count() AS denies FROM decision WHERE decision = 'deny' GROUP BY subject ORDER BY denies DESC",
      )
    await page.locator('input.hunt-name').fill('Denies by subject')
    await page.locator('#hunt-save').click()
    await page.waitForFunction(() => /#\/hunt\/[A-Za-z0-9_-]{12}$/.test(location.hash))
    await detailReady(page, 'hunt')
    const address = page.url()
    expect(await page.locator('.detail-title').textContent()).toContain('Denies by subject')
    expect(await page.locator('#hunt-rule').getAttribute('href')).toMatch(
      /api\/v1\/hunts\/[A-Za-z0-9_-]{12}\/rule$/,
    )

    const colleague = await signIn()
    await colleague.page.goto(address)
    await detailReady(colleague.page, 'hunt')
    expect(await colleague.page.locator('#hunt-query').inputValue()).toContain('count() AS denies')
    expect(await colleague.page.locator('table.hunt-results tbody tr').count()).toBeGreaterThan(0)
    expect(problems).toEqual([])
    expect(colleague.problems).toEqual([])
    await colleague.page.close()
    await page.close()
  })

  it('draws the debug and executive dashboards, every panel ready or saying why it is empty', async () => {
    const { page, problems } = await signIn()
    for (const id of ['debug', 'executive']) {
      await page.locator(`a.tab[href="#/${id}"]`).click()
      await page.waitForFunction(
        (wanted) =>
          location.hash === `#/${wanted}` &&
          document.querySelectorAll('.panel').length > 0 &&
          Array.from(document.querySelectorAll<HTMLElement>('.panel')).every(
            (p) => p.dataset.state !== 'loading',
          ),
        id,
        { timeout: 20_000 },
      )
      const states = await page.$$eval('.panel', (panels) =>
        Object.fromEntries(
          panels.map((p) => [(p as HTMLElement).dataset.panelId, (p as HTMLElement).dataset.state]),
        ),
      )
      expect(Object.values(states).includes('error'), JSON.stringify(states)).toBe(false)
      await page.screenshot({ path: join(artifactsDir, `dashboard-${id}.png`), fullPage: true })
    }
    await page.locator('a.tab[href="#/debug"]').click()
    await page.locator('[data-panel-id="request-timelines"][data-state="ready"]').waitFor()
    await page.locator('a.tab[href="#/executive"]').click()
    await page.locator('[data-panel-id="compliance"][data-state="ready"]').waitFor()
    expect(
      await page.locator('[data-panel-id="compliance"] [data-figure="default-deny"]').textContent(),
    ).toMatch(/default-deny coverage\d+(\.\d)?%\d+ of \d+ destinations/)
    await page.locator('a.tab[href="#/debug"]').click()
    await page.locator('[data-panel-id="request-timelines"][data-state="ready"]').waitFor()
    expect(await page.locator('[data-panel-id="posture-heartbeats"]').textContent()).toContain(
      'No source sends posture heartbeats yet',
    )
    await page.locator('[data-panel-id="request-timelines"] a.request-link', { hasText: REQUEST }).click()
    await detailReady(page, 'request')
    expect(await page.locator('#detail table.request-timeline tbody tr').count()).toBe(2)
    expect(problems).toEqual([])
    await page.close()
  })

  it('marks incidents on every chart, says the time under the pointer, and zooms every chart to a dragged span', async () => {
    const { page, problems } = await signIn()
    const chart = page.locator('[data-panel-id="deny-ratio"] svg.chart')
    // The seeded incidents opened within the 6 h range: each chart marks them, named on hover.
    const marks = chart.locator('g.annotation[data-kind="incident"]')
    expect(await marks.count()).toBeGreaterThanOrEqual(1)
    expect(await marks.first().locator('title').textContent()).toMatch(/^incident · \d\d:\d\d:\d\d UTC · /)
    const box = await chart.locator('rect.hover-target').boundingBox()
    if (!box) throw new Error('no chart on screen')
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2)
    expect(await page.locator('[data-panel-id="deny-ratio"] .legend-time').textContent()).toMatch(
      /^\d\d:\d\d:\d\d UTC$/,
    )
    // Drag across the right third: every chart now spans that, and the range is in the URL.
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await page.waitForFunction(() => new URL(location.href).searchParams.has('from'))
    const url = new URL(page.url())
    const span = Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))
    // A third of 6 h, give or take the pixels.
    expect(span).toBeGreaterThan(1.5 * 3600_000)
    expect(span).toBeLessThan(2.1 * 3600_000)
    expect(await page.locator('button.custom-toggle.active').textContent()).toMatch(/ – .* UTC$/)
    expect(await page.locator('#ranges button.range.active').count()).toBe(1)
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.panel')).every(
        (p) => p.dataset.state !== 'loading',
      ),
    )
    // The zoom survives a reload; a range button goes back to a relative range.
    await page.reload()
    await page.locator('button.custom-toggle.active').waitFor()
    await page.locator('#ranges button.range', { hasText: '6h' }).click()
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('from'))
    expect(await page.locator('#ranges button.range.active').textContent()).toBe('6h')
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.panel')).every(
        (p) => p.dataset.state !== 'loading',
      ),
    )
    await page.screenshot({ path: join(artifactsDir, 'dashboard-oncall-annotations.png') })
    expect(problems).toEqual([])
    await page.close()
  })
})
