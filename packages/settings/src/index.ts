export { ConfigInvalidError, createEnvReader, type Env, type EnvReader } from './env-reader.ts'
export {
  type ClickHouseSetting,
  type DeclarationDirs,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
} from './service-settings.ts'
