export {
  createDashboardRoutes,
  type DashboardRoutesOptions,
  defaultDashboardsDir,
  defaultPublicDir,
} from './dashboard-app.ts'
export { DashboardError, RequestInvalidError } from './errors.ts'
export { createSessionStore, type SessionStore, type SessionStoreOptions } from './session-store.ts'
