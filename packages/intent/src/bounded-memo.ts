/**
 * A memo of computed answers with a size cap: when full, the oldest entry goes (insertion order),
 * so a long-running detector asking about ever-new flows keeps a bounded heap.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>()

  /** @param limit most entries kept (default 50 000). */
  constructor(private readonly limit = 50_000) {}

  get(key: string, compute: () => V): V {
    const hit = this.entries.get(key)
    if (hit !== undefined || this.entries.has(key)) return hit as V
    const value = compute()
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
    return value
  }

  get size(): number {
    return this.entries.size
  }
}
