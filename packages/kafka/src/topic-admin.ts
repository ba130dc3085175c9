import type { Kafka } from 'kafkajs'

/** Creates the bus's topics on first use, as a production cluster does not auto-create them. */
export interface TopicAdmin {
  /** Resolves once every topic named exists (created with the bus's partitions if missing). */
  ensure(names: string[]): Promise<void>
  disconnect(): Promise<void>
}

/** Settings of {@link createTopicAdmin}. */
export interface TopicAdminOptions {
  /** Partitions of a topic it creates: the unit of consumer scale-out. */
  partitions: number
  /** Replication factor of a topic it creates (1 on a single broker, 3 on a real cluster). */
  replicationFactor: number
}

/** The topic admin over one kafkajs admin client; topics seen once are not asked about again. */
export function createTopicAdmin(kafka: Kafka, options: TopicAdminOptions): TopicAdmin {
  const admin = kafka.admin()
  const known = new Set<string>()
  /** Checks in progress, by topic: concurrent publishes to a new topic wait for one check. */
  const checking = new Map<string, Promise<void>>()
  async function check(missing: string[]): Promise<void> {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const toCreate = missing.filter((name) => !existing.has(name))
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor,
        })),
      })
    }
    for (const name of missing) known.add(name)
  }
  /**
   * Right after creating a topic, kafkajs's wait for its leaders can fail with "This server does
   * not host this topic-partition" (it retries only LEADER_NOT_AVAILABLE): ask again, a few times.
   */
  async function checkWithRetries(missing: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await check(missing)
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true || attempt >= 5) throw error
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt).unref())
      }
    }
  }
  return {
    async ensure(names) {
      const missing = names.filter((name) => !known.has(name) && !checking.has(name))
      if (missing.length > 0) {
        const checked = checkWithRetries(missing).finally(() => {
          for (const name of missing) checking.delete(name)
        })
        for (const name of missing) checking.set(name, checked)
      }
      await Promise.all(names.map((name) => checking.get(name)))
    },
    disconnect: () => admin.disconnect(),
  }
}
