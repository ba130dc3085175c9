import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IncidentActionInvalidError, parseIncidentAction } from '@palisade/alerting'
import {
  type ClickHouseClient,
  createIncidentActionLog,
  createNotificationLedger,
  createSilenceStore,
  dashboardQueries,
  entityKinds,
  type FindingStore,
  isDashboardQueryName,
  MAX_EVIDENCE_IDS,
  queryEntityPage,
  queryEventsByIds,
  queryFindingById,
  queryIncidentTimeline,
  timelineKinds,
} from '@palisade/clickhouse'
import type { Dashboard } from '@palisade/declarations'
import {
  type Authenticator,
  actingPrincipal,
  allow,
  bearerToken,
  grants,
  type KeyAdmin,
  type Principal,
  recordAudit,
  sendError,
  sendUnauthenticated,
  TENANT_HEADER,
} from '@palisade/http-server'
import type { DeclaredIntent } from '@palisade/intent'
import { rolloutGate, type SloStatusSource, worstFirst } from '@palisade/slo'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { Counter, type Registry } from 'prom-client'
import { type AuditReader, mountAdminRoutes } from './admin-routes.ts'
import { createBaselineRoutes } from './baseline-routes.ts'
import { createComplianceRoutes } from './compliance-routes.ts'
import { RequestInvalidError } from './errors.ts'
import { bundleFrontEnd, defaultWebDir } from './front-end-bundle.ts'
import { createHuntRoutes } from './hunt-routes.ts'
import type { OidcSignIn, PendingSignIn } from './oidc-sign-in.ts'
import {
  parseBurnRateParams,
  parseEntity,
  parseEntityPageParams,
  parseFindingsParams,
  parseId,
  parseInvestigationParams,
  parsePanelParams,
} from './request-params.ts'
import { createRequestRoutes } from './request-routes.ts'
import { createSessionStore, type SessionStore } from './session-store.ts'
import { createSignInLimiter, type SignInLimiter } from './sign-in-limiter.ts'

/** The repository's `dashboards/` folder, where the declarations live. */
export const defaultDashboardsDir = fileURLToPath(new URL('../../../dashboards', import.meta.url))
/** This app's static front end. */
export const defaultPublicDir = fileURLToPath(new URL('../public', import.meta.url))

/** What {@link createDashboardRoutes} needs. */
export interface DashboardRoutesOptions {
  /** Checks the bearer tokens that tools send and the token typed into the login form. */
  authenticator: Authenticator
  /** The store's client; panels run the store package's named queries on it. */
  client: ClickHouseClient
  findings: FindingStore
  slos: SloStatusSource
  /** The declared dashboards (`dashboards/*.json`, validated by the declarations loader), by id. */
  dashboards: ReadonlyMap<string, Dashboard>
  /** Folder of the static front end (default: this app's `public/`). */
  publicDir?: string
  /** Folder of the front end's ES modules, bundled into `/app.js` (default: this app's `web/`). */
  webDir?: string
  /** Clock for default time ranges and session expiry, epoch ms (default `Date.now`). */
  now?: () => number
  /** Browser sessions (default: in memory, 12 h, at most 10,000). */
  sessions?: SessionStore
  /** Brake on failed sign-ins per client address (default: 10 a minute). */
  signInLimiter?: SignInLimiter
  /** Where the dashboard's counters go (the process's one registry). */
  metrics: Registry
  /** Declared intent, for the compliance posture (without it the posture says nothing is declared). */
  intent?: DeclaredIntent
  /** API key management for `/api/v1/keys` (absent: those routes answer 503). */
  keys?: KeyAdmin
  /** The audit trail for `/api/v1/audit` (absent: that route answers 503). */
  audit?: AuditReader
  /** OpenID Connect sign-in (absent: the token login only). */
  oidc?: OidcSignIn
}

