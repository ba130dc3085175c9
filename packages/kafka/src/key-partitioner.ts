import { type ICustomPartitioner, Partitioners } from 'kafkajs'

/** Keys remembered per topic before the memory starts over (the bus's keys are tenant/identity: few). */
const maxKeysPerTopic = 100_000

/**
 * kafkajs's default partitioner, remembering each key's partition. A keyed message's partition
 * depends only on its key and the topic's partition count, and the bus's keys repeat (one per
 * tenant and identity), while the default partitioner hashes every message again and copies the
 * topic's partition list for each: a few percent of the collector's time on the Kafka path. A
 * change in the partition count (partitions added) starts the topic's memory over.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner()
  const byTopic = new Map<string, { partitions: number; byKey: Map<string, number> }>()
  return (args) => {
    const { key, partition: given } = args.message
    if (typeof key !== 'string' || (given !== undefined && given !== null)) return partitioner(args)
    let memory = byTopic.get(args.topic)
    if (!memory || memory.partitions !== args.partitionMetadata.length) {
      memory = { partitions: args.partitionMetadata.length, byKey: new Map() }
      byTopic.set(args.topic, memory)
    }
    let partition = memory.byKey.get(key)
    if (partition === undefined) {
      partition = partitioner(args)
      if (memory.byKey.size >= maxKeysPerTopic) memory.byKey.clear()
      memory.byKey.set(key, partition)
    }
    return partition
  }
}
