import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createEventWriter } from '@palisade/clickhouse'
import { loadDashboards } from '@palisade/declarations'
import { validateEvent } from '@palisade/schema'
import {
  type DashboardTestServer,
  seedBaselineDays,
  startDashboardTestServer,
  testTokens,
} from '@palisade/testing'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// The service graph in Debian's Chromium: namespaces, mTLS per link, rates, filters kept in the
// URL, and where a node and a link lead. Never skips: without the browser it fails and says why.
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
  // Seven earlier days of decisions (deny ratio 0, 5 or 10 % by day, no workload identities: the
  // graph is unchanged) for the deny-ratio panel's baseline band.
  await seedBaselineDays(server.client, { tenant: 'acme', now: server.now })
  await seedLargeMesh(server.client, 'globex', server.now)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
  mkdirSync(artifactsDir, { recursive: true })
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function signIn(page: Page, problems: string[], token: string = testTokens.acme): Promise<void> {
  page.on('console', (message) => {
    const expected401 =
      /status of 401/.test(message.text()) && message.location().url.endsWith('/api/v1/session')
    if (message.type() === 'error' && !expected401)
      problems.push(`${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(`${server.base}/`)
  await page.locator('#token').fill(token)
  await page.locator('#login-button').click()
  await graphReady(page)
}

/**
 * A larger mesh for one tenant: 6 namespaces of 8 workloads, each calling two workloads of the
 * next namespace and one of its own, in mixed mTLS modes.
 */
async function seedLargeMesh(client: DashboardTestServer['client'], tenant: string, now: number) {
  const namespaces = ['ingress', 'web', 'api', 'jobs', 'data', 'vault']
  const id = (ns: number, w: number) => `spiffe://${tenant}.io/ns/${namespaces[ns]}/sa/workload-${ns}-${w}`
  const modes = ['mutual', 'mutual', 'mutual', 'plaintext', undefined] as const
  const events = []
  for (let ns = 0; ns < namespaces.length; ns++) {
    for (let w = 0; w < 8; w++) {
      const targets = ns + 1 < namespaces.length ? [id(ns + 1, (w * 3) % 8), id(ns + 1, (w * 5 + 1) % 8)] : []
      if (w + 1 < 8 && w % 2 === 0) targets.push(id(ns, w + 1))
      for (const [t, target] of targets.entries()) {
        const mode = modes[(ns + w + t) % modes.length]
        for (let i = 0; i < 1 + ((w + t) % 4); i++) {
          const result = validateEvent(
            'flow',
            {
              ts: now - (i + 1) * 60_000 - w * 1000,
              service: 'mesh',
              src_identity: id(ns, w),
              dst_identity: target,
              dst_port: 8080 + t,
              ...(mode ? { mtls: mode } : {}),
            },
            { tenant, observedAt: now },
          )
          if (!result.ok) throw new Error(result.reason)
          events.push(result.event)
        }
      }
    }
  }
  await createEventWriter(client).write('flow', events)
}

const graphPanel = (page: Page) => page.locator('[data-panel-id="service-graph"]')

async function graphReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.body.dataset.state === 'ready' &&
      ['ready', 'empty'].includes(
        document.querySelector<HTMLElement>('[data-panel-id="service-graph"]')?.dataset.state ?? '',
      ),
    undefined,
    { timeout: 20_000 },
  )
}

/** The links drawn, as `src-name>dst-name:mtls`, sorted. */
async function linksShown(graph: Locator): Promise<string[]> {
  const links = await graph.locator('path.edge').evaluateAll((paths) =>
    paths.map((p) => {
      const short = (id: string | null) => (id ?? '').split('/').pop()
      return `${short(p.getAttribute('data-src'))}>${short(p.getAttribute('data-dst'))}:${p.getAttribute('data-mtls')}`
    }),
  )
  return links.sort()
}

/** Click a link's curve where nothing covers it (its bounding box's centre may lie off the line). */
async function clickLink(page: Page, src: string, dst: string): Promise<void> {
  const point = await page.evaluate(
    ([s, d]) => {
      const path = Array.from(document.querySelectorAll<SVGPathElement>('path.edge-hit')).find(
        (p) => p.dataset.src?.endsWith(`/${s}`) && p.dataset.dst?.endsWith(`/${d}`),
      )
      if (!path) throw new Error(`no link ${s} → ${d}`)
      const matrix = path.getScreenCTM()
      if (!matrix) throw new Error('link not on screen')
      for (const t of [0.5, 0.6, 0.7, 0.8, 0.4, 0.3]) {
        const at = path.getPointAtLength(path.getTotalLength() * t)
        const x = at.x * matrix.a + at.y * matrix.c + matrix.e
        const y = at.x * matrix.b + at.y * matrix.d + matrix.f
        if (document.elementFromPoint(x, y) === path) return { x, y }
      }
      throw new Error(`link ${s} → ${d} is covered everywhere`)
    },
    [src, dst],
  )
  await page.mouse.click(point.x, point.y)
}

const allLinks = [
  'api-gateway>orders:plaintext',
  'api-gateway>payments:mutual',
  'frontend>api-gateway:mutual',
  'frontend>orders:unknown',
  'frontend>payments:unknown',
  'frontend>postgres:unknown',
  'legacy-batch>orders:plaintext',
  'orders>inventory:mutual',
  'orders>kafka:unknown',
  'orders>payments:mutual',
  'orders>postgres:mutual',
  'payments>ledger:mutual',
  'payments>postgres:mutual',
]

describe('service graph in a browser', () => {
  it('groups nodes by namespace and colours each link by its mTLS state, as wide as its rate', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const problems: string[] = []
    await signIn(page, problems)
    const graph = graphPanel(page)
    await graph.screenshot({ path: join(artifactsDir, 'service-graph.png') })
    expect(
      await graph
        .locator('g.namespace')
        .evaluateAll((bands) => bands.map((b) => b.getAttribute('data-namespace'))),
    ).toEqual(expect.arrayContaining(['shop', 'edge', 'data', 'finance', 'batch']))
    expect(await graph.locator('g.namespace').count()).toBe(5)
    // shop calls and is called from every side: a row per namespace, down the call chain.
    expect(await graph.locator('svg.graph').getAttribute('data-bands')).toBe('rows')
    // Every node sits inside its namespace's band.
    const misplaced = await page.evaluate(() => {
      const bands = new Map(
        Array.from(document.querySelectorAll('g.namespace')).map((band) => {
          const rect = band.querySelector('rect') as SVGRectElement
          return [
            band.getAttribute('data-namespace'),
            [rect.x.baseVal.value, rect.x.baseVal.value + rect.width.baseVal.value],
          ]
        }),
      )
      return Array.from(document.querySelectorAll<SVGGElement>('g.node')).filter((node) => {
        const x = Number(/translate\(([\d.]+),/.exec(node.getAttribute('transform') ?? '')?.[1])
        const [x0, x1] = bands.get(node.dataset.namespace ?? '') ?? [0, 0]
        return !(x > (x0 ?? 0) && x < (x1 ?? 0))
      }).length
    })
    expect(misplaced).toBe(0)
    expect(await linksShown(graph)).toEqual(allLinks)
    // The requests' links (720 in the range) are the widest; a 2-flow link the thinnest.
    const width = (src: string, dst: string) =>
      graph
        .locator(`path.edge[data-src$="/${src}"][data-dst$="/${dst}"]`)
        .evaluate((p) => Number(p.getAttribute('stroke-width')))
    expect(await width('frontend', 'payments')).toBeGreaterThan(await width('frontend', 'postgres'))
    // Rate labels say per minute below one a second; the denied link says how many.
    const labels = await graph.locator('text.edge-label').allTextContents()
    // frontend → payments: 720 requests in the 6 h shown, 20 denied; orders → payments: 3 blocked flows.
    expect(labels).toContain('2.0/min ⊘20')
    expect(labels).toContain('0.5/h ⊘3')
    expect(await graph.locator('.legend').textContent()).toContain('mutual TLS')
    expect(await graph.locator('.graph-note').textContent()).toContain('frontend → postgres:5432')
    expect(problems).toEqual([])
    await page.close()
  })

  it('narrows the links with filters kept in the URL, through a reload, and clears them', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const problems: string[] = []
    await signIn(page, problems)
    const graph = graphPanel(page)
    await graph.locator('select[name="mtls"]').selectOption('plaintext')
    await graphReady(page)
    await expect
      .poll(() => linksShown(graph))
      .toEqual(['api-gateway>orders:plaintext', 'legacy-batch>orders:plaintext'])
    expect(new URL(page.url()).searchParams.get('mtls')).toBe('plaintext')
    await graph.locator('input[name="denied"]').check()
    await graphReady(page)
    await expect.poll(() => new URL(page.url()).searchParams.get('denied'), { timeout: 15_000 }).toBe('true')
    await graph.locator('.empty').waitFor()
    expect(await graph.locator('.empty').textContent()).toBe('no link matches these filters in this window')
    await graph.locator('input[name="denied"]').uncheck()
    await graphReady(page)
    await graph.locator('select[name="namespace"]').selectOption('batch')
    await graphReady(page)
    await expect.poll(() => linksShown(graph), { timeout: 15_000 }).toEqual(['legacy-batch>orders:plaintext'])
    expect(new URL(page.url()).searchParams.get('namespace')).toBe('batch')
    await graph.screenshot({ path: join(artifactsDir, 'service-graph-filtered.png') })

    // A reload (or the link shared) shows the same links with the same filters chosen.
    await page.reload()
    await graphReady(page)
    await expect.poll(() => linksShown(graph), { timeout: 15_000 }).toEqual(['legacy-batch>orders:plaintext'])
    expect(await graph.locator('select[name="mtls"]').inputValue()).toBe('plaintext')
    expect(await graph.locator('select[name="namespace"]').inputValue()).toBe('batch')

    await graph.locator('select[name="mtls"]').selectOption('')
    await graphReady(page)
    await graph.locator('select[name="namespace"]').selectOption('')
    await graphReady(page)
    await graph.locator('select[name="min_rate"]').selectOption('0.0167')
    await graphReady(page)
    await expect
      .poll(() => linksShown(graph))
      .toEqual(['frontend>api-gateway:mutual', 'frontend>orders:unknown', 'frontend>payments:unknown'])
    await graph.locator('.graph-filter-reset').click()
    await graphReady(page)
    await expect.poll(() => linksShown(graph), { timeout: 15_000 }).toEqual(allLinks)
    const params = new URL(page.url()).searchParams
    expect(['namespace', 'mtls', 'denied', 'min_rate'].filter((name) => params.has(name))).toEqual([])
    expect(problems).toEqual([])
    await page.close()
  })

  it('opens a link card with hunts over what crossed it, and a node its entity page', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const problems: string[] = []
    await signIn(page, problems)
    const graph = graphPanel(page)
    await clickLink(page, 'legacy-batch', 'orders')
    const card = graph.locator('.edge-card')
    await card.waitFor()
    expect(await card.getAttribute('data-src')).toBe('spiffe://acme.io/ns/batch/sa/legacy-batch')
    expect(await card.getAttribute('data-dst')).toBe('spiffe://acme.io/ns/shop/sa/orders')
    const text = await card.textContent()
    expect(text).toContain('batch → shop')
    expect(text).toContain('plaintext')
    expect(text).toContain('4 plaintext')
    expect(text).toContain('8080')
    await graph.screenshot({ path: join(artifactsDir, 'service-graph-edge-card.png') })
    // Escape closes it; from the keyboard, Enter on the focused link opens it again.
    await page.keyboard.press('Escape')
    expect(await card.count()).toBe(0)
    await graph.getByRole('button', { name: 'link legacy-batch to orders' }).focus()
    await page.keyboard.press('Enter')
    await card.waitFor()
    expect(await card.getAttribute('data-src')).toBe('spiffe://acme.io/ns/batch/sa/legacy-batch')

    // The flows hunt: the four plaintext flows between the two, on the hunt page.
    await card.locator('a[data-hunt="flows"]').click()
    await page.waitForFunction(
      () => {
        const detail = document.querySelector<HTMLElement>('#detail')
        return detail?.dataset.view === 'hunt' && detail.dataset.state === 'ready'
      },
      undefined,
      { timeout: 20_000 },
    )
    expect(new URL(page.url()).hash).toBe('#/hunt')
    expect(new URL(page.url()).searchParams.get('q')).toContain("'spiffe://acme.io/ns/batch/sa/legacy-batch'")
    const rows = page.locator('.hunt-results tbody tr')
    expect(await rows.count()).toBe(4)
    for (const row of await rows.allTextContents()) {
      expect(row).toContain('legacy-batch')
      expect(row).toContain('plaintext')
    }
    await page.screenshot({ path: join(artifactsDir, 'service-graph-edge-hunt.png') })

    // Back on the dashboard, a node opens its entity page.
    await page.goBack()
    await page.locator('#dashboard').waitFor({ state: 'visible' })
    await graphReady(page)
    await graph.locator('g.node[data-entity="spiffe://acme.io/ns/finance/sa/ledger"]').click()
    await page.waitForFunction(
      () => {
        const detail = document.querySelector<HTMLElement>('#detail')
        return detail?.dataset.view === 'entity' && detail.dataset.state === 'ready'
      },
      undefined,
      { timeout: 20_000 },
    )
    expect(decodeURIComponent(page.url())).toContain('#/entity/spiffe/spiffe://acme.io/ns/finance/sa/ledger')
    expect(await page.locator('#detail .entity-value').textContent()).toBe(
      'spiffe://acme.io/ns/finance/sa/ledger',
    )
    expect(problems).toEqual([])
    await page.close()
  })

  it('draws the usual range behind the deny ratio, and says when there is nothing to compare with', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const problems: string[] = []
    await signIn(page, problems)
    const deny = page.locator('[data-panel-id="deny-ratio"]')
    await deny.locator('path.baseline-band').waitFor()
    expect(await deny.locator('path.baseline-band').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/)
    expect(await deny.locator('path.baseline-band').getAttribute('data-field')).toBe('deny_ratio')
    const item = deny.locator('.legend-band')
    expect(await item.textContent()).toContain('usual (p10–p90, 7 d)')
    expect(await item.getAttribute('title')).toContain('decision.deny_spike')
    // The latest bucket's band: the earlier days denied 0, 5 or 10 %.
    expect(await item.locator('.legend-value').textContent()).toBe('0.0% – 10.0%')
    // The band is under the line, and the scale holds it: its top is inside the plot.
    const [bandTop, plotTop] = await deny.evaluate((panel) => {
      const band = panel.querySelector('path.baseline-band') as SVGGraphicsElement
      const chart = panel.querySelector('svg.chart') as SVGSVGElement
      return [band.getBBox().y, chart.getBBox().y]
    })
    expect(bandTop).toBeGreaterThanOrEqual(plotTop)
    // Token refreshes were never seeded on earlier days: no band, and the legend says so.
    expect(await page.locator('[data-panel-id="sli-token-refresh"] .legend-band').textContent()).toContain(
      'no baseline: nothing in the 7 days before',
    )
    await deny.screenshot({ path: join(artifactsDir, 'baseline-band-deny-ratio.png') })
    expect(problems).toEqual([])
    await page.close()
  })

  it('keeps a larger mesh readable: a column per tier, names apart and clear of the titles', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const problems: string[] = []
    await signIn(page, problems, testTokens.globex)
    const graph = graphPanel(page)
    // 48 workloads, and globex's own billing → vault.
    expect(await graph.locator('g.node').count()).toBe(50)
    await graph.screenshot({ path: join(artifactsDir, 'service-graph-large.png') })
    const layout = await page.evaluate(() => {
      const box = (e: Element) => e.getBoundingClientRect()
      const labels = Array.from(document.querySelectorAll('[data-panel-id="service-graph"] .node-label')).map(
        box,
      )
      const overlaps = labels.flatMap((a, i) =>
        labels
          .slice(i + 1)
          .filter(
            (b) =>
              a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1,
          ),
      ).length
      const titles = Array.from(
        document.querySelectorAll('[data-panel-id="service-graph"] .namespace-title'),
      ).map(box)
      const circles = Array.from(
        document.querySelectorAll('[data-panel-id="service-graph"] g.node circle'),
      ).map(box)
      const covered = circles.filter((c) =>
        titles.some((t) => c.left < t.right && t.left < c.right && c.top < t.bottom && t.top < c.bottom),
      ).length
      const bands = document
        .querySelector('[data-panel-id="service-graph"] svg.graph')
        ?.getAttribute('data-bands')
      return { labels: labels.length, overlaps, covered, bands }
    })
    expect(layout.labels).toBeGreaterThan(0)
    expect(layout.overlaps).toBe(0)
    expect(layout.covered).toBe(0)
    // Tiers calling the next: a column per namespace, read left to right.
    expect(layout.bands).toBe('columns')
    expect(problems).toEqual([])
    await page.close()
  })
})
