import { topics } from '@palisade/bus'
import type { KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { decodeBatch, parkDeadLetters } from './dead-letter.ts'

const message = (offset: number, value: string, key = 'acme/api'): KafkaMessage => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  offset: String(offset),
  timestamp: '0',
  attributes: 0,
  headers: {},
})
const flow = { tenant: 'acme', event_id: 'e-1', ts: 1, observed_at: 1 }
const origin = { topic: topics.events('flow'), partition: 3, group: 'ingester' }

describe('Kafka bus > decodeBatch', () => {
  it('hands on what its topic carries and turns the rest into dead-letter records with the bytes received', () => {
    const decoded = decodeBatch(
      origin,
      [message(10, JSON.stringify(flow)), message(11, 'this is not JSON'), message(12, '{"tenant":"acme"}')],
      () => 42,
    )
    expect(decoded.messages).toEqual([{ key: 'acme/api', value: flow }])
    expect(decoded.deadLetters).toEqual([
      {
        topic: origin.topic,
        group: 'ingester',
        reason: expect.stringContaining('not JSON'),
        raw: 'this is not JSON',
        key: 'acme/api',
        tenant: '',
        partition: 3,
        offset: '11',
        parked_at: 42,
      },
      {
        topic: origin.topic,
        group: 'ingester',
        reason: 'event_id missing',
        raw: '{"tenant":"acme"}',
        key: 'acme/api',
        tenant: 'acme',
        partition: 3,
        offset: '12',
        parked_at: 42,
      },
    ])
  })

  it('reads a dead-letter record parked in an older shape into the one shape', () => {
    const legacy = {
      topic: origin.topic,
      position: { partition: 1, firstOffset: '5', lastOffset: '9' },
      reason: 'tenant missing',
      message: { hello: 'world' },
    }
    const decoded = decodeBatch(
      { ...origin, topic: topics.deadLetter },
      [message(0, JSON.stringify(legacy))],
      () => 0,
    )
    expect(decoded.messages[0]!.value).toEqual({
      topic: origin.topic,
      group: 'ingester',
      reason: 'tenant missing',
      raw: '{"hello":"world"}',
      key: '',
      tenant: '',
      partition: 1,
      parked_at: 0,
    })
  })
})

describe('Kafka bus > parkDeadLetters', () => {
  it('publishes records keyed like their messages, but never parks a dead letter again', async () => {
    const published: { topic: string; keys: string[] }[] = []
    const reported: string[] = []
    const { deadLetters } = decodeBatch(origin, [message(1, 'x', 'k1')], () => 0)
    const { deadLetters: loop } = decodeBatch(
      { ...origin, topic: topics.deadLetter },
      [message(2, 'y')],
      () => 0,
    )
    await parkDeadLetters(
      async (topic, messages) => void published.push({ topic, keys: messages.map((m) => m.key) }),
      [...deadLetters, ...loop],
      (line) => reported.push(line),
    )
    expect(published).toEqual([{ topic: topics.deadLetter, keys: ['k1'] }])
    expect(reported).toHaveLength(1)
  })
})
