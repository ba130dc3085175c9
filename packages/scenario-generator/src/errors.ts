import { PalisadeError } from '@palisade/errors'

/** Base of the scenario generator's errors: a stable `code`, whether a retry could help, and the cause. */
export class ScenarioError extends PalisadeError {}

/** A workload or enforcement point the scenario mesh does not have: a bug in the scenario's code. */
export class ScenarioMeshUnknownError extends ScenarioError {
  constructor(what: string) {
    super('SCENARIO_MESH_UNKNOWN', `no ${what} in the scenario mesh`, { retriable: false })
  }
}
