import { describe, expect, it } from 'vitest'
import { fieldTableMarkdown } from './field-table.ts'
import { defaultRetentionDays } from './retention.ts'
import { validateEvent } from './validate-event.ts'

const context = { tenant: 'acme', observedAt: 1_700_000_000_000 }

describe('validateEvent', () => {
  it('normalises a valid flow event and derives a stable id from its content', () => {
    // Fresh records: validateEvent completes the record it is given in place.
    const record = () => ({
      ts: '2026-11-23T10:00:00.123Z',
      src_identity: 'spiffe://acme.io/ns/shop/sa/web',
      dst_port: 443,
    })
    const first = validateEvent('flow', record(), context)
    const second = validateEvent('flow', record(), { ...context, observedAt: 1 })
    expect(first.ok && second.ok).toBe(true)
    if (!first.ok || !second.ok) return
    expect(first.event.ts).toBe(Date.parse('2026-11-23T10:00:00.123Z'))
    expect(first.event.tenant).toBe('acme')
    expect(first.event.verdict).toBe('allowed')
    expect(first.event.event_id).toMatch(/^[0-9a-f]{32}$/)
    expect(second.event.event_id).toBe(first.event.event_id)
  })

  it("keeps the client's own event id", () => {
    const result = validateEvent(
      'auth',
      { event_id: 'okta-1', ts: 5, principal: 'a@b.c', outcome: 'success' },
      context,
    )
    expect(result.ok && result.event.event_id).toBe('okta-1')
  })

  it('gives records with different content different ids', () => {
    const a = validateEvent('flow', { ts: 1, dst_port: 443 }, context)
    const b = validateEvent('flow', { ts: 1, dst_port: 444 }, context)
    expect(a.ok && b.ok && a.event.event_id !== b.event.event_id).toBe(true)
  })

  it('rejects a malformed SPIFFE ID with a reason naming the field', () => {
    const result = validateEvent(
      'flow',
      { ts: 1, dst_port: 1, src_identity: 'spiffe://Bad Domain/x' },
      context,
    )
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('src_identity') })
  })

  it('rejects unknown fields, missing fields and wrong types, listing each', () => {
    const result = validateEvent('auth', { ts: 'yesterday', outcome: 'maybe', colour: 'red' }, context)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toContain('colour')
    expect(result.reason).toContain('principal')
    expect(result.reason).toContain('outcome')
  })

  it('refuses a record that names another tenant', () => {
    const result = validateEvent(
      'auth',
      { tenant: 'evil', ts: 1, principal: 'x', outcome: 'success' },
      context,
    )
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('not the authenticated tenant') })
  })

  it('accepts names that are not SPIFFE IDs and refuses SPIFFE IDs with dot segments', () => {
    expect(validateEvent('flow', { ts: 1, dst_port: 1, src_identity: 'shop/web-7d9f' }, context).ok).toBe(
      true,
    )
    expect(
      validateEvent('flow', { ts: 1, dst_port: 1, src_identity: 'spiffe://acme.io/ns/../x' }, context).ok,
    ).toBe(false)
    expect(validateEvent('flow', { ts: 1, dst_port: 1, src_identity: 'spiffe://acme.io' }, context).ok).toBe(
      true,
    )
  })

  it('refuses an event time beyond what the store holds', () => {
    const result = validateEvent(
      'auth',
      { ts: '2400-01-01T00:00:00Z', principal: 'a', outcome: 'success' },
      context,
    )
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('2299') })
  })

  it('refuses a string holding a lone surrogate escape, naming the field', () => {
    const record = JSON.parse('{"ts":1,"dst_port":1,"service":"\\ud800"}')
    expect(validateEvent('flow', record, context)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^service: not well-formed Unicode/),
    })
    const pair = JSON.parse('{"ts":1,"dst_port":1,"service":"\\ud83d\\ude00"}')
    expect(validateEvent('flow', pair, context).ok).toBe(true)
  })

  it('refuses a lone surrogate escape when given the JSON text, and trusts a text without one', () => {
    const text = '{"ts":1,"dst_port":1,"service":"a\\udc00","src_pod":"ns/\u{1F600}"}'
    expect(validateEvent('flow', JSON.parse(text), { ...context, jsonText: text })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^service: not well-formed Unicode/),
    })
    const plain = '{"ts":1,"dst_port":1,"service":"checkout"}'
    expect(validateEvent('flow', JSON.parse(plain), { ...context, jsonText: plain }).ok).toBe(true)
  })

  it('accepts IPv4 and IPv6 addresses and refuses anything else, naming the field', () => {
    for (const ip of ['10.244.1.20', 'fe80::d5f4:e943:fe72:fc14', '::1'])
      expect(validateEvent('flow', { ts: 1, dst_port: 1, src_ip: ip }, context).ok).toBe(true)
    for (const ip of ['10.244.1.256', '10.244.1', 'fe80:::1', 'host.local', '10.0.0.1 '])
      expect(validateEvent('flow', { ts: 1, dst_port: 1, dst_ip: ip }, context)).toEqual({
        ok: false,
        reason: expect.stringContaining('dst_ip'),
      })
  })

  it('refuses a record that is not an object', () => {
    expect(validateEvent('mtls', [1, 2], context)).toEqual({
      ok: false,
      reason: 'record is not a JSON object',
    })
  })
})

