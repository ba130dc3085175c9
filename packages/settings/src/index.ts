export { ConfigInvalidError, createEnvReader, type Env, type EnvReader } from './env-reader.ts'
