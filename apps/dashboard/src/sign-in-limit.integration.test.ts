import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// Its own server: the brake is per client address, and every test here comes from 127.0.0.1.
let server: DashboardTestServer
beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
})
afterAll(() => server?.close())

const signIn = (token: string) =>
  fetch(`${server.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })

describe('dashboard API > sign-in brake', () => {
  it('answers 429 with Retry-After after 10 wrong tokens a minute, even to the right one, and counts both', async () => {
    for (let n = 0; n < 10; n++) expect((await signIn(`guess-${n}`)).status).toBe(401)
    const braked = await signIn(testTokens.acme)
    expect(braked.status).toBe(429)
    expect(Number(braked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await braked.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_SIGN_INS')
    const text = await server.metrics.metrics()
    expect(text).toMatch(/^palisade_dashboard_sign_in_failures_total\{reason="wrong_token",[^}]*\} 10$/m)
    expect(text).toMatch(/^palisade_dashboard_sign_in_failures_total\{reason="rate_limited",[^}]*\} 1$/m)
  })
})
