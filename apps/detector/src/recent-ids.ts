/**
 * A bounded set of recently seen ids; the oldest is forgotten first. The bus delivers at least
 * once; this keeps a re-delivered event from counting twice in a detector's state. A ring of ids
 * beside the set makes eviction O(1): taking the first of a Set after many deletions is not
 * (V8 walks over the deleted slots), which cost seconds per million events.
 */
export function createRecentIds(capacity: number) {
  const ids = new Set<string>()
  const ring: string[] = new Array(capacity)
  let next = 0
  return {
    /** True the first time an id is offered (within the window), false for a repeat. */
    add(id: string): boolean {
      if (ids.has(id)) return false
      const evicted = ring[next]
      if (evicted !== undefined) ids.delete(evicted)
      ring[next] = id
      next = (next + 1) % capacity
      ids.add(id)
      return true
    },
  }
}
