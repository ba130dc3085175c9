import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { keycloakEventParser } from './keycloak-event.ts'

function expectAllValid(result: ParseResult): void {
  for (const record of result.records) {
    const validation = validateEvent('auth', structuredClone(record.event), { tenant: 't', observedAt: 0 })
    expect(validation.ok ? 'ok' : `line ${record.line}: ${validation.reason}`).toBe('ok')
  }
}

function byLine(result: ParseResult, line: number): Record<string, unknown> {
  const record = result.records.find((candidate) => candidate.line === line)
  if (record === undefined) throw new Error(`no record from line ${line}`)
  return record.event
}

const fixture = 'keycloak-event/elastic-test-log.log'
const dateReason =
  'time of day only: give the day in options.date (YYYY-MM-DD) and the zone in options.timezone (UTC by default)'

// Source: elastic/integrations packages/keycloak/data_stream/log/_dev/test/pipeline/test-log.log
// @ 12058986c980 (shared fixtures README): 32 WildFly lines, 15 of them LOGIN_ERROR events, times
// of day without date or zone.
describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'keycloak-event > shared fixture',
  () => {
    const result = keycloakEventParser.parse(readSharedFixture(fixture), { date: '2021-10-05' })

    it('maps the 15 events and rejects the 17 server lines', () => {
      expect(result.records.map((record) => record.line)).toEqual([
        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
      ])
      expect(result.rejected.map((record) => record.line)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
      ])
      expect(new Set(result.rejected.map((record) => record.reason))).toEqual(
        new Set(['not a Keycloak event line']),
      )
    })

    it('keeps a rejected server line as it was, trailing spaces included', () => {
      expect(result.rejected.find((record) => record.line === 12)?.raw).toMatch(/'default-server' {7}$/)
    })

    it("maps a wrong password field by field, as the user's failure", () => {
      expect(byLine(result, 26)).toEqual({
        event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        ts: Date.UTC(2021, 9, 5, 21, 20, 42, 120),
        source: 'keycloak',
        service: 'test',
        principal: 'admin',
        principal_type: 'user',
        outcome: 'failure',
        failure_kind: 'user',
        reason: 'invalid_user_credentials',
        method: 'oidc',
        client_ip: '172.18.0.1',
      })
    })

    it('counts an invalid redirect URI as a system failure of an unknown principal (userId=null)', () => {
      expect(byLine(result, 18)).toMatchObject({
        principal: 'unknown',
        outcome: 'failure',
        failure_kind: 'system',
        reason: 'invalid_redirect_uri',
        service: 'test',
      })
    })

    it("counts an unknown user as the user's failure, named when the line has a username", () => {
      expect(byLine(result, 27)).toMatchObject({
        principal: 'unknown',
        failure_kind: 'user',
        reason: 'user_not_found',
      })
      expect(byLine(result, 28)).toMatchObject({
        principal: 'asdf',
        failure_kind: 'user',
        service: 'security-admin-console',
      })
    })

    it('produces only events that the auth schema accepts', () => {
      expectAllValid(result)
    })

    it('gives each event its own id (lines 31 and 32 differ only by milliseconds) and the same on replay', () => {
      const ids = result.records.map((record) => record.event.event_id)
      expect(new Set(ids).size).toBe(15)
      const again = keycloakEventParser.parse(readSharedFixture(fixture), { date: '2021-10-05' })
      expect(again.records.map((record) => record.event.event_id)).toEqual(ids)
    })

    it('gives the same lines on another day other ids', () => {
      const nextDay = keycloakEventParser.parse(readSharedFixture(fixture), { date: '2021-10-06' })
      expect(nextDay.records[0]?.event.event_id).not.toBe(result.records[0]?.event.event_id)
    })

    it('reads the wall clock in the timezone option', () => {
      const berlin = keycloakEventParser.parse(readSharedFixture(fixture), {
        date: '2021-10-05',
        timezone: 'Europe/Berlin',
      })
      // Berlin is on summer time (UTC+2) in October.
      expect(berlin.records[0]?.event.ts).toBe(Date.UTC(2021, 9, 5, 19, 1, 45, 403))
    })

    it('rejects every event line without the date option, naming it, and still the server lines', () => {
      const undated = keycloakEventParser.parse(readSharedFixture(fixture))
      expect(undated.records).toEqual([])
      expect(
        undated.rejected.filter((record) => record.reason === dateReason).map((record) => record.line),
      ).toEqual([18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32])
    })

    it('drops the server lines with skip_other_events=true', () => {
      const skipped = keycloakEventParser.parse(readSharedFixture(fixture), {
        date: '2021-10-05',
        skip_other_events: 'true',
      })
      expect([skipped.records.length, skipped.rejected.length]).toEqual([15, 0])
    })
  },
)

