import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadDeclarations } from '@palisade/declarations'
import type { Log } from '@palisade/runtime'
// @ts-expect-error oidc-provider ships no type declarations; the test uses its documented options only.
import Provider from 'oidc-provider'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// OpenID Connect sign-in in Chromium against a real provider run here (the certified
// `oidc-provider`, with its development login and consent pages): the dashboard sends the browser
// there with PKCE, the person signs in, the groups claim becomes a role in a tenant, and the
// session survives a restart of the all-in-one. A person in no granted group is refused.

const CHROMIUM = '/usr/bin/chromium'
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const token = 'oidc-test-token-0123456789abcdef'
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log
const CLIENT_SECRET = 'palisade-client-secret-0123456789abcdef'
const groupsOf: Record<string, string[]> = { ann: ['sre', 'staff'], bob: ['marketing'] }

let dataDir: string
let running: RunningPalisade | undefined
let providerServer: Server
let browser: Browser
let env: Record<string, string>

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function start(): Promise<RunningPalisade> {
  const config = loadConfig(env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  return startAllInOne(config, { declarations, receivers: loadReceivers(env, declarations.routing) }, quiet)
}

async function signInAs(page: Page, dashboardUrl: string, login: string): Promise<void> {
  await page.goto(dashboardUrl, { waitUntil: 'domcontentloaded' })
  await page.locator('#oidc-login').click()
  // The provider's development login page, then its consent page.
  await page.locator('input[name=login]').fill(login)
  await page.locator('input[name=password]').fill('any password')
  await page.locator('button[type=submit]').click()
  await page.locator('button[type=submit]', { hasText: 'Continue' }).click()
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`)
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-oidc-'))
  const dashboardPort = await freePort()
  const providerPort = await freePort()
  const issuer = `http://127.0.0.1:${providerPort}`
  const callback = `http://127.0.0.1:${dashboardPort}/api/v1/oidc/callback`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'palisade',
        client_secret: CLIENT_SECRET,
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    scopes: ['openid', 'profile', 'groups'],
    claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
    // The groups go in the ID token, which is what the dashboard reads.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    findAccount: (_context: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, name: id, groups: groupsOf[id] ?? [] }),
    }),
  })
  providerServer = createServer(provider.callback())
  await new Promise<void>((resolve) => providerServer.listen(providerPort, '127.0.0.1', resolve))
  env = {
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    PALISADE_COLLECTOR_PORT: '0',
    PALISADE_DASHBOARD_PORT: String(dashboardPort),
    PALISADE_OIDC_ISSUER: issuer,
    PALISADE_OIDC_CLIENT_ID: 'palisade',
    PALISADE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
    PALISADE_OIDC_REDIRECT_URL: callback,
    PALISADE_OIDC_GROUP_ROLES: 'staff=acme:viewer,sre=acme:responder',
  }
  running = await start()
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
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  providerServer?.closeAllConnections()
  await new Promise((resolve) => providerServer?.close(resolve))
  rmSync(dataDir, { recursive: true, force: true })
})

describe('OpenID Connect sign-in', () => {
  it('signs a person in with the strongest role their groups grant, and the session survives a restart', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signInAs(page, running!.dashboardUrl, 'ann')
    await expect
      .poll(() => page.locator('#tenant').textContent(), { timeout: 30_000 })
      .toBe('acme · responder')

    // The sign-in is in the audit trail under the person's subject.
    const trail = (await (
      await fetch(`${running!.dashboardUrl}/api/v1/audit`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { rows: { action: string; actor: string; tenant: string }[] }
    expect(trail.rows).toContainEqual(
      expect.objectContaining({ action: 'sign-in', actor: 'oidc:ann', tenant: 'acme' }),
    )

    await running!.stop()
    running = await start()
    await page.reload({ waitUntil: 'domcontentloaded' })
    await expect
      .poll(() => page.locator('#tenant').textContent(), { timeout: 30_000 })
      .toBe('acme · responder')
    await context.close()
  })

  it('shows the audit trail to an admin, and offers it to no one else', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signInAs(page, running!.dashboardUrl, 'ann')
    await expect
      .poll(() => page.locator('#tenant').textContent(), { timeout: 30_000 })
      .toBe('acme · responder')
    expect(await page.locator('#audit-link').isHidden()).toBe(true)
    await context.close()

    const admin = await browser.newContext()
    const adminPage = await admin.newPage()
    await adminPage.goto(running!.dashboardUrl, { waitUntil: 'domcontentloaded' })
    await adminPage.locator('#token').fill(token)
    await adminPage.locator('#login-button').click()
    await adminPage.locator('#audit-link').click()
    await expect
      .poll(() => adminPage.locator('#detail').textContent(), { timeout: 30_000 })
      .toContain('oidc:ann')
    expect(await adminPage.locator('#detail').textContent()).toContain('declarations.load')
    await admin.close()
  })

  it('refuses a person none of whose groups is granted a role', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signInAs(page, running!.dashboardUrl, 'bob')
    await expect
      .poll(() => page.locator('body').textContent(), { timeout: 30_000 })
      .toContain('none of your groups is granted a role here')
    await context.close()
  })
})
