import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openClickHouse } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import type { Log } from '@palisade/runtime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// Keys through the real CLI against the running all-in-one, the audit trail those actions leave
// (read through the API), then `palisade audit verify` on the stopped store: intact, and after one
// row is edited in the store, broken at that row.

const launcher = fileURLToPath(new URL('../bin/palisade.mjs', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const token = 'audit-trail-test-token-0123456789'
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log

let dataDir: string
let running: RunningPalisade | undefined

function palisade(env: Record<string, string>, ...args: string[]) {
  const run = spawnSync(process.execPath, [launcher, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

// The server runs in this process: a CLI that talks to it must not block this event loop.
function palisadeAsync(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [launcher, ...args],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

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

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' })

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-audit-'))
  running = await start()
})

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('palisade keys', () => {
  it('creates a key that works with its role, and revokes it so that it stops working', async () => {
    const cli = { PALISADE_API_URL: running!.dashboardUrl, PALISADE_TOKEN: token }
    const created = await palisadeAsync(cli, 'keys', 'create', '--role', 'viewer', '--name', 'wall screen')
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    const key = /^key: (pal_\S+)$/m.exec(created.stdout)?.[1]
    expect(key).toBeDefined()
    const keyId = key!.split('_')[1]!
    const me = await fetch(`${running!.dashboardUrl}/api/v1/session`, { headers: bearer(key!) })
    expect(await me.json()).toMatchObject({ tenant: 'default', role: 'viewer' })

    const listed = await palisadeAsync(cli, 'keys', 'list')
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}  default  viewer  .*  active  wall screen$`, 'm'))
    // Listing shows neither the key nor its hash.
    expect(listed.stdout).not.toContain(key!.split('_')[2]!)

    expect((await palisadeAsync(cli, 'keys', 'revoke', keyId)).code).toBe(0)
    expect((await fetch(`${running!.dashboardUrl}/api/v1/session`, { headers: bearer(key!) })).status).toBe(
      401,
    )
  })
})

describe('palisade keys rotate', () => {
  it('replaces a key: the new one works with the same role, the old one no longer does', async () => {
    const cli = { PALISADE_API_URL: running!.dashboardUrl, PALISADE_TOKEN: token }
    const created = await palisadeAsync(
      cli,
      'keys',
      'create',
      '--role',
      'analyst',
      '--name',
      'laptop',
      '--tenant',
      'teal',
    )
    const old = /^key: (pal_\S+)$/m.exec(created.stdout)![1]!
    const rotated = await palisadeAsync(cli, 'keys', 'rotate', old.split('_')[1]!)
    expect(rotated.code).toBe(0)
    const fresh = /^key: (pal_\S+)$/m.exec(rotated.stdout)?.[1]
    expect(fresh).toBeDefined()
    expect(fresh).not.toBe(old)
    const me = await fetch(`${running!.dashboardUrl}/api/v1/session`, { headers: bearer(fresh!) })
    expect(await me.json()).toMatchObject({ tenant: 'teal', role: 'analyst' })
    expect((await fetch(`${running!.dashboardUrl}/api/v1/session`, { headers: bearer(old) })).status).toBe(
      401,
    )
  })

  it('lets a tenant admin change only its own tenant’s keys', async () => {
    const url = running!.dashboardUrl
    const make = async (tenant: string, role: string) =>
      (await (
        await fetch(`${url}/api/v1/keys`, {
          method: 'POST',
          headers: { ...bearer(token), 'x-palisade-tenant': tenant },
          body: JSON.stringify({ role, name: `${tenant} ${role}` }),
        })
      ).json()) as { key: { keyId: string }; plain: string }
    const tealAdmin = await make('teal', 'admin')
    const plumViewer = await make('plum', 'viewer')
    const revoke = await fetch(`${url}/api/v1/keys/${plumViewer.key.keyId}`, {
      method: 'DELETE',
      headers: bearer(tealAdmin.plain),
    })
    expect(revoke.status).toBe(404)
    const listed = (await (
      await fetch(`${url}/api/v1/keys`, { headers: bearer(tealAdmin.plain) })
    ).json()) as {
      keys: { tenant: string }[]
    }
    expect(new Set(listed.keys.map((key) => key.tenant))).toEqual(new Set(['teal']))
    const escalate = await fetch(`${url}/api/v1/keys`, {
      method: 'POST',
      headers: bearer(tealAdmin.plain),
      body: JSON.stringify({ role: 'platform-admin', name: 'me too' }),
    })
    expect(escalate.status).toBe(403)
  })
})

describe('audit trail', () => {
  it('records sign-ins, key changes and silences with who, what and from where; admins read it', async () => {
    const url = running!.dashboardUrl
    const signIn = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ token }),
    })
    expect(signIn.status).toBe(201)
    const silence = await fetch(`${url}/api/v2/silences`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'X', isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: 'ann',
        comment: 'maintenance',
      }),
    })
    expect(silence.status).toBe(200)
    const viewer = (await (
      await fetch(`${url}/api/v1/keys`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({ role: 'viewer', name: 'no audit for me' }),
      })
    ).json()) as { plain: string }
    expect((await fetch(`${url}/api/v1/audit`, { headers: bearer(viewer.plain) })).status).toBe(403)

    const trail = (await (await fetch(`${url}/api/v1/audit`, { headers: bearer(token) })).json()) as {
      rows: { action: string; actor: string; source: string; tenant: string; target: string }[]
    }
    const actions = trail.rows.map((row) => row.action)
    expect(actions).toEqual(
      expect.arrayContaining(['declarations.load', 'key.create', 'key.revoke', 'sign-in', 'silence.save']),
    )
    const signInRow = trail.rows.find((row) => row.action === 'sign-in')
    expect(signInRow).toMatchObject({
      tenant: 'default',
      actor: 'token',
      source: expect.stringMatching(/127\.0\.0\.1/),
    })
    expect(
      trail.rows
        .filter((row) => row.action === 'declarations.load')
        .map((row) => row.target)
        .sort(),
    ).toEqual(['intent', 'routing', 'rules', 'slos'])
  })

  it('verify proves the chain intact, and names the row edited in the store', async () => {
    await running!.stop()
    running = undefined
    const store = { PALISADE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' }
    const intact = palisade(store, 'audit', 'verify')
    expect(intact.stdout).toMatch(/^audit chain intact: \d+ row\(s\)/)
    expect(intact.code).toBe(0)

    const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
    try {
      await client.command({
        query: "ALTER TABLE audit_log UPDATE target = 'someone-else' WHERE seq = 3",
        clickhouse_settings: { mutations_sync: '2' },
      })
    } finally {
      await client.close()
    }
    const broken = palisade(store, 'audit', 'verify')
    expect(broken.stdout).toMatch(/^audit chain broken at row 3: its content does not match its hash/)
    expect(broken.code).toBe(1)
  })
})
