import { describe, expect, it } from 'vitest'
import { RequestInvalidError } from './errors.ts'
import { parseBurnRateParams, parseFindingsParams, parsePanelParams } from './request-params.ts'

const now = Date.UTC(2026, 10, 23, 12, 0)

describe('request params', () => {
  it('defaults findings to the last 24 hours and 200 rows', () => {
    expect(parseFindingsParams({}, now)).toEqual({
      from: now - 24 * 3600_000,
      to: now,
      severity: undefined,
      rule: undefined,
      limit: 200,
    })
  })

  it('reads epoch ms, ISO-8601 with a zone, now and now-<duration>', () => {
    expect(parsePanelParams({ from: 'now-1h', to: 'now' }, now)).toMatchObject({
      from: now - 3600_000,
      to: now,
    })
    expect(parsePanelParams({ from: '2026-11-23T11:00:00Z', to: String(now) }, now)).toMatchObject({
      from: now - 3600_000,
    })
    expect(parsePanelParams({ from: '2026-11-23T12:00:00+01:00', to: String(now) }, now)).toMatchObject({
      from: now - 3600_000,
    })
  })

  it('chooses a whole-minute step of about 180 points when none is given', () => {
    expect(parsePanelParams({ from: 'now-6h' }, now).stepMs).toBe(120_000)
    expect(parsePanelParams({ from: 'now-15m' }, now).stepMs).toBe(60_000)
    expect(parsePanelParams({ from: 'now-7d' }, now).stepMs).toBe(56 * 60_000)
  })

  it('takes a step in minutes and refuses one that is not whole minutes or too fine', () => {
    expect(parsePanelParams({ from: 'now-1h', step: '5m' }, now).stepMs).toBe(300_000)
    expect(() => parsePanelParams({ step: '90s' }, now)).toThrow(/whole number of 60s/)
    expect(() => parsePanelParams({ from: 'now-31d', step: '1m' }, now)).toThrow(/2000 points/)
  })

  it('defaults the burn-rate window to 1 hour', () => {
    expect(parseBurnRateParams({}, now)).toMatchObject({
      windowMs: 3600_000,
      to: now,
      from: now - 6 * 3600_000,
    })
    expect(parseBurnRateParams({ window: '6h' }, now).windowMs).toBe(6 * 3600_000)
  })

  it.each([
    [{ from: 'soon' }, 'from'],
    [{ to: '2026-11-23T12:00:00' }, 'to'],
    [{ from: String(now), to: String(now) }, 'before to'],
    [{ from: 'now-40d' }, 'at most 31 days'],
    [{ limit: '-1' }, 'limit'],
    [{ limit: ['1', '2'] }, 'once'],
    [{ tenant: 'other' }, 'unknown parameter'],
  ])('refuses %o', (query, reason) => {
    expect(() => parsePanelParams(query, now)).toThrow(RequestInvalidError)
    expect(() => parsePanelParams(query, now)).toThrow(reason)
  })

  it.each([
    ['findings', parseFindingsParams],
    ['panels', parsePanelParams],
    ['burn-rate', parseBurnRateParams],
  ] as const)('refuses %s times outside the stored range (no unsafe integer reaches a query)', (_, parse) => {
    for (const query of [
      { to: 'now-999999999d' },
      { from: 'now-999999999d' },
      { to: '999999999999999' },
      { from: '2300-01-01T00:00:00Z', to: '2300-01-02T00:00:00Z' },
    ]) {
      expect(() => parse(query, now)).toThrow(RequestInvalidError)
      expect(() => parse(query, now)).toThrow(/outside the stored time range/)
    }
  })

  it('refuses a findings severity or rule outside their alphabets', () => {
    expect(() => parseFindingsParams({ order: 'random' }, now)).toThrow(/order/)
    expect(parseFindingsParams({ order: 'severity' }, now)).toMatchObject({ order: 'severity' })
    expect(() => parseFindingsParams({ severity: 'critical' }, now)).toThrow(/severity/)
    expect(() => parseFindingsParams({ rule: "x' OR 1=1" }, now)).toThrow(/rule/)
    expect(parseFindingsParams({ severity: 'page', rule: 'lateral.new_edge' }, now)).toMatchObject({
      severity: 'page',
      rule: 'lateral.new_edge',
    })
  })

  it("reads the service graph's filters, and only for the service graph", () => {
    expect(
      parsePanelParams({ namespace: 'shop', denied: 'true', mtls: 'plaintext', min_rate: '0.5' }, now, {
        edgeFilters: true,
      }).edgeFilter,
    ).toEqual({ namespace: 'shop', deniedOnly: true, mtls: 'plaintext', minRatePerS: 0.5 })
    // Empty values are no filter: the page clears a filter that way.
    expect(parsePanelParams({ namespace: '', mtls: '' }, now, { edgeFilters: true }).edgeFilter).toEqual({})
    expect(() => parsePanelParams({ namespace: 'shop' }, now)).toThrow(/unknown parameter/)
    expect(() => parsePanelParams({ mtls: 'strict' }, now, { edgeFilters: true })).toThrow(/mtls: one of/)
    expect(() => parsePanelParams({ namespace: "x' OR 1" }, now, { edgeFilters: true })).toThrow(/namespace/)
    expect(() => parsePanelParams({ min_rate: '-1' }, now, { edgeFilters: true })).toThrow(/min_rate/)
    expect(() => parsePanelParams({ denied: 'yes' }, now, { edgeFilters: true })).toThrow(/denied/)
  })
})
