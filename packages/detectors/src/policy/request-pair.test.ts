import { describe, expect, it } from 'vitest'
import { resourceShape } from './request-pair.ts'

describe('resourceShape', () => {
  it('keeps paths without ids as they are', () => {
    expect(resourceShape('/v1/charges')).toBe('/v1/charges')
    expect(resourceShape('/api/checkout')).toBe('/api/checkout')
    expect(resourceShape(undefined)).toBe('-')
  })

  it('turns numbers, UUIDs, hashes and long tokens with digits into * and drops the query', () => {
    expect(resourceShape('/v1/charges/ch_3Nx8Yq2e?expand=customer')).toBe('/v1/charges/*')
    expect(resourceShape('/orders/123/items/9f1c2a4e-58a3-4c1e-9b9f-0c1d2e3f4a5b')).toBe('/orders/*/items/*')
    expect(resourceShape('/v2/users/42/profile')).toBe('/v2/users/*/profile')
  })
})
