export { ConfigInvalidError, createEnvReader, type Env, type EnvReader } from './env-reader.ts'
export { type ClickHouseSetting, readApiToken, readClickHouse, readKafkaBrokers } from './service-settings.ts'
