import { describe, expect, it } from 'vitest'
import { CliUsageError } from './cli-args.ts'
import { parseKeysArgs } from './keys-command.ts'

describe('parseKeysArgs', () => {
  it('reads each action with its options', () => {
    expect(parseKeysArgs(['list'])).toMatchObject({ action: 'list' })
    expect(
      parseKeysArgs(['create', '--role', 'ingest', '--name', 'otel eu', '--tenant', 'pay']),
    ).toMatchObject({
      action: 'create',
      role: 'ingest',
      name: 'otel eu',
      tenant: 'pay',
    })
    expect(parseKeysArgs(['rotate', 'abc'])).toMatchObject({ action: 'rotate', keyId: 'abc' })
    expect(parseKeysArgs(['revoke', 'abc', '--url', 'http://x'])).toMatchObject({
      action: 'revoke',
      url: 'http://x',
    })
  })

  it('refuses what is incomplete or unknown with the usage', () => {
    for (const argv of [
      [],
      ['create', '--role', 'viewer'],
      ['rotate'],
      ['list', 'x'],
      ['drop'],
      ['list', '--bogus'],
    ])
      expect(() => parseKeysArgs(argv), argv.join(' ')).toThrow(CliUsageError)
  })
})
