import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { openClickHouse } from '@palisade/clickhouse'
import {
  ensureOpaBinary,
  opaAvailable,
  opaVersion,
  type PalisadeProcess,
  startPalisadeProcess,
} from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A real OPA agent, built from its pinned release, with Palisade as its `decision_logs` service.
// Between the two, a proxy plays a flaky network: it forwards the first uploads, then forwards two
// more but answers OPA 500 (stored, yet OPA sends them again), then answers 500 without forwarding
// once (a lost upload, sent again), then forwards the rest. Every decision must be stored once.

const haveOpa = opaAvailable(process.env.CI === 'true')
const token = 'opa-agent-integration-token-0123'
const web = 'spiffe://acme.io/ns/shop/sa/web'
const api = 'spiffe://acme.io/ns/shop/sa/api'
const revision = 'rev-2026-11-23.1'

const policy = `package envoy.authz

default allow := false

allow if {
	input.attributes.request.http.method == "GET"
	input.attributes.source.principal == "${web}"
}

conflict := "a" if input.conflict
conflict := "b" if input.conflict
`

let workDir: string
let palisade: PalisadeProcess
let proxy: Server
let opa: ChildProcess
let opaUrl: string
let opaOutput = ''

/** What the proxy saw: uploads by number, and each decision id with the times the collector took it. */
const uploads = { count: 0, stored: new Map<string, number>(), answered500: 0 }

/** What the proxy does with upload `n` (1-based). */
function planFor(n: number): 'forward' | 'forward-then-500' | '500' {
  if (n === 3 || n === 4) return 'forward-then-500'
  if (n === 5) return '500'
  return 'forward'
}

function decisionIds(gzipped: Buffer): string[] {
  const events = JSON.parse(gunzipSync(gzipped).toString('utf8')) as { decision_id: string }[]
  return events.map((event) => event.decision_id)
}

