import type { RetentionDays } from '@palisade/schema'
import {
  type ClickHouseSetting,
  createEnvReader,
  type DeclarationDirs,
  type Env,
  type EnvReader,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
  readRetention,
} from '@palisade/settings'

/** The collector's settings. */
export interface CollectorConfig {
  /** Listen address (default 127.0.0.1). */
  host: string
  /** Listen port (default 4318, OTLP/HTTP's conventional port). */
  port: number
  /** Largest request body on the wire, bytes (default 16 MiB). */
  maxBodyBytes: number
  /** Largest body once gunzipped, bytes (default 64 MiB). */
  maxDecompressedBytes: number
  /** Requests processed at once before 429 (default 16). */
  maxConcurrentRequests: number
  /** Body bytes held at once (as received plus inflated) before 429 (default 256 MiB). */
  maxBytesInFlight: number
  /** Days each kind is kept (`PALISADE_RETENTION_DAYS_<KIND>`): older events are refused, not acknowledged. */
  retentionDays: RetentionDays
  /** Longest a client may take to send its request headers, ms (default 10 s); then 408. */
  headersTimeoutMs: number
  /** Longest pause in a body, and the grace before the minimum rate applies, ms (default 10 s); then 408. */
  bodyIdleTimeoutMs: number
  /** Slowest average body rate accepted after the grace, bytes/s (default 4096); then 408. */
  minBodyBytesPerSecond: number
}

/** Pure: the collector's settings from the environment; problems go to the reader. */
export function readCollectorConfig(env: EnvReader): CollectorConfig {
  return {
    host: env.string('PALISADE_COLLECTOR_HOST', '127.0.0.1'),
    port: env.port('PALISADE_COLLECTOR_PORT', 4318),
    maxBodyBytes: env.positiveInt('PALISADE_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxDecompressedBytes: env.positiveInt('PALISADE_MAX_DECOMPRESSED_BYTES', 64 * 1024 * 1024),
    maxConcurrentRequests: env.positiveInt('PALISADE_MAX_CONCURRENT_REQUESTS', 16),
    maxBytesInFlight: env.positiveInt('PALISADE_MAX_BYTES_IN_FLIGHT', 256 * 1024 * 1024),
    retentionDays: readRetention(env),
    headersTimeoutMs: env.positiveInt('PALISADE_HEADERS_TIMEOUT_MS', 10_000),
    bodyIdleTimeoutMs: env.positiveInt('PALISADE_BODY_IDLE_TIMEOUT_MS', 10_000),
    minBodyBytesPerSecond: env.positiveInt('PALISADE_MIN_BODY_BYTES_PER_SECOND', 4096),
  }
}

/** The standalone collector's settings (distributed mode). */
export interface CollectorAppConfig {
  /** Where the declarations are read from: checked at startup like every app's, though the collector uses none. */
  declarationDirs: DeclarationDirs
  collector: CollectorConfig
  brokers: string[]
  token: string
  tenant: string
  /**
   * Where the API keys are (`CLICKHOUSE_URL`, with `CLICKHOUSE_USER`/`_PASSWORD`/`_DATABASE`):
   * set, the collector accepts every tenant's ingest keys; unset, only `PALISADE_TOKEN`.
   */
  keysFrom: ClickHouseSetting | undefined
}

/** Pure: the standalone collector's configuration; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): CollectorAppConfig {
  const read = createEnvReader(env)
  const config = {
    declarationDirs: readDeclarationDirs(read, repoRoot),
    collector: readCollectorConfig(read),
    brokers: readKafkaBrokers(read),
    ...readApiToken(read),
    keysFrom: env.CLICKHOUSE_URL ? readClickHouse(read) : undefined,
  }
  read.done()
  return config
}
