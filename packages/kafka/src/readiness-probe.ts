import { Kafka, type KafkaConfig, logLevel } from 'kafkajs'

/** Whether the cluster answered the last time it was asked. */
export interface ReadinessProbe {
  /** True until a probe fails, and again once one succeeds. */
  reachable(): boolean
  stop(): Promise<void>
}

/** Settings of {@link startReadinessProbe}. */
export interface ReadinessProbeOptions {
  brokers: string[]
  clientId: string
  /** How often to ask the cluster, ms. */
  intervalMs: number
  /** TLS and SASL settings, as the bus's own clients have them. */
  client?: Pick<KafkaConfig, 'ssl' | 'sasl'>
}

/**
 * kafkajs says nothing when a broker dies under an idle client: ask the cluster every few seconds,
 * on a client of its own with no retries, so that `/readyz` turns 503 while it is away and 200
 * once it is back.
 */
export function startReadinessProbe(options: ReadinessProbeOptions): ReadinessProbe {
  let reachable = true
  const probe = new Kafka({
    clientId: `${options.clientId}-readiness`,
    brokers: options.brokers,
    ...options.client,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin()
  const timer = setInterval(() => {
    probe
      .connect()
      .then(() => probe.describeCluster())
      .then(
        () => {
          reachable = true
        },
        () => {
          reachable = false
          probe.disconnect().catch(() => {})
        },
      )
  }, options.intervalMs)
  timer.unref()
  return {
    reachable: () => reachable,
    async stop() {
      clearInterval(timer)
      await probe.disconnect().catch(() => {})
    },
  }
}
