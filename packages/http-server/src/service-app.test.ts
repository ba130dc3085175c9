import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenAuthenticator } from './authenticator.ts'
import { createMetricsRegistry } from './metrics.ts'
import { closeServer, createServiceApp, finishServiceApp, listen, requireToken } from './service-app.ts'

let base: string
let ready = false
let close: () => Promise<void>
const registry = createMetricsRegistry({ app: 'test' })

beforeAll(async () => {
  const authenticator = createTokenAuthenticator({ acme: 'secret-token' })
  const app = createServiceApp({ authenticator, metrics: registry, ready: () => ready })
  app.post('/v1/ingest/:format', requireToken(authenticator), (_request, response) => {
    response.json({ accepted: 0 })
  })
  finishServiceApp(app, () => {})
  const server = await listen(app, 0)
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = () => closeServer(server)
})
afterAll(() => close())

describe('service app', () => {
  it('answers /healthz without a token and without data', async () => {
    const response = await fetch(`${base}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  it('reports not ready with 503 until the process is ready', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(503)
    ready = true
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
  })

  it('refuses /metrics without the token and serves Prometheus text with it', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401)
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    const response = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer secret-token' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    expect(await response.text()).toMatch(/^palisade_process_cpu_user_seconds_total\{app="test"\} /m)
  })

  it('answers an unknown route with a JSON 404', async () => {
    const response = await fetch(`${base}/nope`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such route' } })
  })
})

describe('service app > request metrics', () => {
  it('counts 401s and every answer by route pattern, never by the path a client chose', async () => {
    for (const format of ['flow', 'x1', 'x2'])
      await fetch(`${base}/v1/ingest/${format}`, {
        method: 'POST',
        headers: { authorization: 'Bearer stale' },
      })
    await fetch(`${base}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret-token' },
    })
    await fetch(`${base}/no/such/${'x'.repeat(20)}`)
    const text = await registry.metrics()
    expect(text).toMatch(
      /^palisade_http_unauthenticated_total\{route="\/v1\/ingest\/:format",app="test"\} 3$/m,
    )
    expect(text).toMatch(
      /^palisade_http_requests_total\{route="\/v1\/ingest\/:format",method="POST",status="200",app="test"\} 1$/m,
    )
    expect(text).toMatch(
      /^palisade_http_requests_total\{route="unmatched",method="GET",status="404",app="test"\} [1-9]\d*$/m,
    )
    expect(text).not.toContain('xxxxxxxx')
  })

  it('serves no /metrics when told another server of the process does', async () => {
    const metrics = createMetricsRegistry()
    const app = createServiceApp({
      authenticator: createTokenAuthenticator({ acme: 'secret-token' }),
      metrics,
      ready: () => true,
      serveMetrics: false,
    })
    finishServiceApp(app, () => {})
    const server = await listen(app, 0)
    try {
      const port = (server.address() as AddressInfo).port
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: 'Bearer secret-token' },
      })
      expect(response.status).toBe(404)
    } finally {
      await closeServer(server)
    }
  })
})
