import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadDeclarations } from '@palisade/declarations'
import type { Log } from '@palisade/runtime'
import { afterAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// A dashboard session outlives a restart of the all-in-one (the store keeps it), and signing out
// before a restart ends it for good.

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const token = 'session-restart-token-0123456789'
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-sessions-'))
let running: RunningPalisade | undefined

async function start(): Promise<RunningPalisade> {
  const env = {
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    PALISADE_COLLECTOR_PORT: '0',
    PALISADE_DASHBOARD_PORT: '0',
  }
  const config = loadConfig(env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  return startAllInOne(config, { declarations, receivers: loadReceivers(env, declarations.routing) }, quiet)
}

async function signIn(url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ token }),
  })
  expect(response.status).toBe(201)
  return /palisade_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!
}

const whoAmI = (url: string, cookie: string) =>
  fetch(`${url}/api/v1/session`, { headers: { cookie: `palisade_session=${cookie}` } })

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('dashboard sessions', () => {
  it('survive a restart; one signed out before it does not', async () => {
    running = await start()
    const kept = await signIn(running.dashboardUrl)
    const ended = await signIn(running.dashboardUrl)
    const out = await fetch(`${running.dashboardUrl}/api/v1/session`, {
      method: 'DELETE',
      headers: {
        cookie: `palisade_session=${ended}`,
        'content-type': 'application/json',
        origin: running.dashboardUrl,
      },
    })
    expect(out.status).toBe(204)
    await running.stop()

    running = await start()
    const again = await whoAmI(running.dashboardUrl, kept)
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ tenant: 'default', role: 'platform-admin' })
    expect((await whoAmI(running.dashboardUrl, ended)).status).toBe(401)
  })
})
