import { join } from 'node:path'
import { type Bus, type Subscription, topics } from '@palisade/bus'
import { type ClickHouseClient, createCheckpointStore } from '@palisade/clickhouse'
import { newEdgeDetector } from '@palisade/detectors'
import type { Registry } from 'prom-client'
import { createDetectorRuntime } from './detector-runtime.ts'
import { subscribeDetectors } from './detector-subscription.ts'
import { loadSloDirectory } from './load-slos.ts'
import { createSloEvaluator, type SloEvaluator } from './slo-evaluator.ts'
import { startSloSchedule } from './slo-schedule.ts'

/** Settings of the streaming jobs. */
export interface DetectorServiceConfig {
  /** Folder with `slos/*.yaml`. */
  alertsDir: string
  /** Event time the new-edge detector learns before it reports, ms. */
  newEdgeLearningMs: number
  /** How often detector state is checkpointed, ms. */
  checkpointIntervalMs: number
}

/** What the service reports with. */
export interface DetectorServiceLog {
  info(message: string): void
  error(message: string, error?: unknown): void
}

/** The running streaming jobs. */
export interface DetectorService {
  /** The SLO evaluator, also the dashboard's source of SLO status. */
  sloEvaluator: SloEvaluator
  stop(): Promise<void>
}

/**
 * Start the streaming jobs on a bus: the detectors (consumer group `detector`, state checkpointed
 * to ClickHouse and restored at start) publishing findings, and the SLO evaluator (every minute,
 * from the rollups) publishing burn-rate alerts. Used by the standalone detector and the all-in-one.
 */
export async function startDetectorService(deps: {
  bus: Bus
  client: ClickHouseClient
  config: DetectorServiceConfig
  registry: Registry
  log: DetectorServiceLog
}): Promise<DetectorService> {
  const { bus, client, config, registry, log } = deps
  const detectors = [newEdgeDetector({ learningPeriodMs: config.newEdgeLearningMs })]
  const runtime = createDetectorRuntime({
    detectors,
    checkpoints: createCheckpointStore(client),
    publishFindings: (findings) =>
      bus.publish(
        topics.findings,
        findings.map((finding) => ({ key: `${finding.tenant}/${finding.rule}`, value: finding })),
      ),
    registry,
  })
  await runtime.restore()
  const subscription: Subscription = await subscribeDetectors(bus, runtime, detectors, (error) =>
    log.error('reloading detector state after a rebalance failed', error),
  )
  const checkpointTimer = setInterval(() => {
    runtime.checkpoint().catch((error) => log.error('detector checkpoint failed; will retry', error))
  }, config.checkpointIntervalMs)
  checkpointTimer.unref()

  const slos = await loadSloDirectory(join(config.alertsDir, 'slos'))
  const sloEvaluator = createSloEvaluator({
    client,
    slos,
    onAlerts: (alerts) =>
      bus.publish(
        topics.alerts,
        alerts.map((alert) => ({ key: `${alert.tenant}/${alert.labels.alertname}`, value: alert })),
      ),
  })
  const stopSloSchedule = startSloSchedule(sloEvaluator, {
    onError: (error) => log.error('SLO evaluation failed; next run in a minute', error),
  })
  log.info(`evaluating ${slos.length} SLOs every minute: ${slos.map((slo) => slo.name).join(', ')}`)

  return {
    sloEvaluator,
    async stop() {
      clearInterval(checkpointTimer)
      await stopSloSchedule()
      await subscription.close()
      await runtime.checkpoint().catch((error) => log.error('final detector checkpoint failed', error))
    },
  }
}
