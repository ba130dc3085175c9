import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { cloudtrailLoginParser } from './cloudtrail-login.ts'

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

/** A minimal STS record, as CloudTrail writes it. */
function assumeRole(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/deployer/ci',
      accountId: '123456789012',
    },
    eventTime: '2024-05-02T08:15:00Z',
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.20',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { roleArn: 'arn:aws:iam::123456789012:role/admin', roleSessionName: 'ci' },
    eventID: '0c7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d',
    ...overrides,
  }
}

function parseOne(record: unknown, options?: Record<string, string>): ParseResult {
  return cloudtrailLoginParser.parse(JSON.stringify(record), options)
}

// Sources (shared fixtures README): elastic/integrations
// packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-console-login-json.log @ c81e9fe78b8c, and
// awsdocs/aws-cloudtrail-user-guide doc_source/cloudtrail-event-reference-aws-console-sign-in-events.md
// @ 56f54d99dfee (JSON lines and one delivered {"Records":[...]} object).
describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'cloudtrail-login > shared fixtures',
  () => {
    const elastic = cloudtrailLoginParser.parse(
      readSharedFixture('cloudtrail-login/elastic-test-console-login-json.log'),
    )
    const docs = cloudtrailLoginParser.parse(
      readSharedFixture('cloudtrail-login/awsdocs-console-signin-events.ndjson'),
    )
    const delivered = cloudtrailLoginParser.parse(
      readSharedFixture('cloudtrail-login/awsdocs-console-signin-records.json'),
    )

    it('maps the 3 ConsoleLogin records of the Elastic sample', () => {
      expect([elastic.records.length, elastic.rejected.length]).toEqual([3, 0])
    })

    it('maps a successful console sign-in field by field', () => {
      expect(byLine(elastic, 1)).toEqual({
        event_id: '3fcfb182-98f8-4744-bd45-10aEXAMPLE',
        ts: Date.parse('2014-07-16T15:49:27Z'),
        source: 'cloudtrail',
        service: 'signin.amazonaws.com',
        principal: 'arn:aws:iam::111122223333:user/JohnDoe',
        principal_type: 'user',
        outcome: 'success',
        method: 'password',
        client_ip: '89.160.20.156',
        user_agent: 'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0',
      })
    })

    it('counts "Failed authentication" as the user\'s failure, for an IAM user and a role session', () => {
      expect(byLine(elastic, 2)).toMatchObject({
        outcome: 'failure',
        failure_kind: 'user',
        reason: 'Failed authentication',
        principal: 'arn:aws:iam::111122223333:user/JaneDoe',
      })
      expect(byLine(elastic, 3)).toMatchObject({
        outcome: 'failure',
        failure_kind: 'user',
        method: 'federation',
        principal: 'arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName',
      })
    })

    it('gives records 2 and 3, which share an eventID, one id: CloudTrail makes eventID unique per event', () => {
      expect(byLine(elastic, 2).event_id).toBe('11ea990b-4678-4bcd-8fbe-625EXAMPLE')
      expect(byLine(elastic, 3).event_id).toBe('11ea990b-4678-4bcd-8fbe-625EXAMPLE')
    })

    it('maps the 5 sign-ins of the AWS documentation and rejects CheckMfa, EnableMFADevice and PasswordUpdated', () => {
      expect(docs.records.map((record) => record.line)).toEqual([1, 2, 5, 6, 7])
      expect(docs.rejected.map((record) => [record.line, record.reason])).toEqual([
        [3, 'not an authentication event: CheckMfa'],
        [4, 'not an authentication event: CheckMfa'],
        [8, 'not an authentication event: EnableMFADevice'],
        [9, 'not an authentication event: PasswordUpdated'],
      ])
    })

    it("names a failed IAM user sign-in (no ARN in the record) like the same user's successful one", () => {
      expect(byLine(docs, 2)).toMatchObject({ outcome: 'failure', failure_kind: 'user' })
      expect(byLine(docs, 2).principal).toBe(byLine(docs, 1).principal)
      expect(byLine(docs, 1).principal).toBe('arn:aws:iam::111122223333:user/anaya')
    })

    it('reads MFAUsed, whatever its case, as the method', () => {
      expect(byLine(docs, 1).method).toBe('password_mfa')
      expect(byLine(docs, 5).method).toBe('password')
      expect(byLine(docs, 6).method).toBe('password_mfa')
    })

    it('gives the two root sign-ins sharing an eventID (lines 5, 6) one id', () => {
      expect(byLine(docs, 5).event_id).toBe(byLine(docs, 6).event_id)
    })

    it('reads the delivered {"Records":[...]} object, pretty-printed, its record as element 1', () => {
      expect(delivered.rejected).toEqual([])
      expect(delivered.records.map((record) => [record.line, record.event.event_id])).toEqual([
        [1, '3fcfb182-98f8-4744-bd45-10a395ab61cb'],
      ])
    })

    it('produces only events that the auth schema accepts', () => {
      for (const result of [elastic, docs, delivered]) expectAllValid(result)
    })

    it('gives the same ids when the files are replayed, so a replay adds nothing', () => {
      const again = cloudtrailLoginParser.parse(
        readSharedFixture('cloudtrail-login/awsdocs-console-signin-events.ndjson'),
      )
      expect(again.records.map((record) => record.event.event_id)).toEqual(
        docs.records.map((record) => record.event.event_id),
      )
    })
  },
)

