import { describe, expect, it } from 'vitest'
import { createEnvReader } from './env-reader.ts'
import { readApiToken, readClickHouse, readKafkaBrokers } from './service-settings.ts'

describe('service settings', () => {
  it('reads brokers, a ClickHouse server and the token', () => {
    const env = createEnvReader({
      KAFKA_BROKERS: 'kafka-1:9092, 127.0.0.1:9093',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
      CLICKHOUSE_USER: 'palisade',
      PALISADE_TOKEN: 'a-token-of-sixteen+',
    })
    expect(readKafkaBrokers(env)).toEqual(['kafka-1:9092', '127.0.0.1:9093'])
    expect(readClickHouse(env)).toEqual({
      kind: 'server',
      url: 'http://clickhouse:8123',
      username: 'palisade',
      password: undefined,
      database: undefined,
    })
    expect(readApiToken(env)).toEqual({ token: 'a-token-of-sixteen+', tenant: 'default' })
    expect(env.problems).toEqual([])
  })

  it('falls back to the embedded engine and lists every missing setting', () => {
    const env = createEnvReader({ KAFKA_BROKERS: 'nope', PALISADE_DATA_DIR: '/tmp/x' })
    expect(readClickHouse(env)).toEqual({ kind: 'embedded', dataDir: '/tmp/x/clickhouse' })
    readKafkaBrokers(env)
    readApiToken(env)
    expect(env.problems).toEqual([
      'KAFKA_BROKERS: "nope" is not host:port',
      expect.stringContaining('PALISADE_TOKEN is required'),
    ])
  })
})
