export { createConsoleLog, type Log } from './console-log.ts'
export { type RunningService, runService } from './run-service.ts'
export { createSerialQueue } from './serial-queue.ts'
