import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// Debian's Chromium, driven by playwright-core. This test never skips: without the browser it
// fails and says what to install, in CI and on a laptop alike.
const CHROMIUM = '/usr/bin/chromium'
const artifactsDir = fileURLToPath(new URL('../../../artifacts', import.meta.url))

let server: DashboardTestServer
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser test`,
    )
  }
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Open the page, sign in through the form, and wait until every panel has loaded. */
async function signIn(token: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const problems: string[] = []
  // Console errors include CSP violations: an inline script or a CDN would show up here.
  page.on('console', (message) => {
    // The page's first question, "am I signed in?", is answered 401 before login, and Chromium logs it.
    const expected401 =
      /status of 401/.test(message.text()) && message.location().url.endsWith('/api/v1/session')
    if (message.type() === 'error' && !expected401)
      problems.push(`${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(`${server.base}/`)
  await page.locator('#token').waitFor({ state: 'visible' })
  await page.locator('#token').fill(token)
  await page.locator('#login-button').click()
  await panelsLoaded(page)
  return { page, problems }
}

/** Wait until the page is drawn and no panel is still loading. */
async function panelsLoaded(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.body.dataset.state === 'ready' &&
      Array.from(document.querySelectorAll<HTMLElement>('.panel')).every(
        (panel) => panel.dataset.state !== 'loading',
      ),
    undefined,
    { timeout: 20_000 },
  )
}

const panel = (page: Page, id: string) => page.locator(`[data-panel-id="${id}"]`)

