import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StartupError } from '@palisade/errors'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { Registry } from 'prom-client'
import { allow } from './access.ts'
import { type AuditTrail, useAuditTrail } from './audit.ts'
import { type Authenticator, authenticateHeaders, type Principal } from './authenticator.ts'
import { countDirectAnswers, reportDirectErrors, requestListenerOf } from './direct-route.ts'
import { httpAnswerRecorder, httpMetrics } from './http-metrics.ts'

/** Reports whether the process can do its work now (store open, migrations applied, ...). */
export type ReadinessCheck = () => boolean

/** Options for {@link createServiceApp}. */
export interface ServiceAppOptions {
  authenticator: Authenticator
  /** The process's one registry: requests are counted on it, and `/metrics` renders it. */
  metrics: Registry
  ready: ReadinessCheck
  /**
   * Serve `/metrics` here (default true). A process with several servers on one registry serves it
   * on one of them only, so that a scrape of every port does not count each series twice.
   */
  serveMetrics?: boolean
  /** Where `recordAudit(request, ...)` appends (default: nowhere, for apps that audit nothing). */
  audit?: AuditTrail
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by {@link requireToken} (or the dashboard session) once the caller is authenticated. */
    principal?: Principal
  }
}

/** A JSON error answer: `{error: {code, message}}`. */
export function sendError(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } })
}

/** A `401` that tells the client how to authenticate (`WWW-Authenticate: Bearer`). */
export function sendUnauthenticated(response: Response, message: string): void {
  // Refused by a gate before any route matched: count it under the gate's mount point.
  if (response.req.route === undefined && response.req.baseUrl)
    response.locals.route ??= `${response.req.baseUrl}/*`
  response.setHeader('WWW-Authenticate', 'Bearer realm="palisade"')
  sendError(response, 401, 'UNAUTHENTICATED', message)
}

/**
 * Middleware: `401` unless the request carries a valid bearer token; `403` when it names a tenant
 * (`X-Palisade-Tenant`) its key may not act in. What the key may do there is each route's
 * `allow(...)` to decide.
 */
export function requireToken(authenticator: Authenticator) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const acting = authenticateHeaders(authenticator, request.headers)
    if ('status' in acting) {
      if (acting.status === 401) sendUnauthenticated(response, acting.message)
      else sendError(response, acting.status, acting.code, acting.message)
      return
    }
    request.principal = acting
    next()
  }
}

/**
 * An express app with what every Palisade server answers: `GET /healthz` and `GET /readyz`
 * without a token (and without data), `GET /metrics` with one. Routes added after this are the
 * app's own.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  if (options.audit) useAuditTrail(app, options.audit)
  app.use(httpMetrics(options.metrics))
  countDirectAnswers(app, httpAnswerRecorder(options.metrics))
  app.get('/healthz', allow('public'), (_request, response) => {
    response.json({ status: 'ok' })
  })
  app.get('/readyz', allow('public'), (_request, response) => {
    const ready = options.ready()
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' })
  })
  if (options.serveMetrics !== false) {
    app.get('/metrics', requireToken(options.authenticator), allow('operate'), async (_request, response) => {
      response.setHeader('Content-Type', options.metrics.contentType)
      response.send(await options.metrics.metrics())
    })
  }
  return app
}

/** Answers unmatched routes with a JSON 404 and turns thrown errors into a JSON 500 with no stack. */
export function finishServiceApp(app: Express, onError: (error: unknown) => void): void {
  reportDirectErrors(app, onError)
  app.use((_request: Request, response: Response) => {
    sendError(response, 404, 'NOT_FOUND', 'no such route')
  })
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status
    if (status && status >= 400 && status < 500) {
      sendError(response, status, 'BAD_REQUEST', (error as Error).message)
      return
    }
    onError(error)
    sendError(response, 500, 'INTERNAL', 'internal error; see the server log')
  })
}

/** Options for {@link listen}. */
export interface ListenOptions {
  /** Longest a client may take to send its request headers, ms (default 10 s); Node answers 408. */
  headersTimeoutMs?: number
  /** The setting that chooses this port, named when the port is taken (say `PALISADE_COLLECTOR_PORT`). */
  portSetting?: string
}

/**
 * Listen on `host:port` (host defaults to loopback: exposing a port is the operator's choice). A
 * port in use fails with a {@link StartupError} whose one line names the setting to change.
 */
export function listen(
  app: Express,
  port: number,
  host = '127.0.0.1',
  options: ListenOptions = {},
): Promise<Server> {
  const headersTimeout = options.headersTimeoutMs ?? 10_000
  const server = createServer(
    {
      headersTimeout,
      // Node checks the headers deadline on this period (30 s by default, too coarse for 10 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, headersTimeout / 4)),
    },
    // The app's direct routes (see serveDirectly) first, then express.
    requestListenerOf(app),
  )
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') return reject(error)
      const what = error.code === 'EADDRINUSE' ? 'is in use' : 'is not allowed to this user'
      const change = options.portSetting ? `; set ${options.portSetting} to a free port` : ''
      reject(new StartupError('PORT_UNAVAILABLE', `port ${port} on ${host} ${what}${change}`, error))
    })
    server.listen(port, host, () => resolve(server))
  })
}

/** Close a server, ending idle keep-alive connections so that shutdown does not hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}

/**
 * Serve only `/healthz`, `/readyz` and `/metrics` (for apps whose work is not HTTP: the ingester,
 * the detector, the alert router) on `host:port`. Resolves with the URL it listens on.
 */
export async function startHealthServer(
  options: ServiceAppOptions & {
    host: string
    port: number
    /** The setting that chooses the port, named when the port is taken. */
    portSetting?: string
    onError: (error: unknown) => void
  },
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = createServiceApp(options)
  finishServiceApp(app, options.onError)
  const server = await listen(app, options.port, options.host, { portSetting: options.portSetting })
  const { port } = server.address() as AddressInfo
  return { url: `http://${options.host}:${port}`, close: () => closeServer(server) }
}
