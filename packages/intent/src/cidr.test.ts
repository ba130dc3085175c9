import { describe, expect, it } from 'vitest'
import { AddressSet, parseCidr } from './cidr.ts'

describe('CIDR ranges', () => {
  it('parses IPv4 and IPv6 ranges and bare addresses, and rejects what is not one', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({
      address: '10.0.0.0',
      prefix: 8,
      family: 'ipv4',
      text: '10.0.0.0/8',
    })
    expect(parseCidr('2001:db8::/32')?.family).toBe('ipv6')
    expect(parseCidr('192.0.2.1')?.prefix).toBe(32)
    for (const bad of [
      '10.0.0.0/33',
      '2001:db8::/129',
      '300.1.2.3/24',
      '10.0.0.0/',
      '10.0.0.0/a',
      'example.com',
    ])
      expect(parseCidr(bad), bad).toBeUndefined()
  })

  it('checks addresses against ranges with holes, IPv4-mapped IPv6 as IPv4', () => {
    const set = new AddressSet().add(parseCidr('10.0.0.0/8')!).add(parseCidr('2001:db8::/32')!)
    set.except(parseCidr('10.1.0.0/16')!)
    expect(set.has('10.2.3.4')).toBe(true)
    expect(set.has('10.1.3.4')).toBe(false)
    expect(set.has('::ffff:10.2.3.4')).toBe(true)
    expect(set.has('2001:db8:1::1')).toBe(true)
    expect(set.has('2001:db9::1')).toBe(false)
    expect(set.has('not an address')).toBe(false)
    expect(new AddressSet().has('10.0.0.1')).toBe(false)
  })
})
