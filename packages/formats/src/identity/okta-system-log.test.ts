import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { oktaSystemLogParser } from './okta-system-log.ts'

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

/** A minimal System Log event, as GET /api/v1/logs returns it. */
function oktaEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: '8a7e5a4c-1f2b-11ee-9c1a-0242ac120002',
    published: '2024-05-02T08:15:00.000Z',
    eventType: 'user.session.start',
    actor: { id: '00u1', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice' },
    client: {
      ipAddress: '203.0.113.7',
      userAgent: { rawUserAgent: 'Mozilla/5.0' },
      geographicalContext: { country: 'France', city: 'Lyon' },
    },
    outcome: { result: 'SUCCESS', reason: null },
    ...overrides,
  }
}

function parseOne(event: unknown, options?: Record<string, string>): ParseResult {
  return oktaSystemLogParser.parse(JSON.stringify(event), options)
}

// Source: elastic/integrations packages/okta/data_stream/system/_dev/test/pipeline/test-okta-system-events.log
// @ 1a9ddf3965499 (shared fixtures README): 20 events, the first 12 being 3 events repeated 4 times.
describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'okta-system-log > shared fixture',
  () => {
    const result = oktaSystemLogParser.parse(
      readSharedFixture('okta-system-log/elastic-test-okta-system-events.log'),
    )

    it('maps the 10 authentication attempts of the 20 events and rejects the 10 others by event type', () => {
      expect(result.records.map((record) => record.line)).toEqual([2, 5, 8, 11, 13, 14, 15, 16, 17, 18])
      expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
        [1, 'not an authentication event: user.session.end'],
        [3, 'not an authentication event: policy.evaluate_sign_on'],
        [4, 'not an authentication event: user.session.end'],
        [6, 'not an authentication event: policy.evaluate_sign_on'],
        [7, 'not an authentication event: user.session.end'],
        [9, 'not an authentication event: policy.evaluate_sign_on'],
        [10, 'not an authentication event: user.session.end'],
        [12, 'not an authentication event: policy.evaluate_sign_on'],
        [19, 'not an authentication event: group.user_membership.add'],
        [20, 'not an authentication event: app.user_management'],
      ])
    })

    it('maps a sign-in to Okta field by field', () => {
      expect(byLine(result, 2)).toEqual({
        event_id: '3aeede38-4f67-11ea-abd3-1f5d113f2546',
        ts: Date.parse('2020-02-14T20:18:57.718Z'),
        source: 'okta',
        service: 'okta',
        principal: 'xxxxxx@elastic.co',
        principal_type: 'user',
        outcome: 'success',
        client_ip: '175.16.199.1',
        country: 'United States',
        city: 'Dublin',
        latitude: 37.7201,
        longitude: -121.919,
        user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:72.0) Gecko/20100101 Firefox/72.0',
        session_id: '102bZDNFfWaQSyEZQuDgWt-uQ',
      })
    })

    it("keeps each step's Okta session (authenticationContext.externalSessionId), so later SSOs join their sign-in", () => {
      expect(byLine(result, 14)).toMatchObject({ session_id: '102nZHzd6OHSfGG51vsoc22gw' })
      expect(byLine(result, 15)).toMatchObject({ session_id: '102qmxOh1EdTHqn1_86CB9fzA' })
    })

    it("leaves Okta's null AS number and proxy flag out", () => {
      expect(byLine(result, 2)).not.toHaveProperty('asn')
      expect(byLine(result, 2)).not.toHaveProperty('is_proxy')
    })

    it('reads the factor of an MFA step as its method', () => {
      expect(byLine(result, 16)).toMatchObject({
        method: 'mfa_push',
        principal: 'user@domain.com',
        city: 'Lucerne',
      })
      expect(byLine(result, 17)).toMatchObject({ method: 'mfa_webauthn', principal: 'name@domain.com' })
    })

    it('takes the client address from request.ipChain where client.ipAddress is the string "null"', () => {
      expect(byLine(result, 11).client_ip).toBe('175.16.199.1')
    })

    it('keeps placeholder geography and user agents as Okta sent them', () => {
      expect(byLine(result, 15)).toMatchObject({ country: 'Country', city: 'City', user_agent: 'unknown' })
    })

    it('produces only events that the auth schema accepts', () => {
      expectAllValid(result)
    })

    it("gives the re-delivered, edited copies of one event (lines 2, 5, 8, 11) one id: Okta's uuid", () => {
      const ids = [2, 5, 8, 11].map((line) => byLine(result, line).event_id)
      expect(new Set(ids)).toEqual(new Set(['3aeede38-4f67-11ea-abd3-1f5d113f2546']))
    })

    it('trusts uuid as Okta defines it, so lines 13 and 14 (test data reusing one uuid) are one event', () => {
      expect(byLine(result, 13).event_id).toBe('faf7398a-4f77-11ea-97fb-5925e98228bd')
      expect(byLine(result, 14).event_id).toBe('faf7398a-4f77-11ea-97fb-5925e98228bd')
    })

    it('hashes the content of events whose uuid is the placeholder "uuid" (lines 16-18)', () => {
      const ids = [16, 17, 18].map((line) => byLine(result, line).event_id as string)
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/)
      expect(new Set(ids).size).toBe(3)
    })

    it('gives the same ids when the file is replayed, so a replay adds nothing', () => {
      const again = oktaSystemLogParser.parse(
        readSharedFixture('okta-system-log/elastic-test-okta-system-events.log'),
      )
      expect(again.records.map((record) => record.event.event_id)).toEqual(
        result.records.map((record) => record.event.event_id),
      )
    })

    it('drops the other event types with skip_other_events=true', () => {
      const skipped = oktaSystemLogParser.parse(
        readSharedFixture('okta-system-log/elastic-test-okta-system-events.log'),
        { skip_other_events: 'true' },
      )
      expect([skipped.records.length, skipped.rejected.length]).toEqual([10, 0])
    })
  },
)

