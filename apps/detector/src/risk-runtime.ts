import type { CheckpointStore } from '@palisade/clickhouse'
import type { RiskScorer, RiskState } from '@palisade/detectors'
import type { Finding } from '@palisade/schema'
import { createRecentIds } from './recent-ids.ts'

/**
 * Runs the risk scorer on the findings topic (consumer group `risk`; findings are keyed by the
 * identity they are about, so a member owns its identities' scores). State per identity is
 * checkpointed like the detectors', under the risk rule's id.
 */
export function createRiskRuntime(options: {
  scorer: RiskScorer
  checkpoints: CheckpointStore
  publishFindings: (findings: Finding[]) => Promise<void>
  now?: () => number
}) {
  const { scorer } = options
  const now = options.now ?? Date.now
  let states = new Map<string, { tenant: string; state: RiskState }>()
  const dirty = new Set<string>()
  const seen = createRecentIds(100_000)
  let chain: Promise<unknown> = Promise.resolve()
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task, task)
    chain = run.catch(() => undefined)
    return run
  }
  return {
    handle(findings: Finding[]): Promise<Finding[]> {
      return serially(async () => {
        const out: Finding[] = []
        for (const finding of [...findings].sort((a, b) => a.ts - b.ts)) {
          if (!scorer.accepts(finding) || !seen.add(`${finding.tenant}/${finding.finding_id}`)) continue
          const key = scorer.keyOf(finding)
          let entry = states.get(key)
          if (!entry) {
            entry = { tenant: finding.tenant, state: scorer.initialState() }
            states.set(key, entry)
          }
          dirty.add(key)
          for (const risk of scorer.step(entry.state, finding)) out.push({ ...risk, detected_at: now() })
        }
        if (out.length > 0) await options.publishFindings(out)
        return out
      })
    },
    async restore(): Promise<void> {
      const saved = await options.checkpoints.load(scorer.id)
      states = new Map(saved.map(({ tenant, key, state }) => [key, { tenant, state: state as RiskState }]))
      dirty.clear()
    },
    async checkpoint(): Promise<void> {
      if (dirty.size === 0) return
      const keys = [...dirty]
      dirty.clear()
      try {
        await options.checkpoints.save(
          scorer.id,
          keys.map((key) => ({ key, tenant: states.get(key)!.tenant, state: states.get(key)!.state })),
        )
      } catch (error) {
        for (const key of keys) dirty.add(key)
        throw error
      }
    },
    rebalanced(): Promise<void> {
      return serially(async () => {
        await this.checkpoint()
        await this.restore()
      })
    },
  }
}

export type RiskRuntime = ReturnType<typeof createRiskRuntime>
