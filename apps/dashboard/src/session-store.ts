import { createHash, randomBytes } from 'node:crypto'
import { isRole, type Principal } from '@palisade/http-server'

/** A session as a {@link SessionPersistence} keeps it: the SHA-256 of its id, never the id (the cookie). */
export interface PersistedSession {
  idSha256: string
  tenant: string
  role: string
  subject: string
  /** Epoch ms. */
  expiresAt: number
  ended: boolean
}

/** Where sessions outlive the process (the store's `dashboard_sessions`). */
export interface SessionPersistence {
  save(session: PersistedSession, updatedAt: number): Promise<void>
}

/** Options for {@link createSessionStore}. */
export interface SessionStoreOptions {
  /** Lifetime of a session from login, ms (default 12 h); it is not extended by use. */
  ttlMs?: number
  /** Most live sessions kept (default 10,000); past it, the oldest session is dropped. */
  maxSessions?: number
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number
  /** Keep sessions across restarts: every start and end is written here (default: memory only). */
  persistence?: SessionPersistence
  /** The live sessions persisted before this start (`SessionTable.live(now)`). */
  restored?: PersistedSession[]
  /** Told when a session could not be persisted (it still works until the next restart). */
  onPersistError?: (error: unknown) => void
}

/** Browser sessions: session id → principal, in memory, and persisted when a persistence is given. */
export interface SessionStore {
  /** Start a session and return its id: 32 random bytes, base64url. */
  create(principal: Principal): string
  /** The principal of a live session, or undefined when unknown or expired. */
  get(id: string): Principal | undefined
  delete(id: string): void
  readonly size: number
  /** Session lifetime, ms (for the cookie's Max-Age). */
  readonly ttlMs: number
  /** Resolves once every start and end so far is persisted (or failed); await it before closing the store. */
  settled(): Promise<void>
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('hex')
}

/** A session store, bounded in size and lifetime; keyed by the id's hash so a persisted copy holds no cookie. */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const ttlMs = options.ttlMs ?? 12 * 3600_000
  const maxSessions = options.maxSessions ?? 10_000
  const now = options.now ?? Date.now
  // Map keeps insertion order, so the first key is always the oldest session.
  const sessions = new Map<string, { principal: Principal; expiresAt: number }>()
  for (const saved of options.restored ?? []) {
    if (!isRole(saved.role) || saved.ended || saved.expiresAt <= now()) continue
    sessions.set(saved.idSha256, {
      principal: { tenant: saved.tenant, role: saved.role, subject: saved.subject },
      expiresAt: saved.expiresAt,
    })
  }

  const pending = new Set<Promise<void>>()
  const persist = (idSha256: string, principal: Principal, expiresAt: number, ended: boolean) => {
    if (!options.persistence) return
    const write = options.persistence
      .save({ idSha256, ...principal, expiresAt, ended }, now())
      .catch((error) => options.onPersistError?.(error))
      .finally(() => pending.delete(write))
    pending.add(write)
  }

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
      const session = { principal: { ...principal }, expiresAt: now() + ttlMs }
      sessions.set(hashOf(id), session)
      persist(hashOf(id), session.principal, session.expiresAt, false)
      return id
    },
    get(id) {
      const key = hashOf(id)
      const session = sessions.get(key)
      if (!session) return undefined
      if (session.expiresAt <= now()) {
        sessions.delete(key)
        return undefined
      }
      return session.principal
    },
    delete(id) {
      const key = hashOf(id)
      const session = sessions.get(key)
      sessions.delete(key)
      if (session) persist(key, session.principal, session.expiresAt, true)
    },
    get size() {
      return sessions.size
    },
    ttlMs,
    async settled() {
      await Promise.all([...pending])
    },
  }
}
