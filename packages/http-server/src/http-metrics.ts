import type { NextFunction, Request, Response } from 'express'
import { Counter, Histogram, type Registry } from 'prom-client'

/** Express middleware counting every answer by route, method and status, and 401s on their own. */
export type HttpMetricsMiddleware = (request: Request, response: Response, next: NextFunction) => void

/** Counts one answer: its route pattern, method, status and how long it took, seconds. */
export type HttpAnswerRecorder = (route: string, method: string, status: number, seconds: number) => void

interface HttpMetrics {
  middleware: HttpMetricsMiddleware
  record: HttpAnswerRecorder
}

// One set per registry: the all-in-one mounts several apps on one registry.
const byRegistry = new WeakMap<Registry, HttpMetrics>()

/**
 * The route an answer belongs to, as a bounded label: the matched route's pattern, else what the
 * handler named in `response.locals.route` (an authentication gate, say), else `unmatched` (never
 * the raw path, which a client chooses).
 */
function routeLabel(request: Request, response: Response): string {
  if (request.route?.path !== undefined) return `${request.baseUrl}${String(request.route.path)}`
  const named = response.locals.route
  return typeof named === 'string' ? named : 'unmatched'
}

function metricsOf(registry: Registry): HttpMetrics {
  const existing = byRegistry.get(registry)
  if (existing) return existing
  const requests = new Counter({
    name: 'palisade_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  })
  const seconds = new Histogram({
    name: 'palisade_http_request_duration_seconds',
    help: 'HTTP request duration from arrival to the end of the answer, by route pattern, seconds',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  // Apart from the total so that an alert on a stale token (an agent retrying for ever) is simple.
  const unauthenticated = new Counter({
    name: 'palisade_http_unauthenticated_total',
    help: 'Requests refused with 401 (no token, wrong token, expired session), by route pattern',
    labelNames: ['route'] as const,
    registers: [registry],
  })
  const record: HttpAnswerRecorder = (route, method, status, elapsed) => {
    requests.inc({ route, method, status: String(status) })
    seconds.observe({ route, method }, elapsed)
    if (status === 401) unauthenticated.inc({ route })
  }
  const middleware: HttpMetricsMiddleware = (request, response, next) => {
    const started = performance.now()
    response.once('finish', () => {
      record(
        routeLabel(request, response),
        request.method,
        response.statusCode,
        (performance.now() - started) / 1000,
      )
    })
    next()
  }
  const metrics = { middleware, record }
  byRegistry.set(registry, metrics)
  return metrics
}

/** Request metrics on `registry`, created once per registry. */
export function httpMetrics(registry: Registry): HttpMetricsMiddleware {
  return metricsOf(registry).middleware
}

/** The same metrics' recorder, for answers given without express (see `serveDirectly`). */
export function httpAnswerRecorder(registry: Registry): HttpAnswerRecorder {
  return metricsOf(registry).record
}