describe('dashboard in a browser', () => {
  it('signs in through the form and draws every on-call panel with data', async () => {
    const { page, problems } = await signIn(testTokens.acme)
    const states = await page.$$eval('.panel', (panels) =>
      Object.fromEntries(
        panels.map((p) => [(p as HTMLElement).dataset.panelId, (p as HTMLElement).dataset.state]),
      ),
    )
    expect(
      Object.values(states).every((state) => state === 'ready'),
      JSON.stringify(states),
    ).toBe(true)

    // SLO cards: SLI, budget, burn per window, firing tiers, a burn-rate line.
    const slo = panel(page, 'slo-burn')
    expect(await slo.locator('.slo-card').count()).toBe(2)
    const auth = slo.locator('.slo-card[data-slo="auth-availability"]')
    await expect.poll(() => auth.textContent()).toContain('Auth availability')
    const authText = await auth.textContent()
    expect(authText).toContain('99.871%')
    expect(authText).toContain('page 1h/5m ≥ 14.4×')
    // Its service's rollouts are frozen (above 2× over the hour); decision latency's are not.
    expect(await auth.locator('.rollout-frozen').count()).toBe(1)
    expect(await auth.locator('.rollout-frozen').getAttribute('title')).toContain(
      'rollouts of sso are frozen',
    )
    expect(await slo.locator('.slo-card[data-slo="decision-latency"] .rollout-frozen').count()).toBe(0)
    expect(await auth.locator('.burn').count()).toBe(7)
    expect(await auth.locator('path.burn-line').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/)
    // 8 hours of data: the budget says it is over those 8 hours, not the 30-day window.
    expect(authText).toContain('−29.0%')
    expect(authText).toContain('over the 8h covered, not the 30d window')
    expect(authText).toContain('budget spent')
    const latencyCard = await slo.locator('.slo-card[data-slo="decision-latency"]').textContent()
    expect(latencyCard).toContain('of the 30d budget')
    expect(latencyCard).toContain('runs out in 8d 20h at 2.1× over 1h')

    // Findings, newest first, with a severity badge and entities.
    const findings = panel(page, 'findings').locator('.finding')
    expect(await findings.count()).toBe(5)
    expect(await findings.first().textContent()).toContain('New edge frontend → postgres:5432')
    expect(await findings.first().locator('.badge-page').count()).toBe(1)
    expect(await findings.first().locator('.chip').count()).toBeGreaterThanOrEqual(2)

    // Service graph: nodes, and the new edge highlighted.
    const graph = panel(page, 'service-graph')
    expect(await graph.locator('svg.graph circle').count()).toBe(9)
    const fresh = graph.locator('path.edge.fresh')
    expect(await fresh.count()).toBe(1)
    expect(await fresh.getAttribute('data-src')).toBe('spiffe://acme.io/ns/shop/sa/frontend')
    expect(await fresh.getAttribute('data-dst')).toBe('spiffe://acme.io/ns/data/sa/postgres')
    // Blocked flows (orders → payments) and denied requests (frontend's three) mark their links.
    expect(await graph.locator('path.edge.denied').count()).toBe(4)
    expect(await graph.locator('.legend').textContent()).toContain('new edge')

    // Time series: one drawn path per declared series.
    const latency = panel(page, 'decision-latency').locator('path.series')
    expect(await latency.count()).toBe(3)
    for (const d of await latency.evaluateAll((paths) => paths.map((p) => p.getAttribute('d') ?? ''))) {
      expect(d).toMatch(/^M[\d.]+,[\d.]+L/)
    }
    expect(await panel(page, 'deny-ratio').locator('path.series').count()).toBe(1)

    // Incidents and the denied-requests table.
    expect(await panel(page, 'incidents').locator('.incident').count()).toBe(3)
    expect(await panel(page, 'incidents').textContent()).toContain('AuthAvailabilityBurnRate')
    expect(await panel(page, 'live-denies').locator('tbody tr').count()).toBeGreaterThan(10)

    mkdirSync(artifactsDir, { recursive: true })
    await page.screenshot({ path: join(artifactsDir, 'dashboard-oncall.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  it('walks finding → evidence → entity page → back, each view showing what its link promised', async () => {
    const { page, problems } = await signIn(testTokens.acme)
    mkdirSync(artifactsDir, { recursive: true })
    const detail = page.locator('#detail')
    const detailReady = (view: string) =>
      page.waitForFunction(
        (wanted) => {
          const node = document.querySelector<HTMLElement>('#detail')
          return node?.dataset.view === wanted && node.dataset.state === 'ready' && !node.hidden
        },
        view,
        { timeout: 20_000 },
      )

    // Findings: pages first, then tickets, then info; newest first within a severity.
    const findings = panel(page, 'findings').locator('.finding')
    const severities = await findings.evaluateAll((items) =>
      items.map((item) => item.querySelector('.badge')?.textContent),
    )
    expect(severities).toEqual(['page', 'page', 'ticket', 'ticket', 'info'])

    // The finding opens its evidence: the stored flow it cites, the baseline, the intent.
    await findings.first().locator('a.finding-name').click()
    await detailReady('finding')
    expect(page.url()).toContain('#/finding/acme-new-edge')
    expect(await detail.locator('.detail-title').textContent()).toContain('New edge frontend → postgres:5432')
    const events = detail.locator('[data-section="events"] .evidence-event')
    expect(await events.count()).toBe(1)
    const eventText = await events.first().textContent()
    expect(eventText).toContain('spiffe://acme.io/ns/shop/sa/frontend')
    expect(eventText).toContain('spiffe://acme.io/ns/data/sa/postgres')
    expect(eventText).toContain('5432')
    expect(await detail.locator('[data-section="baseline"]').textContent()).toContain('baseline edges10')
    expect(await detail.locator('[data-section="intent"]').textContent()).toContain('sensitive service')
    await page.screenshot({ path: join(artifactsDir, 'dashboard-finding.png'), fullPage: true })

    // The event's source identity opens the entity page: timeline across kinds, peers, risk.
    await events.first().locator('a.entity-link', { hasText: 'spiffe://acme.io/ns/shop/sa/frontend' }).click()
    await detailReady('entity')
    expect(decodeURIComponent(page.url())).toContain('#/entity/spiffe/spiffe://acme.io/ns/shop/sa/frontend')
    expect(await detail.locator('.entity-value').textContent()).toBe('spiffe://acme.io/ns/shop/sa/frontend')
    expect(await detail.locator('[data-stat="risk"] .stat-value').textContent()).toBe('10')
    const peers = detail.locator('[data-section="peers"] tbody tr')
    expect(await peers.count()).toBe(2)
    expect(await detail.locator('[data-section="peers"]').textContent()).toContain(
      'spiffe://acme.io/ns/data/sa/postgres',
    )
    const kinds = await detail
      .locator('[data-section="timeline"] .timeline-row')
      .evaluateAll((rows) => [...new Set(rows.map((row) => (row as HTMLElement).dataset.kind))].sort())
    expect(kinds).toEqual(['decision', 'finding', 'flow'])
    const contribution = detail.locator('[data-section="risk"] a')
    expect(await contribution.textContent()).toBe('New edge frontend → postgres:5432')
    expect(await contribution.getAttribute('href')).toBe('#/finding/acme-new-edge')
    await page.screenshot({ path: join(artifactsDir, 'dashboard-entity.png') })
    // The flow count narrows the timeline to flows; the view and that filter are in the URL, so a
    // reload opens the same filtered entity page.
    await detail.locator('button.stat-filter[data-kind="flow"]').click()
    await page.waitForFunction(() => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('#detail .timeline-row'))
      return rows.length > 0 && rows.every((row) => row.dataset.kind === 'flow')
    })
    expect(new URL(page.url()).searchParams.get('only')).toBe('flow')
    await page.reload()
    await detailReady('entity')
    expect(await detail.locator('.entity-value').textContent()).toBe('spiffe://acme.io/ns/shop/sa/frontend')
    expect(await detail.locator('button.stat-filter.active').getAttribute('data-kind')).toBe('flow')
    expect(await detail.locator('[data-section="timeline"] .timeline-row').count()).toBe(32)

    // Back: the finding again, then the dashboard with its panels.
    await page.goBack()
    await detailReady('finding')
    expect(await detail.locator('.detail-title').textContent()).toContain('New edge frontend → postgres:5432')
    await page.goBack()
    await page.locator('#dashboard').waitFor({ state: 'visible' })
    expect(await detail.isHidden()).toBe(true)
    await expect.poll(() => panel(page, 'findings').locator('.finding').count(), { timeout: 15_000 }).toBe(5)

    // A chip on the dashboard leads to its entity page too: the sprayer's IP.
    await panel(page, 'findings').locator('a.chip-link[data-entity-kind="ip"]').first().click()
    await detailReady('entity')
    expect(await detail.locator('.entity-value').textContent()).toBe('203.0.113.7')
    expect(await detail.locator('[data-section="timeline"]').textContent()).toContain(
      'Password spray against sso',
    )
    await page.goBack()
    await page.locator('#dashboard').waitFor({ state: 'visible' })

    // An incident opens its timeline: the notification and the finding of its rule.
    await panel(page, 'incidents').locator('a.incident-name', { hasText: 'auth.password_spray' }).click()
    await detailReady('incident')
    expect(await detail.locator('[data-section="notifications"] tbody tr').count()).toBe(1)
    expect(await detail.locator('[data-section="notifications"]').textContent()).toContain('pagerduty')
    expect(await detail.locator('[data-section="findings"] a').getAttribute('href')).toBe(
      '#/finding/acme-spray',
    )
    // On-call acknowledges it from here: the action joins the incident's timeline with who took it.
    await detail.locator('input.action-comment').fill('looking at the IdP')
    await detail.locator('button.action-ack').click()
    await detail.locator('[data-section="actions"] tbody tr').waitFor({ timeout: 20_000 })
    expect(await detail.locator('[data-section="actions"] tbody').textContent()).toContain(
      'looking at the IdP',
    )
    expect(await detail.locator('[data-section="actions"] tbody').textContent()).toContain('acme API token')
    await page.goBack()
    await page.locator('#dashboard').waitFor({ state: 'visible' })

    // A graph node opens its entity page.
    await panel(page, 'service-graph')
      .locator('g.node[data-entity="spiffe://acme.io/ns/data/sa/postgres"]')
      .click()
    await detailReady('entity')
    expect(await detail.locator('.entity-value').textContent()).toBe('spiffe://acme.io/ns/data/sa/postgres')
    expect(problems).toEqual([])
    await page.close()
  })

  it('lists the SLOs worst first with budget, coverage, exhaustion and a burn-down over the window', async () => {
    const { page, problems } = await signIn(testTokens.acme)
    await page.locator('a.tab[href="#/slos"]').click()
    await page.locator('[data-panel-id="slo-list"][data-state="ready"]').waitFor({ timeout: 20_000 })
    const rows = page.locator('.slo-row')
    expect(await rows.evaluateAll((list) => list.map((row) => (row as HTMLElement).dataset.slo))).toEqual([
      'auth-availability',
      'decision-latency',
    ])
    const auth = rows.first()
    expect(await auth.getAttribute('class')).toContain('slo-page')
    expect(await auth.locator('.coverage-note').textContent()).toBe(
      'Data covers 8h of the 30d window: the budget is computed over those 8h only.',
    )
    expect(await auth.locator('.no-data text').textContent()).toMatch(/^no data before /)
    const latency = rows.nth(1)
    expect(await latency.locator('.coverage-note').count()).toBe(0)
    expect(await latency.locator('.exhaustion').textContent()).toBe('runs out in 8d 20h at 2.1× over 1h')
    for (const row of [auth, latency]) {
      expect(await row.locator('path.burn-down-line').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/)
    }
    // The line ends at the budget left: 62% for decision-latency, below the top (100%) of its chart.
    const ends = await latency.locator('path.burn-down-line').evaluate((path) => {
      const d = path.getAttribute('d') ?? ''
      const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]))
      return { first: ys[0], last: ys.at(-1) }
    })
    expect(ends.last).toBeGreaterThan(Number(ends.first))
    mkdirSync(artifactsDir, { recursive: true })
    await page.screenshot({ path: join(artifactsDir, 'dashboard-slos.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  it('shows caller, enforcement point, revision and reason for every denied request', async () => {
    const { page } = await signIn(testTokens.acme)
    const table = panel(page, 'live-denies')
    expect(await table.locator('th').allTextContents()).toEqual([
      'time',
      'service',
      'caller',
      'action',
      'resource',
      'enforced by',
      'revision',
      'reason',
      'request',
    ])
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
      )
    expect(rows.length).toBeGreaterThan(10)
    for (const row of rows) {
      // OPA behind the Envoy sidecar names the user; a WAF (no user, no workload) the client address.
      if (row[5] === 'envoy-sidecar') {
        expect(row[2]).toMatch(/^user:/)
        expect(row[6]).toMatch(/^r4[12]$/)
        expect(row[7]).toMatch(/^denied by [a-z-]+\.requires_mfa$/)
      } else {
        expect(row[5]).toMatch(/^(shop-edge-acl|storefront-waf)$/)
        expect(row[2]).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
        expect(row[7]).toMatch(/^(block by |942100 )/)
      }
    }
    expect(rows.some((row) => row[5] === 'envoy-sidecar')).toBe(true)
    expect(rows.some((row) => row[5] === 'shop-edge-acl')).toBe(true)
    // A user caller opens the user's entity page.
    const userRow = table.locator('tbody tr', {
      has: page.locator('td:nth-child(6)', { hasText: 'envoy-sidecar' }),
    })
    await userRow.first().locator('td:nth-child(3) a.entity-link').click()
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#detail')?.dataset.state === 'ready',
    )
    expect(await page.locator('#detail .entity-kind').textContent()).toBe('user')
    await page.close()
  })

  it('lists the top triggered WAF rules; a rule opens a hunt of its requests, a top client its entity page', async () => {
    const { page, problems } = await signIn(testTokens.acme)
    const table = panel(page, 'waf-rules')
    expect(await table.locator('th').allTextContents()).toEqual([
      'rule',
      'action',
      'enforced by',
      'hits',
      'on denied',
      'top clients',
    ])
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
      )
    expect(rows.map((row) => row.slice(0, 4))).toEqual([
      ['AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary', 'count', 'shop-edge-acl', '180'],
      ['AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS', 'block', 'shop-edge-acl', '90'],
      ['942100', 'match', 'storefront-waf', '30'],
      ['949110', 'block', 'storefront-waf', '30'],
      ['rate-limit-login', 'block', 'shop-edge-acl', '6'],
    ])
    mkdirSync(artifactsDir, { recursive: true })
    await table.screenshot({ path: join(artifactsDir, 'dashboard-waf-rules.png') })

    // The scanner, first among the SQLi rule's clients, opens its IP's entity page.
    const sqli = table.locator('tbody tr').nth(1)
    expect(await sqli.locator('td:nth-child(6) a.entity-link').first().textContent()).toBe('203.0.113.45')
    await sqli.locator('td:nth-child(6) a.entity-link').first().click()
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#detail')?.dataset.state === 'ready',
    )
    expect(await page.locator('#detail .entity-kind').textContent()).toBe('IP address')
    expect(await page.locator('#detail').textContent()).toContain('203.0.113.45')
    await page.goBack()
    await panelsLoaded(page)

    // The rule opens a hunt of the decisions it matched: the scanner's blocked searches.
    await panel(page, 'waf-rules').locator('tbody tr').nth(1).locator('a.rule-link').click()
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#detail')?.dataset.state === 'ready',
      undefined,
      { timeout: 20_000 },
    )
    const hunt = page.locator('#detail')
    expect(await page.locator('#hunt-query').inputValue()).toContain(
      "WHERE mapContains(rule_actions, 'AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS')",
    )
    // The rule's 90 blocked requests in the range, and none of the allowed ones other rules counted.
    await expect.poll(() => hunt.locator('table tbody tr').count(), { timeout: 15_000 }).toBe(90)
    const huntText = await hunt.locator('table tbody').textContent()
    expect(huntText).toContain('203.0.113.45')
    expect(huntText).toContain('block by AWS-AWSManagedRulesSQLiRuleSet (MANAGED_RULE_GROUP)')
    expect(huntText).not.toContain('/api/products')
    await page.screenshot({ path: join(artifactsDir, 'dashboard-waf-rule-hunt.png') })
    expect(problems).toEqual([])
    await page.close()
  })

  it('keeps the range and the severity filter in the URL across a reload', async () => {
    const { page } = await signIn(testTokens.acme)
    await page.locator('#ranges button', { hasText: '24h' }).click()
    await page.locator('#severity-filter').selectOption('page')
    await expect.poll(() => panel(page, 'findings').locator('.finding').count(), { timeout: 15_000 }).toBe(2)
    expect(new URL(page.url()).searchParams.get('range')).toBe('24h')
    expect(new URL(page.url()).searchParams.get('severity')).toBe('page')

    const spans: number[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname.endsWith('/api/v1/panels/decision_latency'))
        spans.push(Number(url.searchParams.get('to')) - Number(url.searchParams.get('from')))
    })
    await page.reload()
    await panelsLoaded(page)
    expect(await page.locator('#ranges button.active').textContent()).toBe('24h')
    expect(await page.locator('#severity-filter').inputValue()).toBe('page')
    expect(await panel(page, 'findings').locator('.finding').count()).toBe(2)
    // The panels asked for the day, not the dashboard's default 6 h.
    expect(spans.at(-1)).toBe(24 * 3600_000)
    await page.screenshot({ path: join(artifactsDir, 'dashboard-url-state.png') })
    await page.close()
  })

  it('says "no data in this window" for a tenant without data instead of blank boxes', async () => {
    const { page, problems } = await signIn(testTokens.globex)
    expect(await panel(page, 'decision-latency').textContent()).toContain('no data in this window')
    expect(await panel(page, 'live-denies').textContent()).toContain('no data in this window')
    expect(await panel(page, 'slo-burn').textContent()).toContain('no SLOs are defined')
    // globex's own edge is drawn; nothing of acme's.
    expect(await panel(page, 'service-graph').locator('circle').count()).toBe(2)
    expect(await page.locator('body').textContent()).not.toContain('postgres')
    expect(problems).toEqual([])
    await page.close()
  })

  it('signs out back to the login form, and the session no longer works', async () => {
    const { page } = await signIn(testTokens.acme)
    await page.locator('#logout').click()
    await page.locator('#login').waitFor({ state: 'visible' })
    const status = await page.evaluate(async () => (await fetch('api/v1/session')).status)
    expect(status).toBe(401)
    await page.close()
  })

  it('refuses a wrong token in the form', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.base}/`)
    await page.locator('#token').fill('wrong-token')
    await page.locator('#login-button').click()
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('not accepted')
    await page.close()
  })
})
