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
  return {
    async ensure(names) {
      const missing = names.filter((name) => !known.has(name))
      if (missing.length === 0) return
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
    },
    disconnect: () => admin.disconnect(),
  }
}
