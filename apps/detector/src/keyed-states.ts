import type { CheckpointStore } from '@palisade/clickhouse'

interface Entry<State> {
  tenant: string
  state: State
  /** Listed among the keys changed since the last checkpoint. */
  dirty: boolean
}

/**
 * The state of one stateful job (a detector, the risk scorer) per key, with what changed since the
 * last checkpoint: `get` creates a key's state on first use and marks it changed, `checkpoint`
 * saves the changed keys in one insert (and keeps them marked if that fails), `restore` reloads
 * every key's last saved state (at start, and after a rebalance hands this process other keys).
 */
export function createKeyedStates<State>(id: string, checkpoints: CheckpointStore) {
  let states = new Map<string, Entry<State>>()
  // Changed keys, each listed once: its entry's flag says it is listed, so that the hot path (every
  // detector, every event) marks a key with a field write instead of a second hash look-up.
  let dirty: string[] = []
  return {
    get(key: string, tenant: string, initial: () => State): State {
      let entry = states.get(key)
      if (entry === undefined) {
        entry = { tenant, state: initial(), dirty: false }
        states.set(key, entry)
      }
      if (!entry.dirty) {
        entry.dirty = true
        dirty.push(key)
      }
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
      if (dirty.length === 0) return
      const keys = dirty
      dirty = []
      const saved = keys.map((key) => {
        const entry = states.get(key)!
        entry.dirty = false
        return { key, tenant: entry.tenant, state: entry.state }
      })
      try {
        await checkpoints.save(id, saved)
      } catch (error) {
        // Still changed: listed again, unless a `get` since has listed it already.
        for (const key of keys) {
          const entry = states.get(key)
          if (entry !== undefined && !entry.dirty) {
            entry.dirty = true
            dirty.push(key)
          }
        }
        throw error
      }
    },
    async restore(): Promise<void> {
      const saved = await checkpoints.load(id)
      states = new Map(
        saved.map(({ tenant, key, state }) => [key, { tenant, state: state as State, dirty: false }]),
      )
      dirty = []
    },
  }
}

export type KeyedStates<State> = ReturnType<typeof createKeyedStates<State>>
