import { type PartitionerArgs, Partitioners } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { keyPartitioner } from './key-partitioner.ts'

const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }))
const args = (key: string, partitions: number): PartitionerArgs => ({
  topic: 'palisade.flow.v1',
  partitionMetadata: metadata(partitions),
  message: { key, value: '{}' },
})

describe('Producer > keyPartitioner', () => {
  it("gives every key the default partitioner's partition, asked once or many times", () => {
    const remembered = keyPartitioner()
    const fresh = Partitioners.DefaultPartitioner()
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 500; i++) {
        const key = `acme/spiffe://cluster.local/ns/shop/sa/svc-${i}`
        expect(remembered(args(key, 6))).toBe(fresh(args(key, 6)))
      }
  })

  it('follows a change in the partition count instead of keeping what it remembered', () => {
    const remembered = keyPartitioner()
    const fresh = Partitioners.DefaultPartitioner()
    const keys = Array.from({ length: 50 }, (_, i) => `acme/workload-${i}`)
    for (const key of keys) remembered(args(key, 3))
    const moved = keys.filter((key) => fresh(args(key, 3)) !== fresh(args(key, 12)))
    expect(moved.length).toBeGreaterThan(0)
    for (const key of keys) expect(remembered(args(key, 12))).toBe(fresh(args(key, 12)))
  })
})