const COOKIE = 'palisade_session'
const OIDC_COOKIE = 'palisade_oidc'
/** How long a browser may spend at the provider before its sign-in is forgotten, ms. */
const OIDC_PENDING_MS = 10 * 60_000
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/
const SLO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const HOUR = 3600_000
/** How far before a finding its cited events may lie (a baseline's first sighting, a slow detector). */
const EVIDENCE_LOOKBACK_MS = 31 * 24 * HOUR
const BASELINE_KEY = /^(baseline|learning|before|expected)/
const INTENT_KEY = /(intent|declared|sensitive|allowed)/

// `event_ids`, and the likes of `rollout_event_ids` (the policy change a deny spike followed).
const EVENT_IDS_KEY = /(^|_)event_ids$/

/** Every event id the evidence cites, under any `*event_ids` key, once each. */
function citedEventIds(evidence: Record<string, unknown>): string[] {
  const ids = new Set<string>()
  for (const [key, value] of Object.entries(evidence)) {
    if (!EVENT_IDS_KEY.test(key) || !Array.isArray(value)) continue
    for (const id of value) if (typeof id === 'string') ids.add(id)
  }
  return [...ids]
}

/** A finding's evidence split the way an analyst reads it: what it was compared to, what it contradicts. */
function splitEvidence(evidence: Record<string, unknown>) {
  const baseline: Record<string, unknown> = {}
  const intent: Record<string, unknown> = {}
  const other: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(evidence)) {
    if (EVENT_IDS_KEY.test(key)) continue
    if (BASELINE_KEY.test(key)) baseline[key] = value
    else if (INTENT_KEY.test(key)) intent[key] = value
    else other[key] = value
  }
  return { baseline, intent, other }
}

// `default-src 'self'` is the rule; the rest closes what default-src does not cover.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

function sessionId(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === COOKIE) {
      const id = value.join('=')
      return SESSION_ID.test(id) ? id : undefined
    }
  }
  return undefined
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host
  } catch {
    // `null` (sandboxed or file pages) and junk have no host: never same-origin.
    return undefined
  }
}

function sessionCookie(request: Request, value: string, maxAgeSeconds: number): string {
  // Secure only over https: on plain-http loopback a Secure cookie would never come back.
  const secure = request.secure ? '; Secure' : ''
  return `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`
}

function principalOf(request: Request): Principal {
  // Every route that calls this is behind the authentication middleware.
  if (!request.principal) throw new Error('route reached without a principal')
  return request.principal
}

/**
 * Who acts, as the action log records it: the principal's name once principals carry one (keys per
 * person, OIDC), until then the tenant's token.
 */
function actorOf(principal: Principal & { name?: string }): string {
  return principal.name ?? `${principal.tenant} API token`
}

function badRequest(response: Response, error: unknown): boolean {
  if (!(error instanceof RequestInvalidError)) return false
  sendError(response, 400, 'BAD_REQUEST', error.message)
  return true
}

/**
 * The dashboard's routes, to mount on an app made by `createServiceApp` (before
 * `finishServiceApp`): the static front end, d3 at `/vendor/d3`, and the JSON API under
 * `/api/v1` — authenticated by a session cookie (from `POST /api/v1/session`) or a bearer token.
 */
