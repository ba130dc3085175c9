import { resolve } from 'node:path'
import {
  type ClickHouseSetting,
  createEnvReader,
  type Env,
  readApiToken,
  readClickHouse,
} from '@palisade/settings'

/** The standalone dashboard's settings (distributed mode). */
export interface DashboardConfig {
  clickhouse: ClickHouseSetting
  token: string
  tenant: string
  /** Listen address (default 127.0.0.1:8080). */
  host: string
  port: number
  dashboardsDir: string
  alertsDir: string
}

/** Pure: the dashboard's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): DashboardConfig {
  const read = createEnvReader(env)
  const config = {
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_DASHBOARD_HOST', '127.0.0.1'),
    port: read.port('PALISADE_DASHBOARD_PORT', 8080),
    dashboardsDir: resolve(read.string('PALISADE_DASHBOARDS_DIR', resolve(repoRoot, 'dashboards'))),
    alertsDir: resolve(read.string('PALISADE_ALERTS_DIR', resolve(repoRoot, 'alerts'))),
  }
  read.done()
  return config
}