describe('okta-system-log > bodies', () => {
  it('reads a JSON array, as the System Log API returns it, element n as line n', () => {
    const body = JSON.stringify([oktaEvent(), oktaEvent({ uuid: '9b7e5a4c-1f2b-11ee-9c1a-0242ac120002' })])
    const result = oktaSystemLogParser.parse(body)
    expect(result.records.map((record) => [record.line, record.event.event_id])).toEqual([
      [1, '8a7e5a4c-1f2b-11ee-9c1a-0242ac120002'],
      [2, '9b7e5a4c-1f2b-11ee-9c1a-0242ac120002'],
    ])
  })

  it('reads the events of an Event Hook delivery', () => {
    const hook = {
      eventType: 'com.okta.event_hook',
      cloudEventsVersion: '0.1',
      data: { events: [oktaEvent(), oktaEvent({ eventType: 'user.session.end' })] },
    }
    const result = oktaSystemLogParser.parse(JSON.stringify(hook, null, 2))
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected).toEqual([
      { line: 2, raw: expect.any(String), reason: 'not an authentication event: user.session.end' },
    ])
  })

  it('rejects a line that is not JSON and keeps the lines around it', () => {
    const body = `${JSON.stringify(oktaEvent())}\n{"uuid": oops\n${JSON.stringify(oktaEvent())}\n`
    const result = oktaSystemLogParser.parse(body)
    expect(result.records.map((record) => record.line)).toEqual([1, 3])
    expect(result.rejected).toEqual([
      { line: 2, raw: '{"uuid": oops', reason: expect.stringContaining('not valid JSON') },
    ])
  })
})