describe('cloudtrail-login > role assumption', () => {
  it('maps a successful AssumeRole by a role session', () => {
    const result = parseOne(assumeRole())
    expect(result.records[0]?.event).toEqual({
      event_id: '0c7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d',
      ts: Date.parse('2024-05-02T08:15:00Z'),
      source: 'cloudtrail',
      service: 'sts.amazonaws.com',
      principal: 'arn:aws:sts::123456789012:assumed-role/deployer/ci',
      principal_type: 'user',
      outcome: 'success',
      method: 'assume_role',
      client_ip: '198.51.100.20',
      user_agent: 'aws-cli/2.15.0',
    })
    expectAllValid(result)
  })

  it('counts AccessDenied, the trust policy saying no, as an expected denial (user side)', () => {
    const result = parseOne(assumeRole({ errorCode: 'AccessDenied', errorMessage: 'User is not authorized' }))
    expect(result.records[0]?.event).toMatchObject({
      outcome: 'failure',
      failure_kind: 'user',
      reason: 'User is not authorized',
    })
  })

  it('maps an AWS service assuming a role to a service principal without a client address', () => {
    const record = assumeRole({
      userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
      sourceIPAddress: 'ec2.amazonaws.com',
    })
    const event = parseOne(record).records[0]?.event
    expect(event).toMatchObject({ principal: 'ec2.amazonaws.com', principal_type: 'service' })
    expect(event).not.toHaveProperty('client_ip')
  })

  it('tells a bad web identity token (user side) from an unreachable identity provider (system)', () => {
    const webIdentity = {
      eventName: 'AssumeRoleWithWebIdentity',
      userIdentity: { type: 'WebIdentityUser', userName: 'repo:acme/app:ref:refs/heads/main' },
    }
    const badToken = parseOne(assumeRole({ ...webIdentity, errorCode: 'InvalidIdentityToken' })).records[0]
      ?.event
    const idpDown = parseOne(assumeRole({ ...webIdentity, errorCode: 'IDPCommunicationError' })).records[0]
      ?.event
    expect(badToken).toMatchObject({ failure_kind: 'user', principal_type: 'service', method: 'oidc' })
    expect(idpDown).toMatchObject({ failure_kind: 'system', reason: 'IDPCommunicationError' })
  })

  it('leaves an unknown error code unclassified', () => {
    const event = parseOne(assumeRole({ errorCode: 'SomethingNew' })).records[0]?.event
    expect(event).toMatchObject({ outcome: 'failure', reason: 'SomethingNew' })
    expect(event).not.toHaveProperty('failure_kind')
  })
})

