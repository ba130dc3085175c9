/**
 * A sliding window of keyed entries kept in plain JSON (detector state is checkpointed): entry
 * times, event ids and one key per dimension in arrival order from `head`, plus live counts per key
 * and the number of distinct keys per dimension. Adding and pruning are O(1) amortised (the arrays
 * are compacted when half of them is dead), and the window never holds more than the `cap` given
 * to {@link addEntry}: beyond it the oldest entries are evicted, so one key's state stays bounded
 * however many users or addresses it sees.
 *
 * Entries are pruned in arrival order. An event delivered a few minutes late is appended behind
 * newer ones and leaves the window a few minutes late: counts may include it for that long, never
 * lose a live entry.
 */
export interface KeyedWindow {
  /** Entry times, epoch ms, in arrival order. */
  t: number[]
  /** Entry event ids. */
  id: string[]
  /** Per dimension, each entry's key; `''` = not counted in that dimension. */
  keys: string[][]
  /** Per dimension, `:` + key → live entries with that key (prefixed: `__proto__` is a user name too). */
  counts: Record<string, number>[]
  /** Per dimension, keys with at least one live entry. */
  distinct: number[]
  /** Index of the oldest live entry. */
  head: number
}

/** Told when a key's live count changes (for detectors that keep counts of counts). */
export type CountListener = (dimension: number, key: string, before: number, after: number) => void

export function newWindow(dimensions = 1): KeyedWindow {
  if (dimensions === 1) return { t: [], id: [], keys: [[]], counts: [{}], distinct: [0], head: 0 }
  const keys: string[][] = []
  const counts: Record<string, number>[] = []
  const distinct: number[] = []
  for (let d = 0; d < dimensions; d++) {
    keys.push([])
    counts.push({})
    distinct.push(0)
  }
  return { t: [], id: [], keys, counts, distinct, head: 0 }
}

/** Live entries. */
export function windowSize(window: KeyedWindow): number {
  return window.t.length - window.head
}

function evictHead(window: KeyedWindow, listener: CountListener | undefined): void {
  const index = window.head++
  for (let d = 0; d < window.keys.length; d++) {
    const key = window.keys[d]![index]!
    if (key === '') continue
    const counts = window.counts[d]!
    const name = `:${key}`
    const before = counts[name] ?? 0
    if (before <= 1) {
      delete counts[name]
      if (before === 1) window.distinct[d]!--
    } else counts[name] = before - 1
    listener?.(d, key, before, Math.max(0, before - 1))
  }
}

function compact(window: KeyedWindow): void {
  const head = window.head
  if (head < 64 || head * 2 < window.t.length) return
  window.t.splice(0, head)
  window.id.splice(0, head)
  for (const keys of window.keys) keys.splice(0, head)
  window.head = 0
}

/** Add an entry (keys per dimension), evicting the oldest beyond `cap` live entries. */
export function addEntry(
  window: KeyedWindow,
  ts: number,
  eventId: string,
  keys: readonly string[],
  cap: number,
  listener?: CountListener,
): void {
  while (windowSize(window) >= cap) evictHead(window, listener)
  window.t.push(ts)
  window.id.push(eventId)
  for (let d = 0; d < window.keys.length; d++) {
    const key = keys[d] ?? ''
    window.keys[d]!.push(key)
    if (key === '') continue
    const counts = window.counts[d]!
    const name = `:${key}`
    const before = counts[name] ?? 0
    counts[name] = before + 1
    if (before === 0) window.distinct[d]!++
    listener?.(d, key, before, before + 1)
  }
  compact(window)
}

/** Drop entries older than `cutoff` (epoch ms), oldest first. */
export function pruneBefore(window: KeyedWindow, cutoff: number, listener?: CountListener): void {
  const t = window.t
  while (window.head < t.length && t[window.head]! < cutoff) evictHead(window, listener)
  compact(window)
}

/** Drop every entry. */
export function clearWindow(window: KeyedWindow): void {
  const fresh = newWindow(window.keys.length)
  Object.assign(window, fresh)
}

/** Earliest and latest entry times of the live entries (O(n): for findings, not per event). */
export function timeSpan(window: KeyedWindow): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (let i = window.head; i < window.t.length; i++) {
    const ts = window.t[i]!
    if (ts < first) first = ts
    if (ts > last) last = ts
  }
  return { first, last }
}

/** The newest live event ids, at most `limit` (oldest first). */
export function recentIds(window: KeyedWindow, limit = 20): string[] {
  return window.id.slice(Math.max(window.head, window.id.length - limit))
}

/** Distinct keys of a dimension in arrival order of their first live entry, at most `limit`. */
export function sampleKeys(window: KeyedWindow, limit: number, dimension = 0): string[] {
  const seen = new Set<string>()
  const keys = window.keys[dimension]!
  for (let i = window.head; i < keys.length && seen.size < limit; i++) {
    const key = keys[i]!
    if (key !== '') seen.add(key)
  }
  return [...seen]
}

/** Each live entry of a dimension (oldest first), for summaries. */
export function* liveEntries(
  window: KeyedWindow,
  dimension = 0,
): Generator<{ ts: number; id: string; key: string }> {
  for (let i = window.head; i < window.t.length; i++)
    yield { ts: window.t[i]!, id: window.id[i]!, key: window.keys[dimension]![i]! }
}
