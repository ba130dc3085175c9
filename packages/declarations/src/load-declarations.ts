import { join } from 'node:path'
import type { RoutingConfig } from '@palisade/alerting'
import type { RiskSettings } from '@palisade/detectors'
import type { DeclaredIntent } from '@palisade/intent'
import type { CompiledRule } from '@palisade/rules'
import type { DeclarationDirs } from '@palisade/settings'
import { type SloDefinition, SloInvalidError, SloLoadError } from '@palisade/slo'
import { type Dashboard, readDashboards } from './dashboards.ts'
import type { DeclarationProblem } from './declaration-problem.ts'
import { DeclarationsInvalidError, IntentDirectoryError } from './errors.ts'
import { loadIntentDirectory } from './intent-directory.ts'
import { readRisk } from './read-risk.ts'
import { readRouting } from './read-routing.ts'
import { readRules } from './read-rules.ts'
import { loadSloDirectory } from './slo-directory.ts'

/** Everything declared under `alerts/` and `dashboards/`, read once and validated together. */
export interface Declarations {
  /** The alert routing tree (`routing.yaml`, or `PALISADE_ALERT_ROUTING_FILE`). */
  routing: RoutingConfig
  /** The enabled rules of `rules/*.yaml`, ready to instantiate for {@link Declarations.intent}. */
  rules: CompiledRule[]
  /** What the perimeter is meant to be (`intent/`). */
  intent: DeclaredIntent
  /** How findings add up to an identity's risk (`risk.yaml`). */
  risk: RiskSettings
  /** The OpenSLO SLOs of `slos/*.yaml`. */
  slos: SloDefinition[]
  /** The dashboards of `dashboards/*.json`, by id. */
  dashboards: ReadonlyMap<string, Dashboard>
  /** Read with a caveat (intent documents used in part, say): worth logging, not worth refusing. */
  warnings: DeclarationProblem[]
}

async function readIntent(dir: string) {
  try {
    const loaded = await loadIntentDirectory(dir)
    const located = loaded.problems.map((problem) => {
      // `source` is `file#document (Kind namespace/name)`: the file, then which document of it.
      const [file = problem.source, document = ''] = problem.source.split('#')
      return {
        problem,
        located: { file, line: problem.line ?? 1, message: `#${document}: ${problem.message}` },
      }
    })
    return {
      intent: loaded.intent,
      problems: located.filter((p) => p.problem.level === 'error').map((p) => p.located),
      warnings: located.filter((p) => p.problem.level === 'warning').map((p) => p.located),
    }
  } catch (error) {
    if (!(error instanceof IntentDirectoryError)) throw error
    return { problems: [{ file: dir, message: error.message }], warnings: [] }
  }
}

/**
 * The SLO folder as the loader reads it, for `palisade slo lint` too: the SLOs, or every problem
 * as `file:line: what` (the folder itself when it cannot be read).
 */
export async function readSloDeclarations(
  dir: string,
): Promise<{ slos?: SloDefinition[]; problems: DeclarationProblem[] }> {
  try {
    return { slos: await loadSloDirectory(dir), problems: [] }
  } catch (error) {
    if (error instanceof SloLoadError) return { problems: [{ file: dir, message: error.message }] }
    if (!(error instanceof SloInvalidError)) throw error
    return {
      problems: error.problems.map((problem) => ({
        file: problem.source,
        line: problem.line ?? 1,
        message: `${problem.path === '' ? `document ${problem.document}` : `document ${problem.document}, ${problem.path}`}: ${problem.message}`,
      })),
    }
  }
}

/**
 * Read and validate every declaration: routing, rules (against the detector catalog), declared
 * intent, risk, SLOs and dashboards. Every app calls it right after `loadConfig(env)` and before it
 * opens the store or starts a consumer, so that a typo in any file stops the process at once.
 * Throws one {@link DeclarationsInvalidError} listing every problem of every file as `file:line: what`.
 */
export async function loadDeclarations(dirs: DeclarationDirs): Promise<Declarations> {
  const routing = readRouting(dirs.routingFile)
  const rules = readRules(dirs.rulesDir)
  const intent = await readIntent(dirs.intentDir)
  const risk = readRisk(join(dirs.alertsDir, 'risk.yaml'))
  const slos = await readSloDeclarations(join(dirs.alertsDir, 'slos'))
  const dashboards = readDashboards(dirs.dashboardsDir)
  const problems = [
    ...routing.problems,
    ...rules.problems,
    ...intent.problems,
    ...risk.problems,
    ...slos.problems,
    ...dashboards.problems,
  ]
  if (problems.length > 0 || !routing.routing || !intent.intent || !risk.risk || !slos.slos)
    throw new DeclarationsInvalidError(problems)
  return {
    routing: routing.routing,
    rules: rules.rules,
    intent: intent.intent,
    risk: risk.risk,
    slos: slos.slos,
    dashboards: dashboards.dashboards,
    warnings: intent.warnings,
  }
}