describe('keycloak-event > JSON events', () => {
  const login = {
    time: 1714637700000,
    type: 'LOGIN',
    realmId: 'demo',
    clientId: 'account-console',
    userId: 'c1b4a3f2-0000-4000-8000-000000000001',
    sessionId: 's-1',
    ipAddress: '2001:db8::7',
    details: { auth_method: 'openid-connect', auth_type: 'code', username: 'alice' },
  }

  it('maps a successful login without any option', () => {
    const result = keycloakEventParser.parse(JSON.stringify(login))
    expect(result.records[0]?.event).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: 1714637700000,
      source: 'keycloak',
      service: 'account-console',
      principal: 'alice',
      principal_type: 'user',
      outcome: 'success',
      method: 'oidc',
      client_ip: '2001:db8::7',
    })
    expectAllValid(result)
  })

  it("reads an admin API array, using the event's own id where it has one", () => {
    const body = JSON.stringify([{ ...login, id: 'e-42' }, login])
    const result = keycloakEventParser.parse(body)
    expect(result.records.map((record) => [record.line, record.event.event_id])).toEqual([
      [1, 'e-42'],
      [2, expect.stringMatching(/^[0-9a-f]{32}$/)],
    ])
  })

  it('maps a client credentials login to a service principal', () => {
    const clientLogin = {
      time: 1714637700000,
      type: 'CLIENT_LOGIN_ERROR',
      clientId: 'billing-worker',
      userId: null,
      ipAddress: '10.1.2.3',
      error: 'invalid_client_credentials',
      details: { grant_type: 'client_credentials' },
    }
    const result = keycloakEventParser.parse(JSON.stringify(clientLogin))
    expect(result.records[0]?.event).toMatchObject({
      principal: 'billing-worker',
      principal_type: 'service',
      failure_kind: 'user',
      method: 'client_credentials',
    })
  })

  it('rejects other event types by name, and drops them with skip_other_events=true', () => {
    const refresh = JSON.stringify({ ...login, type: 'UPDATE_PASSWORD' })
    expect(keycloakEventParser.parse(refresh).rejected[0]?.reason).toBe(
      'not an authentication event: UPDATE_PASSWORD',
    )
    expect(keycloakEventParser.parse(refresh, { skip_other_events: 'true' })).toEqual({
      records: [],
      rejected: [],
    })
  })

  it('rejects an event whose time is not epoch milliseconds', () => {
    const result = keycloakEventParser.parse(JSON.stringify({ ...login, time: '2024-05-02' }))
    expect(result.rejected[0]?.reason).toBe('time is not epoch milliseconds')
  })

  it('rejects a line that is not JSON and keeps the others', () => {
    const result = keycloakEventParser.parse(`{"type": "LOGIN",\n${JSON.stringify(login)}`)
    expect(result.records.map((record) => record.line)).toEqual([2])
    expect(result.rejected[0]).toMatchObject({ line: 1, reason: expect.stringContaining('not valid JSON') })
  })
})

describe('keycloak-event > token events', () => {
  // In the layout of Keycloak's jboss-logging listener (keycloak/keycloak
  // services/src/main/java/org/keycloak/events/log/JBossLoggingEventListenerProvider.java: type,
  // realmId, clientId, userId, ipAddress, error, then the details), with the details Keycloak's
  // token endpoint sets on REFRESH_TOKEN (token_id, refresh_token_id, updated_refresh_token_id,
  // refresh_token_type) and on LOGOUT / REVOKE_GRANT.
  const lines = [
    '2024-03-01 10:00:00,100 INFO  [org.keycloak.events] (executor-thread-2) type="REFRESH_TOKEN", realmId="5b1c", clientId="mobile-app", userId="u-1", sessionId="s-1", ipAddress="10.0.0.1", token_id="at-2", grant_type="refresh_token", refresh_token_type="Refresh", updated_refresh_token_id="rt-2", refresh_token_id="rt-1", scope="openid profile", username="alice"',
    '2024-03-01 10:00:01,000 WARN  [org.keycloak.events] (executor-thread-3) type="REFRESH_TOKEN_ERROR", realmId="5b1c", clientId="mobile-app", userId="null", ipAddress="10.0.0.2", error="invalid_token", grant_type="refresh_token", reason="Token is not active"',
    '2024-03-01 10:00:02,000 INFO  [org.keycloak.events] (executor-thread-4) type="REVOKE_GRANT", realmId="5b1c", clientId="account-console", userId="u-1", ipAddress="10.0.0.1", revoked_client="mobile-app"',
    '2024-03-01 10:00:03,000 INFO  [org.keycloak.events] (executor-thread-5) type="LOGOUT", realmId="5b1c", clientId="mobile-app", userId="u-1", sessionId="s-1", ipAddress="10.0.0.1", redirect_uri="https://app.example.com/"',
  ].join('\n')

  it('maps refreshes, their errors, revocations and logouts to token events of the client', () => {
    const result = keycloakEventParser.parse(lines)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.kind)).toEqual(['token', 'token', 'token', 'token'])
    expect(result.records.map((record) => record.event)).toMatchObject([
      {
        action: 'refresh',
        outcome: 'success',
        service: 'mobile-app',
        principal: 'alice',
        credential_id: 'rt-1',
      },
      { action: 'refresh', outcome: 'failure', reason: 'invalid_token', service: 'mobile-app' },
      { action: 'revoke', outcome: 'success', service: 'account-console', principal: 'u-1' },
      { action: 'logout', outcome: 'success', credential_id: 's-1' },
    ])
    for (const record of result.records) {
      const checked = validateEvent('token', record.event, { tenant: 't', observedAt: 0 })
      expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true)
    }
  })

  it('still maps a login among token events to an auth event', () => {
    const login =
      '2024-03-01 10:00:00,123 INFO  [org.keycloak.events] (executor-thread-1) type="LOGIN", realmId="5b1c", clientId="account-console", userId="u-1", ipAddress="10.0.0.1", username="alice"'
    const result = keycloakEventParser.parse(`${login}\n${lines}`)
    expect(result.records.map((record) => record.kind)).toEqual(['auth', 'token', 'token', 'token', 'token'])
  })
})

