import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { type HeldAlert, type LabelMatcher, labelsMatch, parseLabelMatcher } from '@palisade/alerting'
import {
  type Authenticator,
  allow,
  authenticateHeaders,
  recordAudit,
  refusalOf,
  requireToken,
  sendJsonDirectly,
  sendRefusalDirectly,
  serveDirectly,
} from '@palisade/http-server'
import type { Alert, Severity } from '@palisade/schema'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { AlertRouter } from './alert-router.ts'
import type { ApiSilence, ApiSilences } from './api-silences.ts'
import { AlertmanagerRequestInvalidError } from './errors.ts'

/** What {@link mountAlertmanagerApi} serves from. */
export interface AlertmanagerApiOptions {
  authenticator: Authenticator
  router: AlertRouter
  silences: ApiSilences
  ready: () => boolean
  /** Epoch ms (default `Date.now`). */
  clock?: () => number
}

// Prometheus sends at most `max_samples_per_send`-sized batches (default 256 alerts); a few MB is plenty.
const BODY_LIMIT = '8mb'
const BODY_LIMIT_BYTES = 8 * 1024 * 1024
/** The JSON bodies the lean reader of `POST /api/v2/alerts` takes; others go through express.json. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const ZERO_TIME = '0001-01-01T00:00:00.000Z'
const STARTED_AT = new Date().toISOString()

/**
 * Alertmanager severities as Palisade's (routes and receivers speak `page`, `ticket`, `info`): the
 * sender's own word is kept in `source_severity` when it differs, so nothing it said is lost.
 */
const SEVERITY: Readonly<Record<string, Severity>> = {
  page: 'page',
  critical: 'page',
  error: 'page',
  ticket: 'ticket',
  warning: 'ticket',
  warn: 'ticket',
  info: 'info',
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) throw new AlertmanagerRequestInvalidError(`${field} must be an object of strings`)
  const out: Record<string, string> = {}
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string')
      throw new AlertmanagerRequestInvalidError(`${field}.${name} must be a string`)
    out[name] = text
  }
  return out
}

function optionalTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '' || value === ZERO_TIME) return undefined
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) throw new AlertmanagerRequestInvalidError(`${field} must be an RFC 3339 time`)
  // Go's zero time (0001-01-01) in any spelling means "not set".
  return ms < 0 && new Date(ms).getUTCFullYear() <= 1 ? undefined : ms
}

/**
 * One alert of a `POST /api/v2/alerts` body as the router's alert. Its labels are its identity (the
 * planner's fingerprint), so a re-send every minute and a resolve for 15 minutes are the same alert;
 * `endsAt` at or before now resolves it.
 */
export function alertFromAlertmanager(raw: unknown, tenant: string, now: number): Alert {
  if (!isRecord(raw)) throw new AlertmanagerRequestInvalidError('an alert must be an object')
  // One pass over the labels, building the router's labels as it checks them: this runs for every
  // alert of every POST, so no intermediate copies.
  if (raw.labels !== undefined && raw.labels !== null && !isRecord(raw.labels))
    throw new AlertmanagerRequestInvalidError('labels must be an object of strings')
  const sent = (raw.labels ?? {}) as Record<string, unknown>
  const labels: Record<string, string> = {}
  let count = 0
  let senderTenant: string | undefined
  let senderSeverity: string | undefined
  let alertname: string | undefined
  for (const name of Object.keys(sent)) {
    const value = sent[name]
    if (typeof value !== 'string')
      throw new AlertmanagerRequestInvalidError(`labels.${name} must be a string`)
    if (!LABEL_NAME.test(name)) throw new AlertmanagerRequestInvalidError(`invalid label name "${name}"`)
    if (value === '') throw new AlertmanagerRequestInvalidError(`empty value for label "${name}"`)
    count++
    // The tenant is the token's, never the sender's: a `tenant` label is kept under another name.
    if (name === 'tenant') senderTenant = value
    else if (name === 'severity') senderSeverity = value
    else if (name === 'alertname') alertname = value
    else labels[name] = value
  }
  if (count === 0) throw new AlertmanagerRequestInvalidError('at least one label pair required')
  const annotations = stringMap(raw.annotations, 'annotations')
  const startsAt = optionalTime(raw.startsAt, 'startsAt')
  const endsAt = optionalTime(raw.endsAt, 'endsAt')
  if (startsAt !== undefined && endsAt !== undefined && endsAt < startsAt)
    throw new AlertmanagerRequestInvalidError('start time must be before end time')
  if (raw.generatorURL !== undefined && typeof raw.generatorURL !== 'string')
    throw new AlertmanagerRequestInvalidError('generatorURL must be a string')
  const severity = SEVERITY[(senderSeverity ?? '').toLowerCase()] ?? 'info'
  if (senderTenant !== undefined) labels.exported_tenant = senderTenant
  if (senderSeverity !== undefined && senderSeverity !== severity) labels.source_severity = senderSeverity
  labels.alertname = alertname ?? ''
  labels.severity = severity
  if (typeof raw.generatorURL === 'string' && raw.generatorURL !== '')
    annotations.generator_url = raw.generatorURL
  const resolved = endsAt !== undefined && endsAt <= now
  const alert: Alert = {
    tenant,
    labels: labels as Alert['labels'],
    annotations,
    status: resolved ? 'resolved' : 'firing',
    starts_at: startsAt ?? Math.min(now, endsAt ?? now),
  }
  if (endsAt !== undefined) alert.ends_at = endsAt
  return alert
}

