import { describe, expect, it } from 'vitest'
import { parseGroupGrants, principalFromGroups } from './oidc-sign-in.ts'

describe('principalFromGroups', () => {
  const { grants } = parseGroupGrants('staff=acme:viewer, sre=acme:responder, bots=acme:ingest')

  it('gives the strongest role any of the groups grants, in that grant’s tenant', () => {
    expect(principalFromGroups('ann', ['staff', 'sre'], grants)).toEqual({
      tenant: 'acme',
      role: 'responder',
      subject: 'oidc:ann',
    })
    expect(principalFromGroups('cy', ['staff'], grants)?.role).toBe('viewer')
  })

  it('refuses a person in no granted group, and never signs a person in as ingest', () => {
    expect(principalFromGroups('bob', ['marketing'], grants)).toBeUndefined()
    expect(principalFromGroups('bot', ['bots'], grants)).toBeUndefined()
  })
})

describe('parseGroupGrants', () => {
  it('names every entry that is not group=tenant:role with a known role', () => {
    const { grants, problems } = parseGroupGrants('a=t:admin,b=t:root,c,=t:viewer')
    expect(grants).toEqual([{ group: 'a', tenant: 't', role: 'admin' }])
    expect(problems).toHaveLength(3)
  })
})
