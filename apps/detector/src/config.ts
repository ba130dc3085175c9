import {
  type ClickHouseSetting,
  createEnvReader,
  type DeclarationDirs,
  type Env,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
} from '@palisade/settings'
import type { DetectorServiceConfig } from './detector-service.ts'

/** The standalone detector's settings (distributed mode). */
export interface DetectorConfig extends DetectorServiceConfig {
  /** Where the declarations are read from, before anything is opened. */
  declarationDirs: DeclarationDirs
  brokers: string[]
  clickhouse: ClickHouseSetting
  token: string
  tenant: string
  /** Health and metrics listen address (default 127.0.0.1:9102). */
  host: string
  port: number
}

/** Pure: the detector's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): DetectorConfig {
  const read = createEnvReader(env)
  const config = {
    brokers: readKafkaBrokers(read),
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_DETECTOR_HOST', '127.0.0.1'),
    port: read.port('PALISADE_DETECTOR_PORT', 9102),
    declarationDirs: readDeclarationDirs(read, repoRoot),
    checkpointIntervalMs: read.positiveInt('PALISADE_CHECKPOINT_INTERVAL_MS', 10_000),
    sourceSilenceCheckIntervalMs: read.positiveInt('PALISADE_SOURCE_SILENCE_CHECK_INTERVAL_MS', 30_000),
    sourceSilenceMinMs: read.positiveInt('PALISADE_SOURCE_SILENCE_MIN_MS', 5 * 60_000),
  }
  read.done()
  return config
}
