export {
  type Access,
  type AccessGate,
  accesses,
  allow,
  declaredAccess,
  grants,
  isRole,
  mayAccess,
  type Role,
  refusalOf,
  roles,
} from './access.ts'
export {
  type ApiKeyCache,
  type ApiKeyDirectory,
  type ApiKeyRecord,
  createApiKeyAuthenticator,
  createApiKeyCache,
  generateApiKey,
  parseApiKey,
} from './api-keys.ts'
export { type AuditRecord, type AuditTrail, clientAddress, recordAudit, useAuditTrail } from './audit.ts'
export {
  type Authenticator,
  actingPrincipal,
  authenticateHeaders,
  bearerToken,
  createTokenAuthenticator,
  type Principal,
  type Refusal,
  TENANT_HEADER,
} from './authenticator.ts'
export { type DependencyCheck, reportDependencyUp } from './dependency-up.ts'
export {
  type DirectHandler,
  sendJsonDirectly,
  sendRefusalDirectly,
  serveDirectly,
} from './direct-route.ts'
export { HttpServerError, KeyNotFoundError, TokensMissingError } from './errors.ts'
export {
  createKeyAdmin,
  type KeyAdmin,
  type KeyChangeActor,
  type KeyTable,
  type ListedKey,
} from './key-admin.ts'
export { createMetricsRegistry } from './metrics.ts'
export { listRoutes, type RegisteredRoute } from './route-list.ts'
export {
  closeServer,
  createServiceApp,
  finishServiceApp,
  type ListenOptions,
  listen,
  type ReadinessCheck,
  requireToken,
  type ServiceAppOptions,
  sendError,
  sendUnauthenticated,
  startHealthServer,
} from './service-app.ts'
