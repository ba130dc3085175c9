import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allow } from './access.ts'
import { authenticateHeaders, createTokenAuthenticator } from './authenticator.ts'
import { sendJsonDirectly, sendRefusalDirectly, serveDirectly } from './direct-route.ts'
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

describe('service app > direct routes', () => {
  it('answers a direct route ahead of express with the same refusals and metrics, and leaves what it declines to the app', async () => {
    const metrics = createMetricsRegistry({ app: 'direct' })
    const authenticator = createTokenAuthenticator({ acme: 'secret-token' })
    const app = createServiceApp({ authenticator, metrics, ready: () => true })
    const errors: unknown[] = []
    // The express route answers 202 and the direct one 200, so each answer tells who gave it.
    app.post('/v1/things', requireToken(authenticator), allow('ingest'), (_request, response) => {
      response.status(202).json({ by: 'express' })
    })
    serveDirectly(app, 'POST', '/v1/things', (request, response) => {
      if (request.headers['x-decline'] !== undefined) return false
      if (request.headers['x-throw'] !== undefined) throw new Error('thrown before any promise')
      return (async () => {
        const principal = authenticateHeaders(authenticator, request.headers)
        if ('status' in principal) return sendRefusalDirectly(response, principal)
        if (request.headers['x-fail'] !== undefined) throw new Error('boom')
        sendJsonDirectly(response, 200, { by: 'direct', tenant: principal.tenant })
      })()
    })
    finishServiceApp(app, (error) => errors.push(error))
    const server = await listen(app, 0)
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/things`
    const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers })
    try {
      const direct = await post({ authorization: 'Bearer secret-token' })
      expect(direct.status).toBe(200)
      expect(direct.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(await direct.json()).toEqual({ by: 'direct', tenant: 'acme' })
      const withQuery = await fetch(`${url}?x=1`, {
        method: 'POST',
        headers: { authorization: 'Bearer secret-token' },
      })
      expect(await withQuery.json()).toMatchObject({ by: 'direct' })

      const declined = await post({ authorization: 'Bearer secret-token', 'x-decline': '1' })
      expect(declined.status).toBe(202)
      expect(await declined.json()).toEqual({ by: 'express' })

      // The same 401 from both: status, challenge and body.
      const refusedDirectly = await post({ authorization: 'Bearer wrong' })
      const refusedByExpress = await post({ authorization: 'Bearer wrong', 'x-decline': '1' })
      for (const refused of [refusedDirectly, refusedByExpress]) {
        expect(refused.status).toBe(401)
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="palisade"')
        expect(await refused.json()).toEqual({
          error: {
            code: 'UNAUTHENTICATED',
            message: 'a valid bearer token is required (Authorization: Bearer <token>)',
          },
        })
      }

      const failed = await post({ authorization: 'Bearer secret-token', 'x-fail': '1' })
      expect(failed.status).toBe(500)
      expect(await failed.json()).toEqual({
        error: { code: 'INTERNAL', message: 'internal error; see the server log' },
      })
      expect(errors).toEqual([new Error('boom')])
      // A handler that throws at once is answered the same, and the server lives on.
      const thrown = await post({ authorization: 'Bearer secret-token', 'x-throw': '1' })
      expect(thrown.status).toBe(500)
      expect(errors).toEqual([new Error('boom'), new Error('thrown before any promise')])
      expect((await post({ authorization: 'Bearer secret-token' })).status).toBe(200)

      const text = await metrics.metrics()
      expect(text).toMatch(
        /^palisade_http_requests_total\{route="\/v1\/things",method="POST",status="200",app="direct"\} 3$/m,
      )
      expect(text).toMatch(
        /^palisade_http_requests_total\{route="\/v1\/things",method="POST",status="202",app="direct"\} 1$/m,
      )
      expect(text).toMatch(/^palisade_http_unauthenticated_total\{route="\/v1\/things",app="direct"\} 2$/m)
    } finally {
      await closeServer(server)
    }
  })
})
