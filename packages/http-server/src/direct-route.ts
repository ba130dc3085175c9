import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Express } from 'express'
import type { Refusal } from './authenticator.ts'
import type { HttpAnswerRecorder } from './http-metrics.ts'

/**
 * A handler for one method and exact path that the server {@link listen} builds runs before express:
 * for the one route that carries nearly all of a server's requests (`POST /api/v2/alerts`), where
 * express's router, its request decoration and its middleware cost more than the work itself.
 * It answers (the promise settles when it has), or returns `false` before touching the request to
 * leave it to the app, which serves the same route the same way (a compressed body, say).
 */
export type DirectHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | false

interface DirectRoutes {
  /** `METHOD /path` → handler. */
  handlers: Map<string, DirectHandler>
  /** The app's request metrics (set by createServiceApp), so a direct answer is counted like any other. */
  record?: HttpAnswerRecorder
  /** The app's handler of unexpected errors (set by finishServiceApp). */
  onError?: (error: unknown) => void
}

const byApp = new WeakMap<Express, DirectRoutes>()

function directRoutesOf(app: Express): DirectRoutes {
  let routes = byApp.get(app)
  if (!routes) {
    routes = { handlers: new Map() }
    byApp.set(app, routes)
  }
  return routes
}

/**
 * Serve `method path` (exact: no pattern, no trailing slash, any query string) with `handler` ahead of
 * `app`'s routes, on the servers {@link listen} starts. Register the same route on `app` too: it
 * answers what the handler leaves to it, and the role × route test reads its `allow(...)`.
 */
export function serveDirectly(app: Express, method: string, path: string, handler: DirectHandler): void {
  directRoutesOf(app).handlers.set(`${method} ${path}`, handler)
}

/** Count direct answers on the app's request metrics (createServiceApp does). */
export function countDirectAnswers(app: Express, record: HttpAnswerRecorder): void {
  directRoutesOf(app).record = record
}

/** Report a direct handler's unexpected errors where the app reports its own (finishServiceApp does). */
export function reportDirectErrors(app: Express, onError: (error: unknown) => void): void {
  directRoutesOf(app).onError = onError
}

/** A JSON answer as express's `response.status(status).json(value)` gives it. */
export function sendJsonDirectly(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  })
  response.end(body)
}

/** A refusal in the shape every route gives it (`{error: {code, message}}`, 401 with its challenge). */
export function sendRefusalDirectly(response: ServerResponse, refusal: Refusal): void {
  if (refusal.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="palisade"')
  sendJsonDirectly(response, refusal.status, { error: { code: refusal.code, message: refusal.message } })
}

/** The request listener of `app`'s server: its direct routes first, then express. */
export function requestListenerOf(app: Express): RequestListener {
  return (request, response) => {
    const direct = byApp.get(app)
    if (direct !== undefined && direct.handlers.size > 0) {
      const url = request.url ?? '/'
      const query = url.indexOf('?')
      const path = query === -1 ? url : url.slice(0, query)
      const handler = direct.handlers.get(`${request.method} ${path}`)
      if (handler !== undefined) {
        const started = performance.now()
        let answered: ReturnType<typeof handler>
        try {
          answered = handler(request, response)
        } catch (error) {
          // Thrown before its promise: inside the server's 'request' listener it would be uncaught.
          failDirectly(direct, response, error)
          return
        }
        if (answered !== false) {
          const { record } = direct
          if (record) {
            const method = request.method ?? ''
            // No named closure per request: the TypeScript runner names each one, at a cost.
            if (response.writableFinished)
              record(path, method, response.statusCode, (performance.now() - started) / 1000)
            else
              response.once('finish', () =>
                record(path, method, response.statusCode, (performance.now() - started) / 1000),
              )
          }
          answered.catch((error: unknown) => failDirectly(direct, response, error))
          return
        }
      }
    }
    app(request, response)
  }
}

function failDirectly(direct: DirectRoutes, response: ServerResponse, error: unknown): void {
  if (!response.headersSent)
    sendJsonDirectly(response, 500, {
      error: { code: 'INTERNAL', message: 'internal error; see the server log' },
    })
  else response.destroy()
  if (direct.onError) direct.onError(error)
  // An app without finishServiceApp has nowhere to report to: fail loudly rather than swallow it.
  else
    queueMicrotask(() => {
      throw error
    })
}
