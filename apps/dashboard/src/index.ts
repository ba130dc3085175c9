export {
  createDashboardRoutes,
  type DashboardRoutesOptions,
  defaultDashboardsDir,
  defaultPublicDir,
} from './dashboard-app.ts'
export { DashboardError, FrontEndBuildError, RequestInvalidError } from './errors.ts'
export { bundleFrontEnd, defaultWebDir } from './front-end-bundle.ts'
export {
  createOidcSignIn,
  type GroupGrant,
  type OidcSettings,
  type OidcSignIn,
  parseGroupGrants,
  principalFromGroups,
  readOidcSettings,
} from './oidc-sign-in.ts'
export { createSessionStore, type SessionStore, type SessionStoreOptions } from './session-store.ts'
