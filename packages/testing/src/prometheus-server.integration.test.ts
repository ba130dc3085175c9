import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type PrometheusServer, startPrometheus } from './prometheus-server.ts'

const token = 'prometheus-test-token-0123456789'
const exposition = [
  '# HELP palisade_test_requests_total Requests answered.',
  '# TYPE palisade_test_requests_total counter',
  'palisade_test_requests_total{route="/v1/ingest"} 42',
  '',
].join('\n')

/** A metrics endpoint that, like the apps', answers 401 unless given its bearer token. */
async function metricsServer(expectedToken: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${expectedToken}`) {
      response.writeHead(401).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` }
}

describe('startPrometheus', () => {
  let prometheus: PrometheusServer
  const servers: Server[] = []

  beforeAll(async () => {
    const app = await metricsServer(token)
    const other = await metricsServer('a-token-prometheus-does-not-have')
    servers.push(app.server, other.server)
    prometheus = await startPrometheus({
      targets: [
        { job: 'app', url: app.url },
        { job: 'wrong-token', url: other.url },
      ],
      bearerToken: token,
    })
  })
  afterAll(async () => {
    await prometheus?.stop()
    for (const server of servers) server.close()
  })

  it('scrapes a target with the bearer token: up is 1 and its samples are queryable', async () => {
    await vi.waitFor(
      async () => {
        const [up] = await prometheus.query('up{job="app"}')
        expect(up?.value[1]).toBe('1')
      },
      { timeout: 15_000, interval: 250 },
    )
    const [requests] = await prometheus.query('palisade_test_requests_total{job="app"}')
    expect(requests?.metric.route).toBe('/v1/ingest')
    expect(requests?.value[1]).toBe('42')
  })

  it('reports a target that refuses its token as down, with the 401 in lastError', async () => {
    await vi.waitFor(
      async () => {
        const target = (await prometheus.targets()).find((t) => t.labels.job === 'wrong-token')
        expect(target?.health).toBe('down')
        expect(target?.lastError).toMatch(/401/)
      },
      { timeout: 15_000, interval: 250 },
    )
  })
})
