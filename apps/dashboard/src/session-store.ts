import { randomBytes } from 'node:crypto'
import type { Principal } from '@palisade/http-server'

/** Options for {@link createSessionStore}. */
export interface SessionStoreOptions {
  /** Lifetime of a session from login, ms (default 12 h); it is not extended by use. */
  ttlMs?: number
  /** Most live sessions kept (default 10,000); past it, the oldest session is dropped. */
  maxSessions?: number
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number
}

/** Browser sessions held in memory: session id → principal. A restart logs everyone out. */
export interface SessionStore {
  /** Start a session and return its id: 32 random bytes, base64url. */
  create(principal: Principal): string
  /** The principal of a live session, or undefined when unknown or expired. */
  get(id: string): Principal | undefined
  delete(id: string): void
  readonly size: number
  /** Session lifetime, ms (for the cookie's Max-Age). */
  readonly ttlMs: number
}

/** An in-memory session store, bounded in size and lifetime. */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const ttlMs = options.ttlMs ?? 12 * 3600_000
  const maxSessions = options.maxSessions ?? 10_000
  const now = options.now ?? Date.now
  // Map keeps insertion order, so the first key is always the oldest session.
  const sessions = new Map<string, { principal: Principal; expiresAt: number }>()

  function sweep(): void {
    const at = now()
    for (const [id, session] of sessions) if (session.expiresAt <= at) sessions.delete(id)
  }

  return {
    create(principal) {
      if (sessions.size >= maxSessions) sweep()
      while (sessions.size >= maxSessions) {
        const oldest = sessions.keys().next()
        if (oldest.done) break
        sessions.delete(oldest.value)
      }
      const id = randomBytes(32).toString('base64url')
      sessions.set(id, { principal: { ...principal }, expiresAt: now() + ttlMs })
      return id
    },
    get(id) {
      const session = sessions.get(id)
      if (!session) return undefined
      if (session.expiresAt <= now()) {
        sessions.delete(id)
        return undefined
      }
      return session.principal
    },
    delete(id) {
      sessions.delete(id)
    },
    get size() {
      return sessions.size
    },
    ttlMs,
  }
}
