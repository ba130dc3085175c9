export { ConfigInvalidError, createEnvReader, type Env, type EnvReader } from './env-reader.ts'
export {
  type ClickHouseSetting,
  type DeclarationDirs,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
  readRetention,
} from './service-settings.ts'
