import { describe, expect, it } from 'vitest'
import { createSessionStore, type PersistedSession } from './session-store.ts'

describe('session store', () => {
  it('returns the principal of a live session and forgets it on delete', () => {
    const sessions = createSessionStore()
    const id = sessions.create({ tenant: 'acme', role: 'viewer', subject: 'token' })
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(sessions.get(id)).toEqual({ tenant: 'acme', role: 'viewer', subject: 'token' })
    sessions.delete(id)
    expect(sessions.get(id)).toBeUndefined()
  })

  it('expires a session after its lifetime, however often it is used', () => {
    let now = 0
    const sessions = createSessionStore({ ttlMs: 1000, now: () => now })
    const id = sessions.create({ tenant: 'acme', role: 'viewer', subject: 'token' })
    now = 999
    expect(sessions.get(id)).toEqual({ tenant: 'acme', role: 'viewer', subject: 'token' })
    now = 1000
    expect(sessions.get(id)).toBeUndefined()
    expect(sessions.size).toBe(0)
  })

  it('drops the oldest session when full, after sweeping the expired ones', () => {
    let now = 0
    const sessions = createSessionStore({ ttlMs: 100, maxSessions: 2, now: () => now })
    const expired = sessions.create({ tenant: 'a', role: 'viewer', subject: 'token' })
    now = 50
    const older = sessions.create({ tenant: 'b', role: 'viewer', subject: 'token' })
    now = 120
    const newer = sessions.create({ tenant: 'c', role: 'viewer', subject: 'token' })
    expect(sessions.get(expired)).toBeUndefined()
    expect(sessions.get(older)).toEqual({ tenant: 'b', role: 'viewer', subject: 'token' })
    const newest = sessions.create({ tenant: 'd', role: 'viewer', subject: 'token' })
    expect(sessions.size).toBe(2)
    expect(sessions.get(older)).toBeUndefined()
    expect(sessions.get(newer)).toEqual({ tenant: 'c', role: 'viewer', subject: 'token' })
    expect(sessions.get(newest)).toEqual({ tenant: 'd', role: 'viewer', subject: 'token' })
  })

  it('gives every session a different id', () => {
    const sessions = createSessionStore()
    const ids = new Set(
      Array.from({ length: 100 }, () =>
        sessions.create({ tenant: 'acme', role: 'viewer', subject: 'token' }),
      ),
    )
    expect(ids.size).toBe(100)
  })
})

describe('createSessionStore > persisted', () => {
  it('persists only the id’s hash, and a store restored from it knows the session until it ends', async () => {
    const saved: PersistedSession[] = []
    const first = createSessionStore({ persistence: { save: async (session) => void saved.push(session) } })
    const id = first.create({ tenant: 'acme', role: 'analyst', subject: 'oidc:ann' })
    await first.settled()
    expect(saved).toHaveLength(1)
    expect(JSON.stringify(saved)).not.toContain(id)

    const second = createSessionStore({ restored: saved })
    expect(second.get(id)).toEqual({ tenant: 'acme', role: 'analyst', subject: 'oidc:ann' })
    const ended: PersistedSession[] = []
    const third = createSessionStore({
      restored: saved,
      persistence: { save: async (s) => void ended.push(s) },
    })
    third.delete(id)
    await third.settled()
    expect(ended).toEqual([expect.objectContaining({ idSha256: saved[0]!.idSha256, ended: true })])
    expect(createSessionStore({ restored: ended }).get(id)).toBeUndefined()
  })
})
