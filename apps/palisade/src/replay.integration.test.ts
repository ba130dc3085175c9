import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { openClickHouse } from '@palisade/clickhouse'
import { type PalisadeProcess, startPalisadeProcess } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `palisade replay` as a user runs it, against a running `palisade start`.

const launcher = fileURLToPath(new URL('../bin/palisade.mjs', import.meta.url))
const token = 'replay-test-token-0123456789abcdef'
const workDir = mkdtempSync(join(tmpdir(), 'palisade-replay-'))
let palisade: PalisadeProcess

function replay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [launcher, 'replay', ...args], {
    env: { ...process.env, PALISADE_TOKEN: token, PALISADE_COLLECTOR_URL: palisade.collectorUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })))
}

// Recent, on the hour: the collector refuses events older than their kind's retention (30 days).
const recent = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000
const line = (i: number, port = 443) =>
  JSON.stringify({ event_id: `replay-${i}`, ts: recent + i, dst_port: port, src_ip: '10.0.0.1' })

beforeAll(async () => {
  palisade = await startPalisadeProcess({ PALISADE_DATA_DIR: join(workDir, 'data'), PALISADE_TOKEN: token })
  writeFileSync(join(workDir, 'good.ndjson'), [1, 2, 3].map((i) => line(i)).join('\n'))
  writeFileSync(join(workDir, 'mixed.ndjson.gz'), gzipSync([line(4), line(5, 99999), 'garbage'].join('\n')))
})

afterAll(() => {
  if (palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
  rmSync(workDir, { recursive: true, force: true })
})

describe('palisade replay', () => {
  it('loads plain and gzip files and summarises accepted, rejected by reason and rate', async () => {
    const result = await replay(['flow', join(workDir, 'good.ndjson'), join(workDir, 'mixed.ndjson.gz')])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/accepted\s+4/)
    expect(result.stdout).toMatch(/rejected\s+2/)
    expect(result.stdout).toContain('dst_port')
    expect(result.stdout).toContain('not valid JSON')
    expect(result.stdout).toMatch(/rate\s+[\d,]+ events\/s/)
    expect(result.stderr).toContain('--allow-rejects')
  })

  it('exits 0 with --allow-rejects, and a second replay of the same files stores nothing twice', async () => {
    const result = await replay([
      'flow',
      join(workDir, 'good.ndjson'),
      join(workDir, 'mixed.ndjson.gz'),
      '--allow-rejects',
    ])
    expect(result.code).toBe(0)
    palisade.child.kill('SIGTERM')
    expect(await palisade.exited).toBe(0)
    const client = await openClickHouse({ kind: 'embedded', dataDir: join(workDir, 'data', 'clickhouse') })
    try {
      const rows = await (
        await client.query({
          query: 'SELECT event_id FROM flow_events ORDER BY event_id',
          format: 'JSONCompactEachRow',
        })
      ).json<[string]>()
      expect(rows.flat()).toEqual(['replay-1', 'replay-2', 'replay-3', 'replay-4'])
      const quarantined = await (
        await client.query({ query: 'SELECT count() FROM quarantine', format: 'JSONCompactEachRow' })
      ).json<[string]>()
      expect(Number(quarantined[0]![0])).toBe(2)
    } finally {
      await client.close()
    }
  })

  it('refuses an unknown format with the list of formats, exit 2', async () => {
    const result = await replay(['teleport', join(workDir, 'good.ndjson')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('flow, auth, mtls, decision, policy_change')
  })
})
