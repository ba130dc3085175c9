import type { IncidentAction, Notification, NotificationPlanner } from '@palisade/alerting'
import type { IncidentActionLog } from '@palisade/clickhouse'
import type { AlertRouterLog } from './notification-delivery.ts'

/** Options for {@link createIncidentActionFeed}. */
export interface IncidentActionFeedOptions {
  log: IncidentActionLog
  routerLog: AlertRouterLog
  /** Read the log at most this often, ms (default 1,000). */
  pollMs?: number
  /** How far back start-up replays actions into the planner's state, ms (default 7 days). */
  replayMs?: number
  /** Called after a silence action arrived, so that the silences are read again (default none). */
  onSilence?: () => Promise<void>
}

/**
 * The router's act stage: actions people took (in the dashboard, through the API, on any process)
 * are read from the shared action log and applied to the planner once each. The log, not a call
 * into this process, is the way in: an action taken while the router restarts waits in the log, and
 * every router sharing the ledger sees it.
 */
export interface IncidentActionFeed {
  /** Replay recent actions into the planner's state (no notifications: they were sent before). */
  start(planner: NotificationPlanner, now: number): Promise<void>
  /** New actions since the last poll, applied: the notifications they call for. */
  poll(planner: NotificationPlanner, now: number): Promise<Notification[]>
}

// Actions are stamped by the process that took them; read a little behind the newest one seen so
// that a row written late, or by a host with a slower clock, is not skipped.
const OVERLAP_MS = 60_000

/** Create the act stage over an action log. */
export function createIncidentActionFeed(options: IncidentActionFeedOptions): IncidentActionFeed {
  const pollMs = options.pollMs ?? 1000
  const replayMs = options.replayMs ?? 7 * 24 * 3600_000
  const applied = new Map<string, number>()
  let cursor = 0
  let nextPollAt = 0

  function remember(action: IncidentAction): boolean {
    if (applied.has(action.id)) return false
    applied.set(action.id, action.at)
    cursor = Math.max(cursor, action.at)
    return true
  }

  function forgetOld(): void {
    for (const [id, at] of applied) if (at < cursor - 2 * OVERLAP_MS) applied.delete(id)
  }

  return {
    async start(planner, now) {
      cursor = now - replayMs
      for (const action of await options.log.since(cursor))
        if (remember(action)) planner.act(action, now, { replay: true })
      cursor = Math.max(cursor, now)
      forgetOld()
      // Silences are read at start by their owner; nothing to reload here.
    },

    async poll(planner, now) {
      if (now < nextPollAt) return []
      nextPollAt = now + pollMs
      const fresh = (await options.log.since(cursor - OVERLAP_MS)).filter(remember)
      forgetOld()
      if (fresh.length === 0) return []
      if (fresh.some((action) => action.kind === 'silence')) await options.onSilence?.()
      const out: Notification[] = []
      for (const action of fresh) {
        options.routerLog.info(
          `applying ${action.kind} of incident ${action.incident_key.slice(0, 12)} by ${action.actor}`,
        )
        out.push(...planner.act(action, now))
      }
      return out
    },
  }
}
