import {
  type ClickHouseSetting,
  createEnvReader,
  type DeclarationDirs,
  type Env,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
} from '@palisade/settings'
import { type OidcSettings, readOidcSettings } from './oidc-sign-in.ts'

/** The standalone dashboard's settings (distributed mode). */
export interface DashboardConfig {
  clickhouse: ClickHouseSetting
  token: string
  tenant: string
  /** Listen address (default 127.0.0.1:8080). */
  host: string
  port: number
  /** Where the declarations are read from, before anything is opened. */
  declarationDirs: DeclarationDirs
  /** OpenID Connect sign-in (PALISADE_OIDC_*); undefined: token sign-in only. */
  oidc: OidcSettings | undefined
}

/** Pure: the dashboard's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): DashboardConfig {
  const read = createEnvReader(env)
  const config = {
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_DASHBOARD_HOST', '127.0.0.1'),
    port: read.port('PALISADE_DASHBOARD_PORT', 8080),
    declarationDirs: readDeclarationDirs(read, repoRoot),
    oidc: readOidcSettings(read),
  }
  read.done()
  return config
}
