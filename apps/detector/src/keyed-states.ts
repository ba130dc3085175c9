import type { CheckpointStore } from '@palisade/clickhouse'

/**
 * The state of one stateful job (a detector, the risk scorer) per key, with what changed since the
 * last checkpoint: `get` creates a key's state on first use and marks it changed, `checkpoint`
 * saves the changed keys in one insert (and keeps them marked if that fails), `restore` reloads
 * every key's last saved state (at start, and after a rebalance hands this process other keys).
 */
export function createKeyedStates<State>(id: string, checkpoints: CheckpointStore) {
  let states = new Map<string, { tenant: string; state: State }>()
  const dirty = new Set<string>()
  return {
    get(key: string, tenant: string, initial: () => State): State {
      let entry = states.get(key)
      if (entry === undefined) {
        entry = { tenant, state: initial() }
        states.set(key, entry)
      }
      dirty.add(key)
      return entry.state
    },
    /** A key's state if it has one, without creating it or marking it changed. */
    peek(key: string): State | undefined {
      return states.get(key)?.state
    },
    /** The keys held, with their tenant. */
    keys(): { key: string; tenant: string }[] {
      return [...states].map(([key, entry]) => ({ key, tenant: entry.tenant }))
    },
    async checkpoint(): Promise<void> {
      if (dirty.size === 0) return
      const keys = [...dirty]
      dirty.clear()
      try {
        await checkpoints.save(
          id,
          keys.map((key) => ({ key, tenant: states.get(key)!.tenant, state: states.get(key)!.state })),
        )
      } catch (error) {
        for (const key of keys) dirty.add(key)
        throw error
      }
    },
    async restore(): Promise<void> {
      const saved = await checkpoints.load(id)
      states = new Map(saved.map(({ tenant, key, state }) => [key, { tenant, state: state as State }]))
      dirty.clear()
    },
  }
}

export type KeyedStates<State> = ReturnType<typeof createKeyedStates<State>>
