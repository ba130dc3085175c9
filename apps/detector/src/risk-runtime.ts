import type { CheckpointStore } from '@palisade/clickhouse'
import type { RiskScorer, RiskState } from '@palisade/detectors'
import { createSerialQueue } from '@palisade/runtime'
import type { Finding } from '@palisade/schema'
import { createKeyedStates } from './keyed-states.ts'
import { createRecentIds } from './recent-ids.ts'

/**
 * Runs the risk scorer on the findings topic (consumer group `risk`; findings are keyed by the
 * identity they are about, so a member owns its identities' scores), publishing what it finds to the
 * risk findings topic. State per identity is checkpointed like the detectors', under the risk
 * rule's id.
 */
export function createRiskRuntime(options: {
  scorer: RiskScorer
  checkpoints: CheckpointStore
  publishFindings: (findings: Finding[]) => Promise<void>
  now?: () => number
}) {
  const { scorer } = options
  const now = options.now ?? Date.now
  const states = createKeyedStates<RiskState>(scorer.id, options.checkpoints)
  const seen = createRecentIds(100_000)
  const serially = createSerialQueue()
  return {
    handle(findings: Finding[]): Promise<Finding[]> {
      return serially(async () => {
        const out: Finding[] = []
        for (const finding of [...findings].sort((a, b) => a.ts - b.ts)) {
          if (!scorer.accepts(finding) || !seen.add(`${finding.tenant}/${finding.finding_id}`)) continue
          const state = states.get(scorer.keyOf(finding), finding.tenant, scorer.initialState)
          for (const risk of scorer.step(state, finding)) out.push({ ...risk, detected_at: now() })
        }
        if (out.length > 0) await options.publishFindings(out)
        return out
      })
    },
    restore: () => states.restore(),
    checkpoint: () => states.checkpoint(),
    rebalanced(): Promise<void> {
      return serially(async () => {
        await states.checkpoint()
        await states.restore()
      })
    },
  }
}

export type RiskRuntime = ReturnType<typeof createRiskRuntime>
