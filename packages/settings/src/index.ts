export { ConfigInvalidError, createEnvReader, type Env, type EnvReader } from './env-reader.ts'
export {
  type ClickHouseSetting,
  readApiToken,
  readClickHouse,
  readKafkaBrokers,
  readRuleDirs,
} from './service-settings.ts'
