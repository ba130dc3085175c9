import { describe, expect, it } from 'vitest'
import { createSessionStore } from './session-store.ts'

describe('session store', () => {
  it('returns the principal of a live session and forgets it on delete', () => {
    const sessions = createSessionStore()
    const id = sessions.create({ tenant: 'acme' })
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(sessions.get(id)).toEqual({ tenant: 'acme' })
    sessions.delete(id)
    expect(sessions.get(id)).toBeUndefined()
  })

  it('expires a session after its lifetime, however often it is used', () => {
    let now = 0
    const sessions = createSessionStore({ ttlMs: 1000, now: () => now })
    const id = sessions.create({ tenant: 'acme' })
    now = 999
    expect(sessions.get(id)).toEqual({ tenant: 'acme' })
    now = 1000
    expect(sessions.get(id)).toBeUndefined()
    expect(sessions.size).toBe(0)
  })

  it('drops the oldest session when full, after sweeping the expired ones', () => {
    let now = 0
    const sessions = createSessionStore({ ttlMs: 100, maxSessions: 2, now: () => now })
    const expired = sessions.create({ tenant: 'a' })
    now = 50
    const older = sessions.create({ tenant: 'b' })
    now = 120
    const newer = sessions.create({ tenant: 'c' })
    expect(sessions.get(expired)).toBeUndefined()
    expect(sessions.get(older)).toEqual({ tenant: 'b' })
    const newest = sessions.create({ tenant: 'd' })
    expect(sessions.size).toBe(2)
    expect(sessions.get(older)).toBeUndefined()
    expect(sessions.get(newer)).toEqual({ tenant: 'c' })
    expect(sessions.get(newest)).toEqual({ tenant: 'd' })
  })

  it('gives every session a different id', () => {
    const sessions = createSessionStore()
    const ids = new Set(Array.from({ length: 100 }, () => sessions.create({ tenant: 'acme' })))
    expect(ids.size).toBe(100)
  })
})
