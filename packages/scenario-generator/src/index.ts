export {
  type DemoOptions,
  type GeneratedRecord,
  generateDemoTelemetry,
  type IncidentLabel,
  workdayLoad,
} from './demo-day.ts'
export { normalEdges, spiffe, trustDomain, users, workloads } from './demo-mesh.ts'
export { createRandom, type Random } from './random.ts'