export function createDashboardRoutes(options: DashboardRoutesOptions): Router {
  const now = options.now ?? Date.now
  const sessions = options.sessions ?? createSessionStore({ now })
  const { dashboards } = options
  const signInLimiter = options.signInLimiter ?? createSignInLimiter({ now })
  const signInFailures = new Counter({
    name: 'palisade_dashboard_sign_in_failures_total',
    help: 'Sign-ins refused, by reason (wrong_token, rate_limited)',
    labelNames: ['reason'] as const,
    registers: [options.metrics],
  })
  // d3's package exports do not include package.json; its entry point sits in dist/ beside d3.min.js.
  const d3Dir = dirname(createRequire(import.meta.url).resolve('d3'))
  const router = express.Router()
  const ledger = createNotificationLedger(options.client)
  const incidentActions = createIncidentActionLog(options.client)
  const silenceStore = createSilenceStore(options.client)

  router.use((_request, response, next) => {
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    response.setHeader('X-Content-Type-Options', 'nosniff')
    response.setHeader('Referrer-Policy', 'no-referrer')
    next()
  })
  router.use('/vendor/d3', express.static(d3Dir, { index: false, maxAge: '1d' }))
  // Bundled once, when the routes are made; a failed build answers 500 with the reason and is logged.
  const bundle = bundleFrontEnd(options.webDir ?? defaultWebDir)
  bundle.catch(() => {
    // Handled where /app.js is asked for; this keeps a failed build from being an unhandled rejection.
  })
  router.get('/app.js', allow('public'), async (_request, response) => {
    const script = await bundle
    response.type('text/javascript').setHeader('Cache-Control', 'no-cache')
    response.send(script)
  })
  router.use(express.static(options.publicDir ?? defaultPublicDir, { index: 'index.html' }))

  router.use('/api', (_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store')
    next()
  })

  // CSRF: the cookie is SameSite=Strict, and a state-changing call riding on it (or a login) must
  // also be JSON from our own origin. A cross-site form can send neither, and a cross-site fetch
  // with that type needs a CORS preflight this server never grants. Bearer tokens are not ambient
  // credentials, so tools calling with one are not held to it.
  const sameOriginJson = (request: Request, response: Response, next: NextFunction): void => {
    if (!UNSAFE_METHODS.has(request.method)) {
      next()
      return
    }
    const origin = request.headers.origin
    if (origin !== undefined && originHost(origin) !== request.headers.host) {
      sendError(response, 403, 'FORBIDDEN', 'cross-origin request refused')
      return
    }
    // Read the header itself: `request.is` says nothing for a body-less DELETE.
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/json') {
      sendError(response, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json')
      return
    }
    next()
  }

  router.post(
    '/api/v1/session',
    allow('public'),
    sameOriginJson,
    express.json({ limit: '4kb' }),
    async (request, response) => {
      const token = (request.body as { token?: unknown } | undefined)?.token
      if (typeof token !== 'string' || token.length === 0 || token.length > 1024) {
        sendError(response, 400, 'BAD_REQUEST', 'send {"token": "<your API token>"}')
        return
      }
      // Per address: behind a proxy every client shares one, which brakes them together (fail safe).
      const client = request.socket.remoteAddress ?? 'unknown'
      const wait = signInLimiter.retryAfterSeconds(client)
      if (wait > 0) {
        // Refused before the token is checked, so a guesser learns nothing while braked.
        signInFailures.inc({ reason: 'rate_limited' })
        response.setHeader('Retry-After', String(wait))
        sendError(response, 429, 'TOO_MANY_SIGN_INS', `too many failed sign-ins; retry in ${wait} s`)
        return
      }
      const principal = options.authenticator.authenticate(token)
      if (!principal) {
        signInLimiter.failed(client)
        signInFailures.inc({ reason: 'wrong_token' })
        await recordAudit(request, { action: 'sign-in.refused', target: 'token' })
        sendError(response, 401, 'UNAUTHENTICATED', 'unknown token')
        return
      }
      signInLimiter.succeeded(client)
      const previous = sessionId(request.headers.cookie)
      if (previous) sessions.delete(previous)
      const id = sessions.create(principal)
      request.principal = principal
      await recordAudit(request, { action: 'sign-in', target: 'dashboard', detail: { role: principal.role } })
      response.setHeader('Set-Cookie', sessionCookie(request, id, Math.floor(sessions.ttlMs / 1000)))
      response
        .status(201)
        .json({ tenant: principal.tenant, expiresInSeconds: Math.floor(sessions.ttlMs / 1000) })
    },
  )

  // The rollout gate as Flagger's webhooks call it: a POST of {name, namespace, phase, metadata} with
  // no way to set a header, so the token may come in `metadata.token`; 200 lets the canary go on,
  // 423 (any non-2xx) holds it. The service is `metadata.service`, else the canary's name.
  // Authenticates from the header or the body, then `allow('read')` decides as on every route.
  const gateCaller = (request: Request, response: Response, next: NextFunction): void => {
    const body = (request.body ?? {}) as { metadata?: Record<string, unknown> }
    const metadata = typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}
    const header = request.headers.authorization
    const token = header !== undefined ? bearerToken(header) : metadata.token
    const principal = typeof token === 'string' ? options.authenticator.authenticate(token) : undefined
    if (!principal) {
      sendUnauthenticated(
        response,
        'send Authorization: Bearer <token>, or the token in the webhook metadata',
      )
      return
    }
    request.principal = principal
    next()
  }
  router.post(
    '/api/v1/gate',
    express.json({ limit: '16kb' }),
    gateCaller,
    allow('read'),
    async (request, response) => {
      const body = (request.body ?? {}) as { name?: unknown; metadata?: Record<string, unknown> }
      const metadata = typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}
      const principal = principalOf(request)
      const service = typeof metadata.service === 'string' ? metadata.service : body.name
      if (typeof service !== 'string' || service === '') {
        sendError(response, 400, 'BAD_REQUEST', 'name the service: metadata.service, or the canary name')
        return
      }
      const gate = rolloutGate(await options.slos.statuses(principal.tenant), service)
      response.status(gate.frozen ? 423 : 200).json(gate)
    },
  )

  // OpenID Connect: the browser is sent to the provider with a PKCE challenge, state and nonce kept
  // here (keyed by state, which a Lax cookie binds to this browser: the provider's redirect back is a
  // cross-site navigation, which a Strict cookie would not survive), and comes back with a code.
  const pendingSignIns = new Map<string, PendingSignIn & { until: number }>()
  router.get('/api/v1/oidc', allow('public'), (_request, response) => {
    response.json({ enabled: options.oidc !== undefined })
  })
  router.get('/api/v1/oidc/login', allow('public'), async (request, response) => {
    if (!options.oidc)
      return sendError(response, 404, 'NOT_FOUND', 'OpenID Connect sign-in is not configured')
    const at = now()
    for (const [state, pending] of pendingSignIns) if (pending.until <= at) pendingSignIns.delete(state)
    if (pendingSignIns.size >= 10_000)
      return sendError(response, 429, 'TOO_MANY_SIGN_INS', 'too many sign-ins in progress')
    const { url, pending } = await options.oidc.begin()
    pendingSignIns.set(pending.state, { ...pending, until: at + OIDC_PENDING_MS })
    const secure = request.secure ? '; Secure' : ''
    response.setHeader(
      'Set-Cookie',
      `${OIDC_COOKIE}=${pending.state}; HttpOnly; SameSite=Lax; Path=/api/v1/oidc; Max-Age=${OIDC_PENDING_MS / 1000}${secure}`,
    )
    response.redirect(302, url.href)
  })
  router.get('/api/v1/oidc/callback', allow('public'), async (request, response) => {
    if (!options.oidc)
      return sendError(response, 404, 'NOT_FOUND', 'OpenID Connect sign-in is not configured')
    const cookieState = /(?:^|;\s*)palisade_oidc=([A-Za-z0-9_-]{1,128})/.exec(
      request.headers.cookie ?? '',
    )?.[1]
    const pending = cookieState ? pendingSignIns.get(cookieState) : undefined
    if (!pending || pending.until <= now() || request.query.state !== pending.state)
      return sendError(response, 400, 'BAD_REQUEST', 'no sign-in in progress from this browser; start again')
    pendingSignIns.delete(pending.state)
    const current = new URL(request.originalUrl, `${request.protocol}://${request.headers.host}`)
    let principal: Principal | undefined
    try {
      principal = await options.oidc.complete(current, pending)
    } catch (error) {
      await recordAudit(request, {
        action: 'sign-in.refused',
        target: 'oidc',
        detail: { reason: String(error) },
      })
      return sendError(response, 401, 'UNAUTHENTICATED', 'the provider did not sign you in')
    }
    if (!principal) {
      await recordAudit(request, {
        action: 'sign-in.refused',
        target: 'oidc',
        detail: { reason: 'no granted group' },
      })
      return sendError(response, 403, 'FORBIDDEN', 'none of your groups is granted a role here')
    }
    const id = sessions.create(principal)
    request.principal = principal
    await recordAudit(request, { action: 'sign-in', target: 'oidc', detail: { role: principal.role } })
    response.setHeader('Set-Cookie', [
      sessionCookie(request, id, Math.floor(sessions.ttlMs / 1000)),
      `${OIDC_COOKIE}=; HttpOnly; SameSite=Lax; Path=/api/v1/oidc; Max-Age=0`,
    ])
    response.redirect(302, '/')
  })

  // Everything else under /api needs a principal. An Authorization header, when sent, decides
  // alone: a wrong token is not rescued by a cookie that happens to be there.
  router.use('/api', (request: Request, response: Response, next: NextFunction) => {
    const header = request.headers.authorization
    let principal: Principal | undefined
    if (header !== undefined) principal = options.authenticator.authenticate(bearerToken(header))
    else {
      const id = sessionId(request.headers.cookie)
      principal = id ? sessions.get(id) : undefined
    }
    if (!principal) {
      sendUnauthenticated(response, 'log in (POST /api/v1/session) or send Authorization: Bearer <token>')
      return
    }
    const acting = actingPrincipal(principal, request.headers[TENANT_HEADER])
    if (!acting) {
      sendError(response, 403, 'FORBIDDEN', 'only a platform admin may act in another tenant')
      return
    }
    request.principal = acting
    if (header === undefined) sameOriginJson(request, response, next)
    else next()
  })

  router.get('/api/v1/session', allow('self'), (request, response) => {
    const { tenant, role } = principalOf(request)
    // The front end shows what the role may use and hides the rest (the API refuses it anyway).
    response.json({ tenant, role, may: [...grants[role]] })
  })

  router.delete('/api/v1/session', allow('self'), (request, response) => {
    const id = sessionId(request.headers.cookie)
    if (id) sessions.delete(id)
    response.setHeader('Set-Cookie', sessionCookie(request, '', 0))
    response.status(204).end()
  })

  router.get('/api/v1/findings', allow('investigate'), async (request, response) => {
    let params: ReturnType<typeof parseFindingsParams>
    try {
      params = parseFindingsParams(request.query, now())
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const findings = await options.findings.list({ tenant: principalOf(request).tenant, ...params })
    response.json({ findings })
  })

  router.get('/api/v1/findings/:id', allow('investigate'), async (request, response) => {
    let id: string
    try {
      id = parseId('id', String(request.params.id ?? ''))
      if (Object.keys(request.query).length > 0)
        throw new RequestInvalidError('this route takes no parameters')
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const tenant = principalOf(request).tenant
    const finding = await queryFindingById(options.client, { tenant, findingId: id })
    if (!finding) {
      sendError(response, 404, 'NOT_FOUND', `no finding "${id}"`)
      return
    }
    const ids = citedEventIds(finding.evidence)
    const events = await queryEventsByIds(options.client, {
      tenant,
      ids,
      from: finding.ts - EVIDENCE_LOOKBACK_MS,
      to: finding.detected_at + HOUR,
    })
    response.json({
      finding,
      evidence: {
        eventIds: ids.slice(0, MAX_EVIDENCE_IDS),
        events,
        // Ids cited but not stored (expired by TTL, or in a table the finding's source does not write).
        missingEventIds: ids
          .slice(0, MAX_EVIDENCE_IDS)
          .filter((cid) => !events.some((e) => e.event_id === cid)),
        ...splitEvidence(finding.evidence),
      },
    })
  })

  router.get('/api/v1/entities/:kind/:value', allow('investigate'), async (request, response) => {
    let params: ReturnType<typeof parseEntityPageParams<(typeof timelineKinds)[number]>> &
      ReturnType<typeof parseEntity<(typeof entityKinds)[number]>>
    try {
      params = {
        ...parseEntity(String(request.params.kind ?? ''), String(request.params.value ?? ''), entityKinds),
        ...parseEntityPageParams(request.query, now(), timelineKinds),
      }
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const page = await queryEntityPage(options.client, { tenant: principalOf(request).tenant, ...params })
    response.json({
      ...page,
      from: params.from,
      to: params.to,
      limit: params.limit,
      only: params.only ?? null,
    })
  })

  router.get('/api/v1/incidents/:key', allow('investigate'), async (request, response) => {
    let key: string
    let params: ReturnType<typeof parseInvestigationParams>
    try {
      key = parseId('key', String(request.params.key ?? ''))
      params = parseInvestigationParams(request.query, now())
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const timeline = await queryIncidentTimeline(options.client, {
      tenant: principalOf(request).tenant,
      dedupKey: key,
      ...params,
    })
    if (timeline.notifications.length === 0) {
      sendError(response, 404, 'NOT_FOUND', `no incident "${key}" in this range`)
      return
    }
    const actions = await incidentActions.ofIncident(principalOf(request).tenant, key)
    response.json({ ...timeline, actions, from: params.from, to: params.to })
  })

  // Acting on an incident writes to the store, not to the router: the action log is the audit trail
  // and the queue every router applies once (PagerDuty acknowledge/resolve, no repeats), so an action
  // taken while a router restarts is not lost, and any number of routers sharing the ledger see it.
  router.post(
    '/api/v1/incidents/:key/:kind',
    allow('respond'),
    express.json({ limit: '16kb' }),
    async (request, response) => {
      let key: string
      try {
        key = parseId('key', String(request.params.key ?? ''))
      } catch (error) {
        if (badRequest(response, error)) return
        throw error
      }
      const principal = principalOf(request)
      const incident = await ledger.incident(principal.tenant, key)
      if (!incident) {
        sendError(response, 404, 'NOT_FOUND', `no incident "${key}"`)
        return
      }
      const kind = String(request.params.kind ?? '')
      let action: ReturnType<typeof parseIncidentAction>
      try {
        action = parseIncidentAction(kind, request.body, {
          id: randomUUID(),
          tenant: principal.tenant,
          incidentKey: key,
          actor: actorOf(principal),
          now: now(),
          groupLabels: incident.labels,
        })
      } catch (error) {
        if (!(error instanceof IncidentActionInvalidError)) throw error
        sendError(response, 400, 'BAD_REQUEST', error.message)
        return
      }
      if (action.kind !== 'silence' && incident.action === 'resolve') {
        sendError(response, 409, 'INCIDENT_RESOLVED', `incident "${key}" is already resolved`)
        return
      }
      if (action.kind === 'silence') {
        // The silence itself lives with the Alertmanager API's silences (amtool lists it too).
        action.silence_id = randomUUID()
        await silenceStore.save({
          tenant: action.tenant,
          id: action.silence_id,
          matchers: JSON.stringify(action.matchers),
          starts_at: action.at,
          ends_at: action.until,
          created_by: action.actor,
          comment: action.comment,
          updated_at: action.at,
        })
      }
      await incidentActions.record(action)
      await recordAudit(request, { action: `incident.${action.kind}`, target: key, detail: { action } })
      // 202: the routers apply it on their next round (within a second or two).
      response.status(202).json({ action })
    },
  )

  // The rollout gate as Argo Rollouts' web metric calls it: GET, always 200 with the verdict in the
  // body (`jsonPath: "{$.open}"`, `successCondition: result == true`), since a non-2xx is an error
  // to Argo, not a failed measurement.
  router.get('/api/v1/gate', allow('read'), async (request, response) => {
    const service = request.query.service
    if (typeof service !== 'string' || !SLO_NAME.test(service)) {
      sendError(
        response,
        400,
        'BAD_REQUEST',
        'service: the service whose rollouts ask, e.g. ?service=identity',
      )
      return
    }
    response.json(rolloutGate(await options.slos.statuses(principalOf(request).tenant), service))
  })

  // Every service's gate, for the dashboard to show which rollouts are frozen.
  router.get('/api/v1/gates', allow('read'), async (request, response) => {
    const statuses = await options.slos.statuses(principalOf(request).tenant)
    const services = [...new Set(statuses.map((status) => status.service))].sort()
    response.json({ gates: services.map((service) => rolloutGate(statuses, service)) })
  })

  router.get('/api/v1/slos', allow('read'), async (request, response) => {
    // Worst first: the list is read top-down by whoever triages (paging, ticketing, least budget left).
    response.json({ slos: worstFirst(await options.slos.statuses(principalOf(request).tenant)) })
  })

  router.get('/api/v1/slos/:name/budget', allow('read'), async (request, response) => {
    const name = String(request.params.name ?? '')
    if (!SLO_NAME.test(name)) {
      sendError(response, 400, 'BAD_REQUEST', 'name: not an SLO name')
      return
    }
    const tenant = principalOf(request).tenant
    if (!options.slos.has(tenant, name)) {
      sendError(response, 404, 'NOT_FOUND', `no SLO named "${name}"`)
      return
    }
    response.json(await options.slos.budgetBurnDown(tenant, name))
  })

  router.get('/api/v1/slos/:name/burn-rate', allow('read'), async (request, response) => {
    const name = String(request.params.name ?? '')
    let params: ReturnType<typeof parseBurnRateParams>
    try {
      if (!SLO_NAME.test(name)) throw new RequestInvalidError('name: not an SLO name')
      params = parseBurnRateParams(request.query, now())
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const tenant = principalOf(request).tenant
    // Asking the source first turns an unknown name into a 404 whatever the source does with it.
    if (!options.slos.has(tenant, name)) {
      sendError(response, 404, 'NOT_FOUND', `no SLO named "${name}"`)
      return
    }
    const points = await options.slos.burnRateSeries(tenant, name, params)
    response.json({ slo: name, ...params, points })
  })

  router.get('/api/v1/dashboards', allow('read'), (_request, response) => {
    response.json({
      dashboards: [...dashboards.values()].map(({ id, title, description }) => ({ id, title, description })),
    })
  })

  router.get('/api/v1/dashboards/:id', allow('read'), (request, response) => {
    const dashboard = dashboards.get(String(request.params.id ?? ''))
    if (!dashboard) {
      sendError(response, 404, 'NOT_FOUND', `no dashboard "${request.params.id}"`)
      return
    }
    response.json(dashboard)
  })

  router.get('/api/v1/panels/:query', allow('read'), async (request, response) => {
    const name = String(request.params.query ?? '')
    if (!isDashboardQueryName(name)) {
      sendError(response, 404, 'NOT_FOUND', `no panel query named "${name}"`)
      return
    }
    let params: ReturnType<typeof parsePanelParams>
    try {
      params = parsePanelParams(request.query, now(), { edgeFilters: name === 'service_graph' })
    } catch (error) {
      if (badRequest(response, error)) return
      throw error
    }
    const rows = await dashboardQueries[name](options.client, {
      tenant: principalOf(request).tenant,
      ...params,
    })
    response.json({ query: name, ...params, rows })
  })

  // Hunting: behind the authentication above, for the signed-in tenant.
  // Baseline bands beside the time series (the panel route above answers the series themselves).
  router.use(createBaselineRoutes({ client: options.client, dashboards, now }))
  router.use(createHuntRoutes({ client: options.client, now }))
  router.use(createRequestRoutes({ client: options.client, now }))
  router.use(createComplianceRoutes({ client: options.client, intent: options.intent, now }))
  mountAdminRoutes(router, { keys: options.keys, audit: options.audit })

  return router
}
