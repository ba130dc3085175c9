export { createAdmissionControl } from './admission-control.ts'
export { mountCollectorRoutes } from './collector-routes.ts'
export { type CollectorConfig, readCollectorConfig } from './config.ts'
export { BodyTooLargeError, BodyUnreadableError, IngestRequestError, OverloadedError } from './errors.ts'
export {
  createIngestEndpoint,
  createIngestHandler,
  type IngestAnswer,
  type IngestOptions,
  type IngestOutcome,
  ingestBody,
} from './ingest-route.ts'