/** Whether a body is what the lean reader takes: plain UTF-8 JSON, not compressed. */
function isPlainJson(headers: IncomingHttpHeaders): boolean {
  return (
    PLAIN_JSON.test(headers['content-type'] ?? '') &&
    (headers['content-encoding'] ?? 'identity').toLowerCase() === 'identity'
  )
}

/**
 * The body of a `POST /api/v2/alerts` as JSON, read without body-parser's general machinery (media
 * type negotiation, charsets, inflation): what Prometheus and vmalert send, plain UTF-8 JSON, is
 * most of this server's traffic. Anything else (compressed, another charset) takes express.json.
 */
function readPlainJson(
  request: IncomingMessage,
): Promise<{ body: unknown } | { status: number; reason: string }> {
  return new Promise((resolve) => {
    const tooLarge = { status: 413, reason: 'request entity too large' }
    if (Number(request.headers['content-length']) > BODY_LIMIT_BYTES) {
      request.resume()
      return resolve(tooLarge)
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= BODY_LIMIT_BYTES) return void chunks.push(chunk)
      // Answer now and let the rest of the body drain unread.
      request.off('data', onData)
      request.resume()
      chunks.length = 0
      resolve(tooLarge)
    }
    request.on('data', onData)
    request.once('error', (error) => resolve({ status: 400, reason: error.message }))
    request.once('end', () => {
      if (size > BODY_LIMIT_BYTES) return
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')
      // body-parser's reading of an empty body: nothing, which is not a list of alerts.
      if (text.trim() === '') return resolve({ body: undefined })
      try {
        resolve({ body: JSON.parse(text) })
      } catch (error) {
        resolve({ status: 400, reason: (error as Error).message })
      }
    })
  })
}

/** Alertmanager answers a bad request with its reason as a JSON string. */
function badRequest(response: Response, reason: string): void {
  response.status(400).json(reason)
}

function queryList(value: unknown): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string')
}

function queryFlag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'string' ? value !== 'false' : fallback
}

/** The `filter` matchers of a query (`alertname="x"`, amtool's form), or a 400 reason. */
function filterMatchers(request: Request): LabelMatcher[] {
  try {
    return queryList(request.query.filter).map((text) => parseLabelMatcher(text))
  } catch (error) {
    throw new AlertmanagerRequestInvalidError((error as Error).message)
  }
}

function receiverPattern(value: unknown): RegExp | undefined {
  if (typeof value !== 'string') return undefined
  try {
    return new RegExp(`^(?:${value})$`)
  } catch {
    throw new AlertmanagerRequestInvalidError(`receiver "${value}" is not a valid regular expression`)
  }
}

function iso(ms: number | undefined): string {
  return ms === undefined ? ZERO_TIME : new Date(ms).toISOString()
}

function silenceState(silence: ApiSilence, now: number): 'expired' | 'pending' | 'active' {
  if (silence.endsAt <= now) return 'expired'
  return silence.startsAt > now ? 'pending' : 'active'
}

function gettableSilence(silence: ApiSilence, now: number) {
  return {
    id: silence.id,
    status: { state: silenceState(silence, now) },
    updatedAt: iso(silence.updatedAt),
    matchers: silence.matchers.map((m) => ({ ...m, isEqual: m.isEqual ?? true })),
    startsAt: iso(silence.startsAt),
    endsAt: iso(silence.endsAt),
    createdBy: silence.createdBy,
    comment: silence.comment,
  }
}

/**
 * Serve the Alertmanager API v2 on `app` behind the bearer token of every other endpoint, so that
 * Prometheus, vmalert and amtool talk to Palisade unchanged: alerts in (the same accept path as the
 * router's findings and SLO alerts: one route tree, one ledger), alerts and groups out, and silences
 * kept in the store. `/-/healthy` and `/-/ready` carry no data and need no token, like `/healthz`.
 */
