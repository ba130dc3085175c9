export { createConsoleLog, type Log } from './console-log.ts'
export { type RunningService, runService } from './run-service.ts'
export { createSerialQueue } from './serial-queue.ts'
export {
  startTraceExport,
  stopTraceExport,
  type TraceExport,
  type TraceExportEnv,
  traceExportUrl,
} from './trace-export.ts'