describe('okta-system-log > outcomes', () => {
  it("counts a wrong password as the user's failure, with Okta's reason", () => {
    const result = parseOne(oktaEvent({ outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } }))
    expect(result.records[0]?.event).toMatchObject({
      outcome: 'failure',
      failure_kind: 'user',
      reason: 'INVALID_CREDENTIALS',
    })
  })

  it("counts an unknown user and a rejected push as the user's failures", () => {
    for (const reason of ['UNKNOWN_USER', 'User rejected Okta push verify', 'LOCKED_OUT']) {
      const result = parseOne(
        oktaEvent({
          eventType: 'user.authentication.auth_via_mfa',
          outcome: { result: 'FAILURE', reason },
        }),
      )
      expect(result.records[0]?.event.failure_kind).toBe('user')
    }
  })

  it('counts a DENY by the sign-on policy as an expected denial (user side)', () => {
    const result = parseOne(
      oktaEvent({ outcome: { result: 'DENY', reason: 'Sign-on policy evaluation resulted in DENY' } }),
    )
    expect(result.records[0]?.event).toMatchObject({ outcome: 'failure', failure_kind: 'user' })
  })

  it('counts VERIFICATION_ERROR as a system failure', () => {
    const result = parseOne(oktaEvent({ outcome: { result: 'FAILURE', reason: 'VERIFICATION_ERROR' } }))
    expect(result.records[0]?.event).toMatchObject({ outcome: 'failure', failure_kind: 'system' })
  })

  it('leaves a failure with an unknown reason unclassified, keeping the reason', () => {
    const result = parseOne(oktaEvent({ outcome: { result: 'FAILURE', reason: 'GENERAL_NONSUCCESS' } }))
    expect(result.records[0]?.event.failure_kind).toBeUndefined()
    expect(result.records[0]?.event.reason).toBe('GENERAL_NONSUCCESS')
    expectAllValid(result)
  })

  it('rejects a CHALLENGE, which finishes no attempt, unless other events are skipped', () => {
    const challenge = oktaEvent({
      eventType: 'user.authentication.auth_via_mfa',
      outcome: { result: 'CHALLENGE' },
    })
    expect(parseOne(challenge).rejected[0]?.reason).toBe(
      'not a finished authentication: user.authentication.auth_via_mfa with outcome CHALLENGE',
    )
    expect(parseOne(challenge, { skip_other_events: 'true' })).toEqual({ records: [], rejected: [] })
  })

  it('rejects an event without outcome.result even when other events are skipped', () => {
    const result = parseOne(oktaEvent({ outcome: null }), { skip_other_events: 'true' })
    expect(result.rejected[0]?.reason).toBe('no outcome.result')
  })
})

describe('okta-system-log > event types', () => {
  it('names an SSO by the app it signs into', () => {
    const sso = oktaEvent({
      eventType: 'user.authentication.sso',
      target: [{ type: 'AppInstance', alternateId: 'Salesforce', displayName: 'Salesforce.com' }],
    })
    expect(parseOne(sso).records[0]?.event.service).toBe('Salesforce.com')
  })

  it('rejects logouts and unknown event types by name', () => {
    for (const eventType of [
      'user.authentication.slo',
      'user.authentication.universal_logout',
      'made.up.type',
    ])
      expect(parseOne(oktaEvent({ eventType })).rejected[0]?.reason).toBe(
        `not an authentication event: ${eventType}`,
      )
  })

  it('rejects a record without eventType as not a System Log event', () => {
    expect(parseOne({ uuid: 'x' }).rejected[0]?.reason).toBe('not an Okta System Log event: no eventType')
  })

  it('rejects an event whose published time has no zone', () => {
    expect(parseOne(oktaEvent({ published: '2024-05-02T08:15:00' })).rejected[0]?.reason).toBe(
      'published is not an ISO-8601 time with a zone',
    )
  })
})