describe('keycloak-event > log lines', () => {
  it('reads the quoted fields and the date of a Keycloak on Quarkus line without the date option', () => {
    const line =
      '2024-03-01 10:00:00,123 INFO  [org.keycloak.events] (executor-thread-1) type="LOGIN", realmId="5b1c", ' +
      'realmName="demo", clientId="account-console", userId="u-1", sessionId="s-1", ipAddress="10.0.0.1", ' +
      'auth_method="openid-connect", redirect_uri="https://app.example.com/cb?a=1, b=2", username="alice"'
    const result = keycloakEventParser.parse(line)
    expect(result.records[0]?.event).toMatchObject({
      ts: Date.UTC(2024, 2, 1, 10, 0, 0, 123),
      principal: 'alice',
      outcome: 'success',
      service: 'account-console',
      client_ip: '10.0.0.1',
    })
    expectAllValid(result)
  })

  it("prefers a line's own date and zone to the options", () => {
    const line =
      '2024-03-01T10:00:00.5+01:00 WARN [org.keycloak.events] (default task-1) type=LOGIN_ERROR, clientId=app, ' +
      'userId=null, ipAddress=10.0.0.1, error=user_disabled, username=bob'
    const result = keycloakEventParser.parse(line, { date: '2020-01-01', timezone: 'America/New_York' })
    expect(result.records[0]?.event).toMatchObject({
      ts: Date.UTC(2024, 2, 1, 9, 0, 0, 500),
      principal: 'bob',
      failure_kind: 'user',
    })
  })

  it('moves to the next day when the time of day steps back across midnight', () => {
    const body = [
      '23:59:58,000 WARN  [org.keycloak.events] (default task-1) type=LOGIN_ERROR, clientId=app, error=expired_code',
      '00:00:02,000 WARN  [org.keycloak.events] (default task-1) type=LOGIN_ERROR, clientId=app, error=expired_code',
    ].join('\n')
    const result = keycloakEventParser.parse(body, { date: '2024-12-31' })
    expect(result.records.map((record) => record.event.ts)).toEqual([
      Date.UTC(2024, 11, 31, 23, 59, 58),
      Date.UTC(2025, 0, 1, 0, 0, 2),
    ])
  })

  it('rejects an admin event line as another event type', () => {
    const line =
      '10:00:00,000 INFO  [org.keycloak.events] (default task-1) operationType=CREATE, realmId=demo, ' +
      'clientId=admin-cli, userId=u-1, ipAddress=10.0.0.1, resourceType=USER, resourcePath=users/u-2'
    expect(keycloakEventParser.parse(line, { date: '2024-01-01' }).rejected[0]?.reason).toBe(
      'not an authentication event: admin event CREATE',
    )
  })

  it('always rejects an org.keycloak.events line it cannot read, even when skipping other lines', () => {
    const line = 'WARN [org.keycloak.events] type=LOGIN_ERROR, error=user_not_found'
    const result = keycloakEventParser.parse(line, { skip_other_events: 'true' })
    expect(result.rejected[0]?.reason).toMatch(/^unreadable Keycloak event line/)
  })

  it('rejects the lines that need a date option that is no calendar day, or an unknown timezone', () => {
    const line =
      '10:00:00,000 WARN  [org.keycloak.events] (default task-1) type=LOGIN_ERROR, error=user_not_found'
    expect(keycloakEventParser.parse(line, { date: '2024-02-30' }).rejected[0]?.reason).toBe(
      'options.date "2024-02-30": expected a calendar day YYYY-MM-DD',
    )
    expect(
      keycloakEventParser.parse(line, { date: '2024-02-01', timezone: 'Mars/Olympus' }).rejected[0]?.reason,
    ).toBe('options.timezone "Mars/Olympus": expected UTC, an offset such as +02:00, or an IANA name')
  })

  it('rejects every readable record when skip_other_events is neither true nor false', () => {
    const line =
      '10:00:00,000 WARN  [org.keycloak.events] (default task-1) type=LOGIN_ERROR, error=user_not_found'
    expect(
      keycloakEventParser.parse(line, { date: '2024-02-01', skip_other_events: 'yes' }).rejected[0]?.reason,
    ).toBe('options.skip_other_events "yes": expected true or false')
  })

  it('declares its options', () => {
    expect(keycloakEventParser.options).toEqual(['date', 'timezone', 'skip_other_events'])
  })
})
