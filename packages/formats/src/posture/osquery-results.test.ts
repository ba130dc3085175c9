import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { osqueryResultsParser } from './osquery-results.ts'

// The first two lines of elastic/integrations
// packages/osquery/data_stream/result/_dev/test/pipeline/test-osquery.log
// @ b59c1561000ee1086c633dbe04a7c24030c511a8 (Elastic License 2.0), unchanged: a differential
// `removed` row of the it-compliance pack's mounts query, and a row of osquery's own monitoring pack.
const elasticSample = [
  '{"action":"removed","calendarTime":"Thu Dec 28 14:40:08 2017 UTC","columns":{"blocks":"122061322","blocks_available":"75966945","blocks_free":"121274885","blocks_size":"4096","device":"/dev/disk1s4","device_alias":"/dev/disk1s4","flags":"345018372","inodes":"9223372036854775807","inodes_free":"9223372036854775804","path":"/private/var/vm","type":"apfs"},"counter":"1","decorations":{"host_uuid":"4AB2906D-5516-5794-AF54-86D1D7F533F3","username":"tsg"},"epoch":"0","hostIdentifier":"192-168-0-4.rdsnet.ro","name":"pack_it-compliance_mounts","unixTime":"1514472008"}',
  '{"action":"added","calendarTime":"Mon Jan  8 14:51:55 2018 UTC","columns":{"average_memory":"0","avg_system_time":"0","avg_user_time":"0","executions":"40","interval":"60","last_executed":"1515423113","name":"pack_ossec-rootkit_adore_rootkit","output_size":"0","wall_time":"0"},"counter":"0","decorations":{"host_uuid":"72E1287B-D1BC-4FC6-B9D8-64F4352776A9","username":"ubuntu"},"epoch":"0","hostIdentifier":"ubuntu-xenial","name":"pack_osquery-monitoring_schedule","unixTime":"1515423115"}',
].join('\n')

const context = { tenant: 'acme', observedAt: 1 }

describe('osquery-results', () => {
  it('maps a removed compliance row to a failed check of its host, and ignores the agent monitoring pack', () => {
    const result = osqueryResultsParser.parse(elasticSample)
    expect(result.rejected).toEqual([])
    expect(result.ignored).toBe(1)
    expect(result.records).toHaveLength(1)
    const checked = validateEvent('posture', result.records[0]!.event, context)
    if (!checked.ok) throw new Error(checked.reason)
    expect(checked.event).toMatchObject({
      ts: 1_514_472_008_000,
      device: '192-168-0-4.rdsnet.ro',
      principal: 'tsg',
      check: 'mounts',
      outcome: 'fail',
      agent: 'osquery',
      service: 'devices',
    })
  })

  it('treats the queries option as the list of checks: an added row passes, other queries are ignored', () => {
    const result = osqueryResultsParser.parse(elasticSample, { queries: 'schedule' })
    expect(result.ignored).toBe(1)
    expect(result.records.map((r) => [r.event.check, r.event.outcome, r.event.device])).toEqual([
      ['schedule', 'pass', 'ubuntu-xenial'],
    ])
  })

  it('reads snapshots and batches: rows pass, no rows fail', () => {
    const base = { name: 'disk_encryption', hostIdentifier: 'laptop-7', unixTime: 1_700_000_000 }
    const lines = [
      { ...base, action: 'snapshot', snapshot: [{ encrypted: '1' }] },
      { ...base, action: 'snapshot', snapshot: [] },
      { ...base, diffResults: { added: [], removed: [{ encrypted: '1' }] } },
    ]
    const result = osqueryResultsParser.parse(lines.map((line) => JSON.stringify(line)).join('\n'))
    expect(result.records.map((r) => r.event.outcome)).toEqual(['pass', 'fail', 'fail'])
  })

  it('rejects a line without a device, time or verdict, alone', () => {
    const lines = [
      '{"name":"firewall","action":"added","unixTime":"1700000000"}',
      '{"name":"firewall","hostIdentifier":"h","action":"added"}',
      '{"name":"firewall","hostIdentifier":"h","unixTime":1700000000}',
      'not json',
      '{"name":"firewall","hostIdentifier":"h","action":"added","unixTime":1700000000}',
    ]
    const result = osqueryResultsParser.parse(lines.join('\n'))
    expect(result.records.map((r) => r.line)).toEqual([5])
    expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
      [1, expect.stringContaining('device checked is unknown')],
      [2, expect.stringContaining('unixTime')],
      [3, expect.stringContaining('not an osquery result')],
      [4, expect.stringContaining('not valid JSON')],
    ])
  })
})
