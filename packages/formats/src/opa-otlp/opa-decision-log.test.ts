import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { opaDecisionLogParser } from './opa-decision-log.ts'

const context = { tenant: 'acme', observedAt: 1 }

/** An Envoy ext_authz decision as OPA logs it, with `overrides` merged in. */
function envoyDecision(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    labels: { id: 'opa-sidecar-7', version: '1.22.2', service: 'payments' },
    decision_id: '0b4d3f4e-3c1a-4b47-9a39-7d1f5a0c2e11',
    bundles: { authz: { revision: 'v42' } },
    path: 'envoy/authz/allow',
    input: {
      attributes: {
        source: { principal: 'spiffe://acme.io/ns/shop/sa/web' },
        destination: { principal: 'spiffe://acme.io/ns/pay/sa/api' },
        request: { http: { method: 'POST', path: '/charge', headers: { 'x-request-id': 'req-1' } } },
      },
    },
    result: { allowed: true, headers: { 'x-ext-auth-allow': 'yes' } },
    timestamp: '2026-11-23T09:00:00.123456789Z',
    metrics: { timer_rego_query_eval_ns: 1_500_000, timer_server_handler_ns: 2_000_000 },
    ...overrides,
  }
}

const parseOne = (event: Record<string, unknown>) => opaDecisionLogParser.parse(JSON.stringify([event]))

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'opa-decision-log > shared fixtures',
  () => {
    // open-policy-agent/opa docs/docs/management-decision-logs.md @ 042d5e1c0c7f (fixtures README).
    it('maps the upload body of OPA docs to a valid decision with its bundle revision', () => {
      const result = opaDecisionLogParser.parse(
        readSharedFixture('opa-decision/opa-docs-decision-log-upload-body.json'),
      )
      expect(result.rejected).toEqual([])
      expect(result.records).toHaveLength(1)
      const record = result.records[0]!
      expect(record.event).toEqual({
        event_id: '4ca636c1-55e4-417a-b1d8-4aceb67960d1',
        ts: Date.UTC(2018, 0, 1),
        source: 'opa',
        pdp: 'opa',
        decision: 'allow',
        enforcement_point: '1780d507-aea2-45cc-ae50-fa153c8e4a5a',
        service: 'my-example-app',
        action: 'GET',
        resource: '/salary/bob',
        policy_id: 'http/example/authz/allow',
        policy_revision: 'W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d',
      })
      expect(validateEvent('decision', record.event, context).ok).toBe(true)
    })
  },
)

describe('opa-decision-log', () => {
  it('maps an Envoy ext_authz decision: identities, method, path, request id, latency', () => {
    const { records } = parseOne(envoyDecision())
    expect(records[0]!.event).toEqual({
      event_id: '0b4d3f4e-3c1a-4b47-9a39-7d1f5a0c2e11',
      ts: Date.parse('2026-11-23T09:00:00.123Z'),
      source: 'opa',
      pdp: 'opa',
      decision: 'allow',
      request_id: 'req-1',
      enforcement_point: 'opa-sidecar-7',
      service: 'payments',
      src_identity: 'spiffe://acme.io/ns/shop/sa/web',
      dst_identity: 'spiffe://acme.io/ns/pay/sa/api',
      action: 'POST',
      resource: '/charge',
      policy_id: 'envoy/authz/allow',
      policy_revision: 'v42',
      latency_ms: 1.5,
    })
    expect(validateEvent('decision', records[0]!.event, context).ok).toBe(true)
  })

  it('reads allow and deny from a boolean, the text "true"/"false", and {allowed} or {allow} objects', () => {
    const verdicts = [true, false, 'true', 'false', { allowed: false }, { allow: true, reasons: [] }].map(
      (result) => parseOne(envoyDecision({ result })).records[0]!.event.decision,
    )
    expect(verdicts).toEqual(['allow', 'deny', 'allow', 'deny', 'deny', 'allow'])
  })

  it('stores an undefined decision (no result) as a deny', () => {
    const { result: _none, ...undefinedDecision } = envoyDecision()
    expect(parseOne(undefinedDecision).records[0]!.event.decision).toBe('deny')
  })

  it('stores a failed evaluation as an error, not a deny', () => {
    const failed = envoyDecision({
      error: { code: 'eval_conflict_error', message: 'complete rules must not produce multiple outputs' },
    })
    delete failed.result
    expect(parseOne(failed).records[0]!.event.decision).toBe('error')
  })

  it('rejects a result it cannot read and a result erased by a mask, with reasons', () => {
    const masked = envoyDecision({ erased: ['/result'] })
    delete masked.result
    const result = opaDecisionLogParser.parse(
      JSON.stringify([envoyDecision({ result: { status: 200 } }), masked]),
    )
    expect(result.records).toEqual([])
    expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
      [1, expect.stringContaining('no verdict')],
      [2, expect.stringContaining('erased')],
    ])
  })

  it('takes the legacy top-level revision when there are no bundles', () => {
    const event = envoyDecision({ revision: 'legacy-7' })
    delete event.bundles
    expect(parseOne(event).records[0]!.event.policy_revision).toBe('legacy-7')
  })

  it('joins the revisions of several bundles as sorted name=revision pairs', () => {
    const event = envoyDecision({
      bundles: { zeta: { revision: 'z1' }, authz: { revision: 'a9' }, empty: { revision: '' } },
    })
    expect(parseOne(event).records[0]!.event.policy_revision).toBe('authz=a9,zeta=z1')
  })

  it('falls back to the server handler time when the evaluation timer is missing', () => {
    const event = envoyDecision({ metrics: { timer_server_handler_ns: 3_000_000 } })
    expect(parseOne(event).records[0]!.event.latency_ms).toBe(3)
  })

  it("reads OPA's prepared-query cache from counter_server_query_cache_hit, and no metric as no lookup", () => {
    const metrics = (hit?: number) => ({
      metrics: {
        timer_server_handler_ns: 2_000_000,
        ...(hit === undefined ? {} : { counter_server_query_cache_hit: hit }),
      },
    })
    expect(parseOne(envoyDecision(metrics(1))).records[0]!.event.cache_hit).toBe(true)
    expect(parseOne(envoyDecision(metrics(0))).records[0]!.event.cache_hit).toBe(false)
    expect(parseOne(envoyDecision(metrics())).records[0]!.event).not.toHaveProperty('cache_hit')
  })

  it('reads one event per line (console decision logger) and rejects a bad line alone', () => {
    const console = { level: 'info', msg: 'Decision Log', time: '2026-11-23T09:00:00Z', ...envoyDecision() }
    const result = opaDecisionLogParser.parse(`${JSON.stringify(console)}\n{"decision_id": oops\n`)
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected).toEqual([
      { line: 2, raw: '{"decision_id": oops', reason: expect.stringContaining('not valid JSON') },
    ])
  })

  it('keeps an upload that is not a JSON array as one rejected record instead of failing the body', () => {
    const result = opaDecisionLogParser.parse('[{"decision_id": "x"')
    expect(result.records).toEqual([])
    expect(result.rejected).toEqual([
      { line: 1, raw: '[{"decision_id": "x"', reason: expect.stringContaining('not a JSON array') },
    ])
  })

  it('maps the same event to the same id, so that a re-sent chunk adds nothing', () => {
    const event = envoyDecision()
    delete event.decision_id
    const [first, second] = [parseOne(event), parseOne(event)].map(
      (result) => result.records[0]!.event.event_id,
    )
    expect(first).toMatch(/^[0-9a-f]{32}$/)
    expect(second).toBe(first)
  })
})