describe('validateEvent > JSON text', () => {
  const withText = (kind: 'flow' | 'mtls', text: string) =>
    validateEvent(kind, JSON.parse(text), { ...context, jsonText: text })

  it("gives the client's own text, with what validation filled written in front, parsing to the event", () => {
    const text = ' {"ts":1,"dst_port":443,"duration_ms":1.50,"src_pod":"ns/\\u00e9"}'
    const result = withText('flow', text)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    // The client's bytes as they came (`1.50` and the escape stay as written), after the filled fields.
    expect(result.json?.endsWith('"dst_port":443,"duration_ms":1.50,"src_pod":"ns/\\u00e9"}')).toBe(true)
    expect(JSON.parse(result.json!)).toEqual(result.event)
    expect(result.event).toMatchObject({
      tenant: 'acme',
      observed_at: context.observedAt,
      verdict: 'allowed',
    })
  })

  it('writes no second tenant or id when the record names its own', () => {
    const result = withText('mtls', '{"tenant":"acme","event_id":"m-1","ts":5,"outcome":"success"}')
    const json = result.ok ? result.json : undefined
    expect(json?.match(/"tenant"/g)).toHaveLength(1)
    expect(json?.match(/"event_id"/g)).toHaveLength(1)
    expect(JSON.parse(json!)).toEqual(result.ok && result.event)
  })

  it('gives no text when validation changed a field written in it (a time as ISO-8601), or without one', () => {
    const iso = withText('flow', '{"ts":"2026-11-23T10:00:00Z","dst_port":443}')
    expect(iso.ok && iso.json).toBeUndefined()
    const plain = validateEvent('flow', { ts: 1, dst_port: 443 }, context)
    expect(plain.ok && plain.json).toBeUndefined()
  })
})

describe('fieldTableMarkdown', () => {
  it('documents every kind with its descriptions', () => {
    const table = fieldTableMarkdown()
    for (const kind of ['flow', 'auth', 'mtls', 'decision', 'policy_change'])
      expect(table).toContain(`| ${kind} |`)
    expect(table).toContain('Destination port')
    expect(table).toMatch(/\| all \| `ts` \|/)
  })
})

describe('validateEvent > retention', () => {
  const day = 86_400_000
  const now = Date.parse('2026-12-07T12:00:00Z')
  const at = { tenant: 'acme', observedAt: now, retention: defaultRetentionDays }
  const flowAt = (ts: number | string) => validateEvent('flow', { ts, dst_port: 1 }, at)

  it('keeps a flow just inside its 30 days and refuses one just outside, naming the setting', () => {
    expect(flowAt(now - 30 * day + 1000).ok).toBe(true)
    expect(flowAt(now - 30 * day - 1000)).toEqual({
      ok: false,
      reason: expect.stringContaining('PALISADE_RETENTION_DAYS_FLOW'),
    })
  })

  it('refuses ts 0 and times before 1970', () => {
    expect(flowAt(0).ok).toBe(false)
    expect(flowAt('1969-12-31T23:59:59Z').ok).toBe(false)
    expect(validateEvent('flow', { ts: '1969-12-31T23:59:59Z', dst_port: 1 }, context).ok).toBe(false)
  })

  it('accepts the far future up to the last instant stored (2106, 2150, 2299-12-31) and nothing after', () => {
    expect(flowAt('2106-06-01T00:00:00Z').ok).toBe(true)
    expect(flowAt('2150-01-01T00:00:00Z').ok).toBe(true)
    expect(flowAt('2299-12-31T23:59:59.999Z').ok).toBe(true)
    expect(flowAt('2300-01-01T00:00:00Z').ok).toBe(false)
  })

  it('reads each kind its own retention (sign-ins 90 days)', () => {
    const auth = (ts: number) => validateEvent('auth', { ts, principal: 'a', outcome: 'success' }, at).ok
    expect(auth(now - 89 * day)).toBe(true)
    expect(auth(now - 91 * day)).toBe(false)
    const raised = { ...at, retention: { ...defaultRetentionDays, flow: 120 } }
    expect(validateEvent('flow', { ts: now - 100 * day, dst_port: 1 }, raised).ok).toBe(true)
  })
})
