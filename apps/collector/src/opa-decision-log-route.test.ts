import { gzipSync } from 'node:zlib'
import { topics } from '@palisade/bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CollectorUnderTest,
  retentionOfAnyDate,
  startCollectorUnderTest,
} from './testing/collector-under-test.ts'

// OPA's upload as the agent sends it (gzip JSON array, bearer token) to the collector's route on a
// real HTTP server and the in-process bus. The real agent is in
// apps/palisade/src/opa-agent.integration.test.ts.

let collector: CollectorUnderTest

function decision(id: string, extra: Record<string, unknown> = {}) {
  return {
    decision_id: id,
    labels: { id: 'opa-1', version: '1.22.2' },
    path: 'envoy/authz/allow',
    input: { attributes: { request: { http: { method: 'GET', path: '/orders' } } } },
    result: true,
    timestamp: '2026-11-23T09:00:00.123456Z',
    ...extra,
  }
}

function upload(body: Buffer | string, token = collector.token) {
  return fetch(`${collector.url}/v1/opa/logs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body: new Uint8Array(gzipSync(body)),
  })
}

const quarantined = () => collector.published.get(topics.quarantine) ?? []

beforeAll(async () => {
  // The records are dated 2026-11-23: kept whatever day the test runs.
  collector = await startCollectorUnderTest(undefined, retentionOfAnyDate)
})
afterAll(() => collector.close())

describe('POST /v1/opa/logs', () => {
  it('refuses a decision holding a lone surrogate alone, storing the rest of its chunk', async () => {
    const chunk = `[${JSON.stringify(decision('d-s1'))},${JSON.stringify(decision('d-s2')).replace('"/orders"', '"/\\ud800"')}]`
    const response = await upload(chunk)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ line: 2, reason: expect.stringContaining('not well-formed Unicode') }],
    })
    expect(quarantined()).toContainEqual(
      expect.objectContaining({ raw: JSON.stringify(decision('d-s2')).replace('"/orders"', '"/\\ud800"') }),
    )
  })

  it('stores the decisions of a chunk and quarantines its bad records, answering 200', async () => {
    const chunk = JSON.stringify([decision('d-1'), decision('d-2', { result: { status: 200 } }), 'oops'])
    const response = await upload(chunk)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ accepted: 1, rejected: 2 })
    expect(collector.published.get(topics.events('decision'))).toContainEqual(
      expect.objectContaining({ event_id: 'd-1', decision: 'allow', tenant: 'acme', resource: '/orders' }),
    )
    expect(quarantined()).toContainEqual(expect.objectContaining({ kind: 'opa-decision-log', line: 2 }))
  })

  it('answers 200 to a chunk that is not even gzip, keeping its bytes in quarantine', async () => {
    const response = await fetch(`${collector.url}/v1/opa/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${collector.token}`, 'content-encoding': 'gzip' },
      body: 'plainly not gzip',
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ accepted: 0, rejected: 1 })
    expect(quarantined()).toContainEqual(
      expect.objectContaining({
        raw: `base64:${Buffer.from('plainly not gzip').toString('base64')}`,
        reason: expect.stringContaining('not valid gzip'),
      }),
    )
  })

  it('answers 200 to a chunk that is not a JSON array, keeping it whole in quarantine', async () => {
    const response = await upload('[{"decision_id": "d-3", "result": tru')
    expect(response.status).toBe(200)
    expect(quarantined()).toContainEqual(
      expect.objectContaining({ raw: '[{"decision_id": "d-3", "result": tru' }),
    )
  })

  it('answers 200 to a chunk that is not UTF-8, keeping it in quarantine', async () => {
    const response = await upload(
      Buffer.concat([Buffer.from('[{"decision_id": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ accepted: 0, rejected: 1 })
  })

  it('answers 401 to a bad token, so that the agent keeps the chunk until it is fixed', async () => {
    expect((await upload(JSON.stringify([decision('d-4')]), 'wrong')).status).toBe(401)
  })

  it('answers 413 to a chunk over the body limit', async () => {
    const big = JSON.stringify([decision('d-5', { input: { pad: 'x'.repeat(300 * 1024) } })])
    expect((await upload(big)).status).toBe(413)
  })
})
