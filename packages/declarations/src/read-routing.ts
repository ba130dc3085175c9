import { parseRoutingConfig, type RoutingConfig, RoutingConfigInvalidError } from '@palisade/alerting'
import type { DeclarationProblem } from './declaration-problem.ts'
import { lineInMessage, readText } from './read-text.ts'
import { createYamlLocator, leadingPath } from './yaml-locator.ts'

/** Read the routing tree (`alerts/routing.yaml`): the tree, or every problem with its line. */
export function readRouting(file: string): { routing?: RoutingConfig; problems: DeclarationProblem[] } {
  const read = readText(file)
  if ('problem' in read) return { problems: [read.problem] }
  try {
    return { routing: parseRoutingConfig(read.text), problems: [] }
  } catch (error) {
    if (!(error instanceof RoutingConfigInvalidError)) throw error
    const locate = createYamlLocator(read.text)
    // The routing reader leads each problem with the path it is about (`route.routes[0].receiver ...`).
    return {
      problems: error.problems.map((message) => ({
        file,
        line: lineInMessage(message) ?? locate.lineOf(leadingPath(message)),
        message,
      })),
    }
  }
}
