/**
 * A bounded set of recently seen ids (insertion-ordered, oldest evicted first). The bus delivers at
 * least once; this keeps a re-delivered event from counting twice in a detector's state.
 */
export function createRecentIds(capacity: number) {
  const ids = new Set<string>()
  return {
    /** True the first time an id is offered (within the window), false for a repeat. */
    add(id: string): boolean {
      if (ids.has(id)) return false
      ids.add(id)
      if (ids.size > capacity) ids.delete(ids.values().next().value as string)
      return true
    },
  }
}
