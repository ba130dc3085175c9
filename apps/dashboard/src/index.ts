export {
  createDashboardRoutes,
  type DashboardRoutesOptions,
  defaultDashboardsDir,
  defaultPublicDir,
} from './dashboard-app.ts'
export { type Dashboard, dashboardSchema, loadDashboards, type Panel } from './dashboard-declarations.ts'
export { DashboardError, DashboardInvalidError, RequestInvalidError } from './errors.ts'
export { createSessionStore, type SessionStore, type SessionStoreOptions } from './session-store.ts'