function startProxy(target: string): Promise<Server> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const plan = planFor(++uploads.count)
    if (plan !== '500') {
      const forwarded = await fetch(`${target}${request.url}`, {
        method: 'POST',
        headers: {
          authorization: String(request.headers.authorization),
          'content-type': String(request.headers['content-type']),
          'content-encoding': String(request.headers['content-encoding'] ?? 'identity'),
        },
        body: new Uint8Array(body),
      })
      const answer = Buffer.from(await forwarded.arrayBuffer())
      if (forwarded.ok)
        for (const id of decisionIds(body)) uploads.stored.set(id, (uploads.stored.get(id) ?? 0) + 1)
      if (plan === 'forward') {
        response.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(answer)
        return
      }
    }
    uploads.answered500++
    response.writeHead(500, { 'content-type': 'text/plain' }).end('proxy says no')
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; OPA said:\n${opaOutput.slice(-4000)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Ask OPA through its Data API; answers its decision id and result (absent when undefined). */
async function ask(
  path: string,
  input: unknown,
): Promise<{ status: number; decision_id?: string; result?: unknown }> {
  const response = await fetch(`${opaUrl}/v1/data/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  })
  return {
    status: response.status,
    ...((await response.json()) as { decision_id?: string; result?: unknown }),
  }
}

function envoyInput(principal: string, method: string, i: number) {
  return {
    attributes: {
      source: { principal },
      destination: { principal: api },
      request: { http: { method, path: `/orders/${i}`, headers: { 'x-request-id': `req-${i}` } } },
    },
  }
}

describe.skipIf(!haveOpa)(
  haveOpa
    ? `real OPA agent (${opaVersion})`
    : 'real OPA agent (skipped: no Go toolchain to build OPA; put go on the PATH or set GO)',
  () => {
    beforeAll(async () => {
      const binary = await ensureOpaBinary()
      workDir = mkdtempSync(join(tmpdir(), 'palisade-opa-'))
      palisade = await startPalisadeProcess({
        PALISADE_DATA_DIR: join(workDir, 'data'),
        PALISADE_TOKEN: token,
      })
      proxy = await startProxy(palisade.collectorUrl)
      const bundle = join(workDir, 'authz')
      mkdirSync(bundle)
      writeFileSync(join(bundle, 'policy.rego'), policy)
      writeFileSync(join(bundle, '.manifest'), JSON.stringify({ revision, roots: ['envoy'] }))
      writeFileSync(
        join(workDir, 'config.json'),
        JSON.stringify({
          labels: { service: 'orders' },
          services: {
            palisade: {
              url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1/opa`,
              credentials: { bearer: { token } },
            },
          },
          decision_logs: { service: 'palisade', reporting: { min_delay_seconds: 1, max_delay_seconds: 2 } },
        }),
      )
      const port = await freePort()
      opaUrl = `http://127.0.0.1:${port}`
      opa = spawn(
        binary,
        [
          'run',
          '--server',
          '--skip-version-check',
          '--addr',
          `127.0.0.1:${port}`,
          '--config-file',
          'config.json',
          '--bundle',
          'authz',
        ],
        { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      opa.stdout!.on('data', (chunk) => (opaOutput += chunk))
      opa.stderr!.on('data', (chunk) => (opaOutput += chunk))
      await waitFor(
        'OPA to serve',
        async () => (await fetch(`${opaUrl}/health?bundles`).catch(() => undefined))?.ok === true,
      )
    }, 20 * 60_000)

    afterAll(async () => {
      if (opa && opa.exitCode === null) opa.kill('SIGKILL')
      if (palisade && palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
      proxy?.close()
      if (workDir) rmSync(workDir, { recursive: true, force: true })
    })

    it('stores every decision exactly once with its verdict and bundle revision, through failed uploads', async () => {
      const expected = new Map<string, 'allow' | 'deny'>()
      let errors = 0
      // Rounds a second apart, so that the agent uploads many times while the proxy misbehaves.
      for (let round = 0; round < 10; round++) {
        for (let i = round * 10; i < round * 10 + 10; i++) {
          const principal = i % 3 === 0 ? 'spiffe://acme.io/ns/other/sa/batch' : web
          const answer = await ask(
            'envoy/authz/allow',
            envoyInput(principal, i % 4 === 0 ? 'DELETE' : 'GET', i),
          )
          expect(answer.status).toBe(200)
          expected.set(answer.decision_id!, answer.result === true ? 'allow' : 'deny')
        }
        // An undefined decision (no rule there): OPA answers no result; a default-deny caller denies.
        const undefinedDecision = await ask('envoy/authz/missing_rule', {})
        expect(undefinedDecision.result).toBeUndefined()
        expected.set(undefinedDecision.decision_id!, 'deny')
        // A failed evaluation: OPA answers 500 without a decision id, and logs the decision with its error.
        expect((await ask('envoy/authz/conflict', { conflict: true })).status).toBe(500)
        errors++
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
      expect(new Set(expected.values())).toEqual(new Set(['allow', 'deny']))
      const total = expected.size + errors
      await waitFor('every decision to reach the collector', () => uploads.stored.size >= total, 90_000)
      expect(uploads.answered500).toBe(3)
      // The proxy's 500s after forwarding made OPA deliver some decisions twice.
      expect([...uploads.stored.values()].some((times) => times > 1)).toBe(true)

      opa.kill('SIGTERM')
      await new Promise((resolve) => opa.once('exit', resolve))
      palisade.child.kill('SIGTERM')
      expect(await palisade.exited).toBe(0)
      const client = await openClickHouse({ kind: 'embedded', dataDir: join(workDir, 'data', 'clickhouse') })
      try {
        const rows = (await (
          await client.query({
            query: `SELECT event_id, decision, policy_revision, policy_id, service, src_identity, request_id,
                           enforcement_point, latency_ms
                    FROM decision_events`,
            format: 'JSONEachRow',
          })
        ).json()) as Record<string, string | number>[]
        const byId = new Map<string, Record<string, string | number>[]>()
        for (const row of rows)
          byId.set(String(row.event_id), [...(byId.get(String(row.event_id)) ?? []), row])
        expect(rows).toHaveLength(total)
        for (const [id, verdict] of expected) {
          expect(byId.get(id), `decision ${id}`).toEqual([
            expect.objectContaining({ decision: verdict, policy_revision: revision, service: 'orders' }),
          ])
        }
        expect(rows.filter((row) => row.decision === 'error')).toHaveLength(errors)
        const allowed = rows.find((row) => row.policy_id === 'envoy/authz/allow' && row.decision === 'allow')!
        expect(allowed).toMatchObject({ src_identity: web, request_id: expect.stringMatching(/^req-\d+$/) })
        expect(allowed.enforcement_point).not.toBe('')
        expect(Number(allowed.latency_ms)).toBeGreaterThan(0)
        const quarantined = await (
          await client.query({
            query: 'SELECT toUInt32(count()) AS n FROM quarantine',
            format: 'JSONEachRow',
          })
        ).json()
        expect(quarantined).toEqual([{ n: 0 }])
      } finally {
        await client.close()
      }
    }, 240_000)
  },
)
