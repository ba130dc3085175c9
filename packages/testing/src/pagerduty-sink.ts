import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A PagerDuty Events v2 event as the sink received it. */
export interface ReceivedEvent {
  receivedAt: number
  body: {
    routing_key: string
    event_action: 'trigger' | 'acknowledge' | 'resolve'
    dedup_key?: string
    payload?: {
      summary: string
      source: string
      severity: string
      timestamp?: string
      custom_details?: Record<string, unknown>
    }
  }
}

/**
 * A local HTTP server that accepts PagerDuty Events v2 requests the way the real endpoint does:
 * 202 for a well-formed event, 400 with the reason otherwise. Tests point the router at it.
 */
export async function startPagerDutySink(
  routingKey: string,
): Promise<{ url: string; events: ReceivedEvent[]; close: () => Promise<void> }> {
  const events: ReceivedEvent[] = []
  const server: Server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => {
      const reject = (reason: string) => {
        response.writeHead(400, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ status: 'invalid event', message: reason }))
      }
      let body: ReceivedEvent['body']
      try {
        body = JSON.parse(text)
      } catch {
        return reject('body is not JSON')
      }
      if (request.method !== 'POST' || request.url !== '/v2/enqueue')
        return reject('POST /v2/enqueue expected')
      if (body.routing_key !== routingKey) return reject('wrong routing_key')
      if (!['trigger', 'acknowledge', 'resolve'].includes(body.event_action))
        return reject('bad event_action')
      if (body.event_action === 'trigger') {
        const payload = body.payload
        if (
          !payload?.summary ||
          !payload.source ||
          !['critical', 'error', 'warning', 'info'].includes(payload.severity)
        ) {
          return reject('trigger needs payload.summary, payload.source and a valid payload.severity')
        }
      } else if (!body.dedup_key) return reject(`${body.event_action} needs dedup_key`)
      events.push({ receivedAt: Date.now(), body })
      response.writeHead(202, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          status: 'success',
          message: 'Event processed',
          dedup_key: body.dedup_key ?? 'generated',
        }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