describe('cloudtrail-login > console sign-in', () => {
  const consoleLogin = {
    eventTime: '2024-05-02T08:15:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'cn-north-1',
    sourceIPAddress: '198.51.100.20',
    eventID: '1d7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d',
  }

  it('keeps the sign-in of a user name AWS hides (unknown user) under "unknown"', () => {
    const record = {
      ...consoleLogin,
      userIdentity: {
        type: 'IAMUser',
        accountId: '123456789012',
        userName: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      },
      errorMessage: 'No username found in supplied account',
      responseElements: { ConsoleLogin: 'Failure' },
    }
    expect(parseOne(record).records[0]?.event).toMatchObject({ principal: 'unknown', failure_kind: 'user' })
  })

  it("builds the ARN of a failed IAM user sign-in in the region's partition", () => {
    const record = {
      ...consoleLogin,
      userIdentity: { type: 'IAMUser', accountId: '123456789012', userName: 'li' },
      responseElements: { ConsoleLogin: 'Failure' },
      errorMessage: 'Failed authentication',
    }
    expect(parseOne(record).records[0]?.event.principal).toBe('arn:aws-cn:iam::123456789012:user/li')
  })

  it('rejects a ConsoleLogin that carries no result', () => {
    const record = { ...consoleLogin, userIdentity: { type: 'Root', accountId: '123456789012' } }
    expect(parseOne(record).rejected[0]?.reason).toBe(
      'ConsoleLogin without a result in responseElements.ConsoleLogin',
    )
  })
})

describe('cloudtrail-login > bodies', () => {
  it('reads delivered objects one per line, their records carrying the line', () => {
    const body = [
      JSON.stringify({ Records: [assumeRole(), assumeRole({ eventID: 'b' })] }),
      JSON.stringify({ Records: [assumeRole({ eventID: 'c' })] }),
    ].join('\n')
    const result = cloudtrailLoginParser.parse(body)
    expect(result.records.map((record) => [record.line, record.event.event_id])).toEqual([
      [1, '0c7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d'],
      [1, 'b'],
      [2, 'c'],
    ])
  })

  it('reads one record pretty-printed over several lines as the line it starts on', () => {
    const result = cloudtrailLoginParser.parse(`\n${JSON.stringify(assumeRole(), null, 2)}\n`)
    expect(result.records.map((record) => [record.line, record.event.event_id])).toEqual([
      [2, '0c7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d'],
    ])
  })

  it('reads a CloudTrail event routed through EventBridge', () => {
    const routed = {
      version: '0',
      id: 'eb-1',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.sts',
      detail: assumeRole(),
    }
    expect(parseOne(routed).records[0]?.event.event_id).toBe('0c7a2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d')
  })

  it('hashes a record without eventID, the same on every parse', () => {
    const { eventID: _id, ...record } = assumeRole()
    const first = parseOne(record).records[0]?.event.event_id
    expect(first).toMatch(/^[0-9a-f]{32}$/)
    expect(parseOne(record).records[0]?.event.event_id).toBe(first)
  })

  it('rejects a bad JSON line, a record without eventName and one without a zoned eventTime', () => {
    const body = [
      '{"eventName": ',
      '{"eventTime": "2024-05-02T08:15:00Z"}',
      JSON.stringify(assumeRole({ eventTime: 'yesterday' })),
    ].join('\n')
    expect(cloudtrailLoginParser.parse(body).rejected.map((record) => [record.line, record.reason])).toEqual([
      [1, expect.stringContaining('not valid JSON')],
      [2, 'not a CloudTrail record: no eventName'],
      [3, 'eventTime is not an ISO-8601 time with a zone'],
    ])
  })

  it('rejects a Records element that is not an object', () => {
    expect(cloudtrailLoginParser.parse('{"Records": [42]}').rejected[0]?.reason).toBe('not a JSON object')
  })

  it('drops other API calls with skip_other_events=true', () => {
    expect(parseOne(assumeRole({ eventName: 'GetCallerIdentity' }), { skip_other_events: 'true' })).toEqual({
      records: [],
      rejected: [],
    })
  })
})
