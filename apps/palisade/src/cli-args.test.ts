import { describe, expect, it } from 'vitest'
import { parseReplayArgs } from './cli-args.ts'

describe('parseReplayArgs', () => {
  it('reads the format, files and options', () => {
    expect(
      parseReplayArgs([
        'aws-vpc-flow',
        'a.log',
        'b.log.gz',
        '--fields',
        'version srcaddr',
        '--option',
        'x=1=2',
        '--allow-rejects',
      ]),
    ).toEqual({
      format: 'aws-vpc-flow',
      files: ['a.log', 'b.log.gz'],
      allowRejects: true,
      url: undefined,
      token: undefined,
      formatOptions: { fields: 'version srcaddr', x: '1=2' },
    })
  })

  it('refuses a call without files and a malformed option', () => {
    expect(() => parseReplayArgs(['flow'])).toThrow('usage')
    expect(() => parseReplayArgs(['flow', 'f', '--option', 'novalue'])).toThrow('key=value')
  })
})

describe('parseReplayArgs > unknown options', () => {
  it('names an unknown option in a few words', () => {
    expect(() => parseReplayArgs(['flow', 'f', '--bogus'])).toThrow(/^unknown option --bogus$/)
  })
})