describe('okta-system-log > missing and odd values', () => {
  it('leaves out the address, place and agent of an all-null client', () => {
    const event = oktaEvent({
      client: { device: null, geographicalContext: null, ipAddress: null, userAgent: null, zone: null },
    })
    const mapped = parseOne(event).records[0]?.event
    expect(mapped).not.toHaveProperty('client_ip')
    expect(mapped).not.toHaveProperty('country')
    expect(mapped).not.toHaveProperty('user_agent')
  })

  it('leaves out a "null" IP address when no ipChain gives one', () => {
    const event = oktaEvent({ client: { ipAddress: 'null' }, request: { ipChain: [] } })
    expect(parseOne(event).records[0]?.event).not.toHaveProperty('client_ip')
  })

  it('keeps an attempt without actor under the principal "unknown"', () => {
    const { actor: _actor, ...event } = oktaEvent()
    const result = parseOne(event)
    expect(result.records[0]?.event).toMatchObject({ principal: 'unknown', principal_type: 'user' })
    expectAllValid(result)
  })

  it('marks an actor that is not a User as a service', () => {
    const event = oktaEvent({ actor: { type: 'PublicClientApp', alternateId: 'ci-bot' } })
    expect(parseOne(event).records[0]?.event).toMatchObject({
      principal: 'ci-bot',
      principal_type: 'service',
    })
  })

  it('cuts a user agent longer than the schema allows instead of refusing the attempt', () => {
    const result = parseOne(oktaEvent({ client: { userAgent: { rawUserAgent: 'x'.repeat(5000) } } }))
    expect(result.records[0]?.event.user_agent).toBe('x'.repeat(1024))
    expectAllValid(result)
  })

  it('rejects every event, naming the option, when skip_other_events is neither true nor false', () => {
    const body = [oktaEvent(), oktaEvent({ eventType: 'user.session.end' })].map((event) =>
      JSON.stringify(event),
    )
    const result = oktaSystemLogParser.parse(body.join('\n'), { skip_other_events: 'yes' })
    expect(result.records).toEqual([])
    expect(result.rejected.map((record) => record.reason)).toEqual([
      'options.skip_other_events "yes": expected true or false',
      'options.skip_other_events "yes": expected true or false',
    ])
  })
})

describe('okta-system-log > where a sign-in came from', () => {
  it('reads the geolocation, AS number and proxy flag Okta attaches to the client', () => {
    const result = parseOne(
      oktaEvent({
        client: {
          ipAddress: '185.220.101.7',
          geographicalContext: {
            country: 'Brazil',
            city: 'São Paulo',
            geolocation: { lat: -23.55, lon: -46.63 },
          },
        },
        securityContext: { asNumber: 64500, asOrg: 'Example', isProxy: true, isp: 'Example', domain: null },
      }),
    )
    expect(result.records[0]?.event).toMatchObject({
      latitude: -23.55,
      longitude: -46.63,
      asn: 64500,
      is_proxy: true,
    })
  })

  it("reads the session from externalSessionId, else rootSessionId, and leaves Okta's `unknown` out", () => {
    const session = (authenticationContext: unknown) =>
      parseOne(oktaEvent({ eventType: 'user.authentication.sso', authenticationContext })).records[0]?.event
    expect(session({ externalSessionId: '102Vp1R5fYxQ0uCqk3bOh_PQA' })).toMatchObject({
      session_id: '102Vp1R5fYxQ0uCqk3bOh_PQA',
    })
    expect(session({ externalSessionId: 'unknown', rootSessionId: 'idxRoot9' })).toMatchObject({
      session_id: 'idxRoot9',
    })
    expect(session({ externalSessionId: 'unknown' })).not.toHaveProperty('session_id')
  })

  it('drops coordinates out of range rather than inventing a place', () => {
    const result = parseOne(
      oktaEvent({
        client: { ipAddress: '203.0.113.7', geographicalContext: { geolocation: { lat: 123, lon: 0 } } },
      }),
    )
    expect(result.records[0]?.event).not.toHaveProperty('latitude')
  })
})

