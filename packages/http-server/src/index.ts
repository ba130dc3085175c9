export { type Authenticator, bearerToken, createTokenAuthenticator, type Principal } from './authenticator.ts'
export { type DependencyCheck, reportDependencyUp } from './dependency-up.ts'
export { HttpServerError, TokensMissingError } from './errors.ts'
export { createMetricsRegistry } from './metrics.ts'
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
