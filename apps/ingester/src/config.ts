import {
  type ClickHouseSetting,
  createEnvReader,
  type Env,
  readApiToken,
  readClickHouse,
  readKafkaBrokers,
} from '@palisade/settings'

/** The standalone ingester's settings (distributed mode). */
export interface IngesterConfig {
  brokers: string[]
  clickhouse: ClickHouseSetting
  /** Token of `/metrics`. */
  token: string
  tenant: string
  /** Health and metrics listen address (default 127.0.0.1:9101). */
  host: string
  port: number
}

/** Pure: the ingester's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env): IngesterConfig {
  const read = createEnvReader(env)
  const config = {
    brokers: readKafkaBrokers(read),
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_INGESTER_HOST', '127.0.0.1'),
    port: read.port('PALISADE_INGESTER_PORT', 9101),
  }
  read.done()
  return config
}