describe('okta-system-log > OAuth token events', () => {
  // LogEvent objects as Okta's System Log API documents them for its org and custom authorization
  // servers (developer.okta.com "Event types": app.oauth2.as.token.grant.*, app.oauth2.as.token.revoke):
  // the client application as actor, the token as target with its subject, the grant type in debugData.
  const app = {
    id: '0oa1mobile',
    type: 'PublicClientApp',
    alternateId: '0oa1mobile',
    displayName: 'Mobile App',
  }
  const tokenEvent = (eventType: string, extra: Record<string, unknown> = {}) => ({
    uuid: '5d6a1c3e-8f7b-11ee-b9d1-0242ac120002',
    published: '2026-03-02T08:15:00.000Z',
    eventType,
    outcome: { result: 'SUCCESS' },
    actor: app,
    client: { ipAddress: '198.51.100.7' },
    debugContext: { debugData: { grantType: 'refresh_token', requestedScopes: 'openid offline_access' } },
    target: [
      {
        id: 'AT.k3y',
        type: 'access_token',
        displayName: 'Access Token',
        detailEntry: { subject: '00u1ann' },
      },
      { id: 'aus1default', type: 'AuthorizationServer', displayName: 'default' },
    ],
    ...extra,
  })

  it('maps an access token granted for a refresh_token grant to a refresh of the client application', () => {
    const result = oktaSystemLogParser.parse(
      JSON.stringify(tokenEvent('app.oauth2.as.token.grant.access_token')),
    )
    expect(result.rejected).toEqual([])
    expect(result.records[0]?.kind).toBe('token')
    expect(result.records[0]?.event).toMatchObject({
      action: 'refresh',
      outcome: 'success',
      service: 'Mobile App',
      client_id: '0oa1mobile',
      principal: '00u1ann',
      credential_id: 'AT.k3y',
      grant_type: 'refresh_token',
      client_ip: '198.51.100.7',
    })
    const checked = validateEvent('token', result.records[0]!.event, { tenant: 't', observedAt: 0 })
    expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true)
  })

  it('maps a failed grant to a failed refresh, and an authorization code grant to a grant', () => {
    const failed = tokenEvent('app.oauth2.token.grant', {
      outcome: { result: 'FAILURE', reason: 'invalid_grant' },
    })
    const code = tokenEvent('app.oauth2.token.grant.access_token', {
      uuid: '5d6a1c3e-8f7b-11ee-b9d1-0242ac120003',
      debugContext: { debugData: { grantType: 'authorization_code' } },
    })
    const result = oktaSystemLogParser.parse(`${JSON.stringify(failed)}\n${JSON.stringify(code)}`)
    expect(result.records.map((r) => [r.event.action, r.event.outcome, r.event.reason])).toEqual([
      ['refresh', 'failure', 'invalid_grant'],
      ['grant', 'success', undefined],
    ])
  })

  it('does not count the refresh and id token issued with the same request again', () => {
    const body = ['refresh_token', 'id_token']
      .map((kind) => JSON.stringify(tokenEvent(`app.oauth2.as.token.grant.${kind}`)))
      .join('\n')
    expect(oktaSystemLogParser.parse(body, { skip_other_events: 'true' })).toEqual({
      records: [],
      rejected: [],
    })
    expect(oktaSystemLogParser.parse(body).rejected[0]?.reason).toContain('counted with the access token')
  })

  it('maps token revocations, implicit ones included, to revokes of the token', () => {
    const body = ['app.oauth2.as.token.revoke', 'app.oauth2.token.revoke.implicit.user']
      .map((type) => JSON.stringify(tokenEvent(type, { debugContext: {} })))
      .join('\n')
    const result = oktaSystemLogParser.parse(body)
    expect(result.records.map((r) => [r.kind, r.event.action, r.event.credential_id])).toEqual([
      ['token', 'revoke', 'AT.k3y'],
      ['token', 'revoke', 'AT.k3y'],
    ])
  })
})
