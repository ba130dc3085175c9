import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadDeclarations } from '@palisade/declarations'
import { grants, listRoutes, type RegisteredRoute, type Role, roles } from '@palisade/http-server'
import type { Log } from '@palisade/runtime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// Role × route: every route every app of the all-in-one registers (found by walking the express
// apps, so a route added tomorrow is walked too) is called with a key of every role, and without
// one. A route that declares no access fails here; so does one whose gate lets a role through
// that the role table does not grant, or refuses one it does.

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const token = 'role-route-test-token-0123456789'
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log

let dataDir: string
let running: RunningPalisade
const keyOf = new Map<Role, string>()
const routes: { base: 'collector' | 'dashboard'; route: RegisteredRoute }[] = []

/** A path a route pattern matches, parameters filled with a harmless value. */
function concrete(pattern: string): string {
  return pattern.replace(/[{}]/g, '').replace(/:\w+/g, 'probe').replace(/\*\w*/g, 'probe')
}

async function call(base: string, route: RegisteredRoute, key: string | undefined): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key) headers.authorization = `Bearer ${key}`
  const hasBody = route.method !== 'GET' && route.method !== 'HEAD' && route.method !== 'DELETE'
  const response = await fetch(`${base}${concrete(route.path)}`, {
    method: route.method,
    headers,
    body: hasBody ? '{}' : undefined,
  })
  await response.arrayBuffer()
  return response.status
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-roles-'))
  const env = {
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    PALISADE_COLLECTOR_PORT: '0',
    PALISADE_DASHBOARD_PORT: '0',
  }
  const config = loadConfig(env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  running = await startAllInOne(
    config,
    { declarations, receivers: loadReceivers(env, declarations.routing) },
    quiet,
  )
  for (const role of roles) {
    const response = await fetch(`${running.dashboardUrl}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role, name: `role-route ${role}` }),
    })
    expect(response.status).toBe(201)
    keyOf.set(role, ((await response.json()) as { plain: string }).plain)
  }
  for (const route of listRoutes(running.apps.collector)) routes.push({ base: 'collector', route })
  for (const route of listRoutes(running.apps.dashboard)) routes.push({ base: 'dashboard', route })
})

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('role × route', () => {
  it('finds the routes of every app, each declaring what it does', () => {
    const paths = routes.map(({ route }) => `${route.method} ${route.path}`)
    // The walk reaches nested routers (the Alertmanager API) and each app's own routes.
    expect(paths).toEqual(
      expect.arrayContaining([
        'POST /v1/ingest/:format',
        'GET /metrics',
        'POST /api/v2/silences',
        'GET /api/v1/findings',
        'POST /api/v1/keys',
        'GET /api/v1/audit',
      ]),
    )
    const undeclared = routes.filter(({ route }) => route.access === undefined)
    expect(undeclared.map(({ route }) => `${route.method} ${route.path}`)).toEqual([])
  })

  it('refuses every role its table does not grant, and lets through every role it does', async () => {
    const wrong: string[] = []
    for (const { base, route } of routes) {
      const url = base === 'collector' ? running.collectorUrl : running.dashboardUrl
      const access = route.access ?? 'undeclared'
      for (const role of roles) {
        const status = await call(url, route, keyOf.get(role))
        const granted = access === 'public' || grants[role].has(access as never)
        const ok = granted ? status !== 401 && status !== 403 : status === 403
        if (!ok) wrong.push(`${role} ${route.method} ${route.path} (${access}): ${status}`)
      }
      const anonymous = await call(url, route, undefined)
      if (access === 'public' ? anonymous === 401 || anonymous === 403 : anonymous !== 401)
        wrong.push(`anonymous ${route.method} ${route.path} (${access}): ${anonymous}`)
    }
    expect(wrong).toEqual([])
  })
})
