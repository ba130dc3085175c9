import { type Bus, type Subscription, topics } from '@palisade/bus'
import { type ClickHouseClient, createCheckpointStore, createSloRollupReader } from '@palisade/clickhouse'
import { type Declarations, formatDeclarationProblem } from '@palisade/declarations'
import {
  createRiskScorer,
  defaultSourceSilenceSettings,
  riskIdentityOf,
  sourceGapType,
} from '@palisade/detectors'
import type { Alert, Finding } from '@palisade/schema'
import type { Registry } from 'prom-client'
import { reportCheckpointAge } from './checkpoint-age.ts'
import { createDetectorRuntime } from './detector-runtime.ts'
import { subscribeDetectors } from './detector-subscription.ts'
import { createHuntRuleSchedule } from './hunt-rule-schedule.ts'
import { createRiskRuntime } from './risk-runtime.ts'
import { createSloEvaluator, type SloEvaluator } from './slo-evaluator.ts'
import { startSloSchedule } from './slo-schedule.ts'
import { startSourceSilenceSchedule } from './source-silence-schedule.ts'

/** Settings of the streaming jobs. */
export interface DetectorServiceConfig {
  /** How often detector state is checkpointed, ms. */
  checkpointIntervalMs: number
  /** How often expected sources are checked for silence by the wall clock, ms (default 30,000). */
  sourceSilenceCheckIntervalMs?: number
  /** Shortest silence of an expected source that pages, ms (default 5 min). */
  sourceSilenceMinMs?: number
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
  /** Rules, intent, risk settings and SLOs, loaded and validated before anything was started. */
  declarations: Pick<Declarations, 'rules' | 'intent' | 'risk' | 'slos' | 'warnings'>
  registry: Registry
  log: DetectorServiceLog
  /** Wall clock, epoch ms (default `Date.now`): `detected_at` and the silence check; tests move it. */
  clock?: () => number
  /**
   * Whether this is the only detector consuming the bus (the all-in-one; default false): then the
   * silence check judges every tenant it restored, even those with no arrival since the start.
   */
  soleConsumer?: boolean
}): Promise<DetectorService> {
  const { bus, client, config, declarations, registry, log } = deps
  const clock = deps.clock ?? Date.now
  const { rules, risk, slos } = declarations
  const detectors = rules.map((rule) => rule.instantiate(declarations.intent))
  const checkpoints = createCheckpointStore(client)
  // Keyed by the identity a finding is about (else its incident), so that one identity's findings
  // share a partition and the risk scorer reading them keeps its state per identity.
  const findingsOn = (topic: string) => (findings: Finding[]) =>
    bus.publish(
      topic,
      findings.map((finding) => ({
        key: `${finding.tenant}/${riskIdentityOf(finding) ?? finding.entities.incident ?? finding.rule}`,
        value: finding,
      })),
    )
  const publishFindings = findingsOn(topics.findings)
  const publishAlerts = (alerts: Alert[]) =>
    bus.publish(
      topics.alerts,
      alerts.map((alert) => ({ key: `${alert.tenant}/${alert.labels.alertname}`, value: alert })),
    )
  // Expected sources are those whose cadence the `source_gap` rule learned: without that rule
  // nothing is expected, and nothing is checked.
  const gapRule = rules.find((rule) => rule.declaration.detector === sourceGapType.name)
  const runtime = createDetectorRuntime({
    detectors,
    checkpoints,
    publishFindings,
    publishRekeyed: (messages) => bus.publish(topics.rekeyed, messages),
    registry,
    now: clock,
    ...(gapRule
      ? {
          sourceSilence: {
            gapRule: gapRule.declaration.id,
            gapParams: sourceGapType.params.parse(gapRule.declaration.params),
            ownsEveryKey: deps.soleConsumer === true,
            settings: {
              ...defaultSourceSilenceSettings,
              ...(config.sourceSilenceMinMs !== undefined ? { minSilenceMs: config.sourceSilenceMinMs } : {}),
            },
          },
        }
      : {}),
  })
  // Risk findings on a topic of their own: the scorer reads the detectors' findings, never its own.
  const riskRuntime = createRiskRuntime({
    scorer: createRiskScorer(risk),
    checkpoints,
    publishFindings: findingsOn(topics.riskFindings),
  })
  await riskRuntime.restore()
  const riskSubscription = await bus.subscribe(
    'risk',
    [topics.findings],
    async (batch) => {
      await riskRuntime.handle(batch.messages.map((message) => message.value as Finding))
    },
    {
      onRebalance: () => {
        riskRuntime
          .rebalanced()
          .catch((error) => log.error('reloading risk scores after a rebalance failed', error))
      },
    },
  )
  // Intent read with a caveat: used, but worth a look (an unsupported field, a policy read in part).
  for (const warning of declarations.warnings)
    log.info(`declared intent: ${formatDeclarationProblem(warning)}`)
  log.info(`running ${rules.length} rules: ${rules.map((rule) => rule.declaration.id).join(', ')}`)
  await runtime.restore()
  const subscription: Subscription = await subscribeDetectors(bus, runtime, detectors, (error) =>
    log.error('reloading detector state after a rebalance failed', error),
  )
  const checkpointAge = reportCheckpointAge(registry)
  const checkpointTimer = setInterval(() => {
    Promise.all([
      runtime.checkpoint().catch((error) => {
        log.error('detector checkpoint failed; will retry', error)
        throw error
      }),
      riskRuntime.checkpoint().catch((error) => {
        log.error('risk checkpoint failed; will retry', error)
        throw error
      }),
    ]).then(checkpointAge.saved, () => {})
  }, config.checkpointIntervalMs)
  checkpointTimer.unref()

  const stopSilenceSchedule = gapRule
    ? startSourceSilenceSchedule({
        runtime,
        publishFindings,
        publishAlerts,
        now: clock,
        registry,
        ...(config.sourceSilenceCheckIntervalMs !== undefined
          ? { everyMs: config.sourceSilenceCheckIntervalMs }
          : {}),
        onError: (error) => log.error('source silence check failed; it runs again at its next turn', error),
      })
    : async () => {}
  if (gapRule)
    log.info(
      `paging when an expected source goes silent (cadences of rule ${gapRule.declaration.id}, wall clock)`,
    )

  const sloEvaluator = createSloEvaluator({
    rollups: createSloRollupReader(client, { declaredEgress: declarations.intent.declaredEgressRanges() }),
    slos,
    onAlerts: publishAlerts,
  })
  const stopSloSchedule = startSloSchedule(sloEvaluator, {
    onError: (error) => log.error('SLO evaluation failed; next run in a minute', error),
    registry,
  })
  log.info(`evaluating ${slos.length} SLOs every minute: ${slos.map((slo) => slo.name).join(', ')}`)

  // Hunt rules (saved hunts on a schedule) read the store; their findings join the others'.
  const hunts = createHuntRuleSchedule({
    client,
    rules,
    publish: publishFindings,
    onError: (rule, error) => log.error(`hunt rule ${rule} failed; it runs again at its next turn`, error),
  })
  let huntTick: Promise<unknown> = Promise.resolve()
  const huntTimer = setInterval(() => {
    huntTick = hunts.tick()
  }, 30_000)
  huntTimer.unref()
  if (hunts.rules.length > 0) log.info(`running ${hunts.rules.length} hunt rules: ${hunts.rules.join(', ')}`)

  return {
    sloEvaluator,
    async stop() {
      clearInterval(checkpointTimer)
      clearInterval(huntTimer)
      await huntTick
      await stopSilenceSchedule()
      await stopSloSchedule()
      await subscription.close()
      await riskSubscription.close()
      await runtime.checkpoint().catch((error) => log.error('final detector checkpoint failed', error))
      await riskRuntime.checkpoint().catch((error) => log.error('final risk checkpoint failed', error))
    },
  }
}
