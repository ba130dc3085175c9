import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenAuthenticator } from './authenticator.ts'
import { createMetricsRegistry } from './metrics.ts'
import { closeServer, createServiceApp, finishServiceApp, listen } from './service-app.ts'

let base: string
let ready = false
let close: () => Promise<void>

beforeAll(async () => {
  const app = createServiceApp({
    authenticator: createTokenAuthenticator({ acme: 'secret-token' }),
    metrics: createMetricsRegistry({ app: 'test' }),
    ready: () => ready,
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
