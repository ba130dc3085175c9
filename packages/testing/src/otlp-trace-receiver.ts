import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

/** A span as OTLP/HTTP JSON carries it (ids in hex). */
export interface OtlpSpan {
  name: string
  spanId: string
  parentSpanId?: string
  traceId: string
}

/** One export request's body: `ExportTraceServiceRequest` in OTLP's JSON encoding. */
export interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] }
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[]
  }[]
}

/** A local OTLP/HTTP traces receiver, for tests. */
export interface OtlpTraceReceiver {
  /** Base URL, to pass as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string
  received: { path: string; headers: IncomingHttpHeaders; traces: OtlpTraces }[]
  /** Every span received, with the `service.name` of its resource. */
  spans(): (OtlpSpan & { service: string | undefined })[]
  close(): Promise<void>
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body
}

/**
 * A real HTTP server on loopback that takes OTLP/HTTP JSON trace exports and decodes them; a body
 * that is not OTLP JSON is answered 400 and not recorded.
 */
export async function startOtlpTraceReceiver(): Promise<OtlpTraceReceiver> {
  const received: OtlpTraceReceiver['received'] = []
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request)
    try {
      if (!String(request.headers['content-type']).includes('application/json')) throw new Error('not JSON')
      const traces = JSON.parse(body.toString('utf8')) as OtlpTraces
      if (!Array.isArray(traces.resourceSpans)) throw new Error('no resourceSpans')
      received.push({ path: request.url ?? '', headers: request.headers, traces })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    } catch (error) {
      response.writeHead(400).end((error as Error).message)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    spans: () =>
      received.flatMap(({ traces }) =>
        traces.resourceSpans.flatMap((resource) => {
          const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value
            .stringValue
          return resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => ({ ...span, service })))
        }),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
