import { createInProcessBus, topics } from '@palisade/bus'
import { defaultRetentionDays, eventKinds, type RetentionDays } from '@palisade/schema'
import { serveCollector } from './collector-server.ts'

/** A collector under test: its URL, what reached the bus, and how to stop it. */
export interface CollectorUnderTest {
  url: string
  /** Bearer token of tenant `acme`. */
  token: string
  /** Messages published, by topic, in order. */
  published: Map<string, unknown[]>
  close(): Promise<void>
}

/** A century of every kind: for tests of records with fixed past dates (retention has its own tests). */
export const retentionOfAnyDate: RetentionDays = {
  flow: 36_500,
  auth: 36_500,
  mtls: 36_500,
  decision: 36_500,
  policy_change: 36_500,
  token: 36_500,
  posture: 36_500,
}

/**
 * The collector's routes on a real HTTP server (loopback, free port) and the real in-process bus,
 * with a consumer that records what each topic received. `maxBodyBytes` defaults to 64 KiB;
 * `retentionDays` to the store's defaults (tests of records with fixed past dates raise it).
 */
export async function startCollectorUnderTest(
  maxBodyBytes = 64 * 1024,
  retentionDays: RetentionDays = defaultRetentionDays,
): Promise<CollectorUnderTest> {
  const token = 'collector-under-test-token'
  const bus = createInProcessBus()
  const published = new Map<string, unknown[]>()
  const watched = [...eventKinds.map((kind) => topics.events(kind)), topics.quarantine]
  await bus.subscribe('test', watched, async (batch) => {
    const list = published.get(batch.topic) ?? []
    list.push(...batch.messages.map((message) => message.value))
    published.set(batch.topic, list)
  })
  const server = await serveCollector(bus, token, { maxBodyBytes, retentionDays })
  return {
    url: server.url,
    token,
    published,
    close: server.close,
  }
}
