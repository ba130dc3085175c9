export {
  type DemoOptions,
  type GeneratedRecord,
  generateDemoTelemetry,
  type IncidentLabel,
  workdayLoad,
} from './demo-day.ts'
export { normalEdges, spiffe, trustDomain, users, workloads } from './demo-mesh.ts'
export { type DemoWafLogOptions, generateDemoWafLog } from './demo-waf-log.ts'
export { ScenarioError, ScenarioMeshUnknownError } from './errors.ts'
export { generateScenario } from './generate-scenario.ts'
export { createRandom, type Random } from './random.ts'
export type { Scenario, ScenarioLabel, ScenarioOptions, ScenarioStream } from './scenario.ts'
export {
  corporateVpn,
  type MeshWorkload,
  meshEdges,
  meshNodes,
  meshWorkloads,
  scenarioTenant,
  scenarioTrustDomain,
  scenarioUsers,
  spiffeId,
} from './scenario-mesh.ts'
export { streamText, writeScenario } from './write-scenario.ts'