export function mountAlertmanagerApi(app: Express, options: AlertmanagerApiOptions): void {
  const { router, silences } = options
  const clock = options.clock ?? Date.now
  const api = express.Router()
  api.use(requireToken(options.authenticator))
  api.use(express.json({ limit: BODY_LIMIT }))
  const tenantOf = (request: Request) => request.principal?.tenant ?? ''

  function gettableAlert(held: HeldAlert, now: number) {
    const labels = held.alert.labels
    const silencedBy = silences.matching({ ...held.alert.labels, tenant: held.alert.tenant }, now)
    const suppressed = held.silenced || held.inhibited
    const { generator_url: generatorURL, ...annotations } = held.alert.annotations
    return {
      labels,
      annotations,
      startsAt: iso(held.alert.starts_at),
      endsAt: iso(held.alert.ends_at),
      updatedAt: iso(now),
      generatorURL: generatorURL ?? '',
      fingerprint: held.fingerprint,
      receivers: held.receivers.map((name) => ({ name })),
      status: {
        state: suppressed ? 'suppressed' : 'active',
        silencedBy: held.silenced ? silencedBy : [],
        inhibitedBy: [],
      },
    }
  }

  /** The held alerts a `GET /api/v2/alerts` query asks for (resolved ones are not listed, as in Alertmanager). */
  function selectAlerts(request: Request, now: number) {
    const matchers = filterMatchers(request)
    const showActive = queryFlag(request.query.active, true)
    const showSilenced = queryFlag(request.query.silenced, true)
    const showInhibited = queryFlag(request.query.inhibited, true)
    const receiver = receiverPattern(request.query.receiver)
    const held = router.held(tenantOf(request))
    const byFingerprint = new Map<string, HeldAlert>()
    for (const alert of held.alerts) {
      const { status, ends_at } = alert.alert
      if (status === 'resolved' || (ends_at !== undefined && ends_at <= now)) continue
      if (alert.silenced && !showSilenced) continue
      if (alert.inhibited && !showInhibited) continue
      if (!alert.silenced && !alert.inhibited && !showActive) continue
      if (receiver && !alert.receivers.some((name) => receiver.test(name))) continue
      if (!labelsMatch(matchers, alert.alert.labels)) continue
      byFingerprint.set(alert.fingerprint, alert)
    }
    return { byFingerprint, groups: held.groups }
  }

  api.get('/alerts', allow('read'), (request, response) => {
    const now = clock()
    const { byFingerprint } = selectAlerts(request, now)
    response.json([...byFingerprint.values()].map((alert) => gettableAlert(alert, now)))
  })

  api.get('/alerts/groups', allow('read'), (request, response) => {
    const now = clock()
    const { byFingerprint, groups } = selectAlerts(request, now)
    const out = []
    for (const group of groups) {
      const alerts = group.fingerprints.flatMap((fingerprint) => {
        const held = byFingerprint.get(fingerprint)
        return held ? [gettableAlert(held, now)] : []
      })
      if (alerts.length > 0)
        out.push({ labels: group.groupLabels, receiver: { name: group.receiver }, alerts })
    }
    response.json(out)
  })

  api.get('/silences', allow('read'), (request, response) => {
    const now = clock()
    const matchers = filterMatchers(request)
    const listed = silences.list(tenantOf(request)).filter((silence) => {
      // A filter selects the silences whose equality matchers carry the label values it asks for.
      const labels = Object.fromEntries(
        silence.matchers.filter((m) => !m.isRegex && m.isEqual !== false).map((m) => [m.name, m.value]),
      )
      return labelsMatch(matchers, labels)
    })
    response.json(listed.map((silence) => gettableSilence(silence, now)))
  })

  api.post('/silences', allow('respond'), async (request, response) => {
    const id = await silences.save(tenantOf(request), request.body)
    await recordAudit(request, { action: 'silence.save', target: id, detail: { silence: request.body } })
    response.json({ silenceID: id })
  })

  api.get('/silence/:id', allow('read'), (request, response) => {
    const silence = silences.get(tenantOf(request), String(request.params.id))
    if (!silence) return void response.status(404).json(`silence ${request.params.id} not found`)
    response.json(gettableSilence(silence, clock()))
  })

  api.delete('/silence/:id', allow('respond'), async (request, response) => {
    if (!(await silences.expire(tenantOf(request), String(request.params.id))))
      return void response.status(404).json(`silence ${request.params.id} not found`)
    await recordAudit(request, { action: 'silence.expire', target: String(request.params.id) })
    response.status(200).end()
  })

  api.get('/status', allow('read'), (_request, response) => {
    response.json({
      cluster: { status: 'disabled', peers: [] },
      versionInfo: {
        version: 'palisade',
        revision: '',
        branch: '',
        buildUser: '',
        buildDate: '',
        goVersion: '',
      },
      config: { original: '# Palisade alert router: the route tree is alerts/routing.yaml\n' },
      uptime: STARTED_AT,
    })
  })

  api.use((error: unknown, _request: Request, response: Response, next: NextFunction) => {
    if (error instanceof AlertmanagerRequestInvalidError) return badRequest(response, error.message)
    const status = (error as { status?: number }).status
    // A body that is not JSON, or too large: the parser's reason, in Alertmanager's shape.
    if (status && status >= 400 && status < 500)
      return void response.status(status).json((error as Error).message)
    next(error)
  })

  app.get('/-/healthy', allow('public'), (_request, response) => {
    response.type('text/plain').send('OK')
  })
  app.get('/-/ready', allow('public'), (_request, response) => {
    const ready = options.ready()
    response
      .status(ready ? 200 : 503)
      .type('text/plain')
      .send(ready ? 'OK' : 'Service Unavailable')
  })
  // `POST /api/v2/alerts` outside the router below (directly, and on the app for what the direct
  // handler declines): it is nearly all of this server's requests, and each nested router,
  // middleware and body parser it passes is paid per request.
  //
  // What is durable when it answers 200: nothing yet, as with Alertmanager, which also holds alerts
  // in memory only. The alerts are in the router's planner (grouped, waiting for group_wait); the
  // notification ledger records what the router decides to notify, as pending, before it sends it,
  // and that is what a restart restores. An alert accepted and lost to a crash before its group was
  // planned is covered by its sender: Prometheus and vmalert re-send every firing alert each
  // evaluation (and resolved ones for 15 minutes). `stop()` plans every group, in group_wait or not,
  // so a clean shutdown loses nothing it acknowledged.
  const jsonParser = express.json({ limit: BODY_LIMIT })
  const parseGenerally = (request: Request, response: Response) =>
    new Promise<{ body: unknown } | { status: number; reason: string }>((resolve) => {
      jsonParser(request, response, (error?: unknown) => {
        if (error === undefined) return resolve({ body: request.body })
        const status = (error as { status?: number }).status ?? 400
        resolve({ status, reason: (error as Error).message })
      })
    })

  /** Take in a `POST /api/v2/alerts` body; the 400 reason, or undefined when all were accepted. */
  async function takeAlerts(body: unknown, tenant: string): Promise<string | undefined> {
    if (!Array.isArray(body)) return 'the body must be a list of alerts'
    const now = clock()
    const accepted: Alert[] = []
    const reasons: string[] = []
    for (let index = 0; index < body.length; index++) {
      try {
        accepted.push(alertFromAlertmanager(body[index], tenant, now))
      } catch (error) {
        if (!(error instanceof AlertmanagerRequestInvalidError)) throw error
        reasons.push(`alert ${index}: ${error.message}`)
      }
    }
    // As Alertmanager does: the valid alerts are taken in even when others in the batch are not.
    if (accepted.length > 0) await router.receive(accepted)
    return reasons.length > 0 ? reasons.join('; ') : undefined
  }

  // Served without express first (see serveDirectly): the same token check, role, body limit,
  // answers and metrics as the route below, which takes what this leaves (compressed bodies, other
  // charsets) and which the role × route test reads.
  serveDirectly(app, 'POST', '/api/v2/alerts', (request, response) => {
    if (!isPlainJson(request.headers)) return false
    return (async () => {
      const principal = authenticateHeaders(options.authenticator, request.headers)
      if ('status' in principal) return sendRefusalDirectly(response, principal)
      const refusal = refusalOf(principal, 'ingest')
      if (refusal) return sendRefusalDirectly(response, refusal)
      const read = await readPlainJson(request)
      if ('status' in read) return sendJsonDirectly(response, read.status, read.reason)
      const reason = await takeAlerts(read.body, principal.tenant)
      if (reason !== undefined) return sendJsonDirectly(response, 400, reason)
      response.statusCode = 200
      response.end()
    })()
  })
  app.post(
    '/api/v2/alerts',
    requireToken(options.authenticator),
    allow('ingest'),
    async (request: Request, response: Response) => {
      const read = isPlainJson(request.headers)
        ? await readPlainJson(request)
        : await parseGenerally(request, response)
      if ('status' in read) return void response.status(read.status).json(read.reason)
      const reason = await takeAlerts(read.body, tenantOf(request))
      if (reason !== undefined) return badRequest(response, reason)
      response.status(200).end()
    },
  )
  app.use('/api/v2', api)
}
