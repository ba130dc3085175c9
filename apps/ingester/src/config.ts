import type { RetentionDays } from '@palisade/schema'
import {
  type ClickHouseSetting,
  createEnvReader,
  type DeclarationDirs,
  type Env,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
  readRetention,
} from '@palisade/settings'

/** The standalone ingester's settings (distributed mode). */
export interface IngesterConfig {
  /** Where the declarations are read from: checked at startup like every app's, though the ingester uses none. */
  declarationDirs: DeclarationDirs
  brokers: string[]
  clickhouse: ClickHouseSetting
  /** Token of `/metrics`. */
  token: string
  tenant: string
  /** Health and metrics listen address (default 127.0.0.1:9101). */
  host: string
  port: number
  /** Days each kind is kept (`PALISADE_RETENTION_DAYS_<KIND>`, as the collector reads them): the tables' TTL. */
  retentionDays: RetentionDays
}

/** Pure: the ingester's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): IngesterConfig {
  const read = createEnvReader(env)
  const config = {
    declarationDirs: readDeclarationDirs(read, repoRoot),
    brokers: readKafkaBrokers(read),
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_INGESTER_HOST', '127.0.0.1'),
    port: read.port('PALISADE_INGESTER_PORT', 9101),
    retentionDays: readRetention(read),
  }
  read.done()
  return config
}
