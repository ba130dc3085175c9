import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Detector, detectorCatalog, parseRiskSettings, type RiskSettings } from '@palisade/detectors'
import { type DeclaredIntent, loadIntentDirectory } from '@palisade/intent'
import { type CompiledRule, compileRules, formatRuleProblem, readRuleSources } from '@palisade/rules'
import { ConfigInvalidError } from '@palisade/settings'

/** The enabled rules' detectors, for a declared intent, and the risk scorer's settings. */
export interface LoadedRules {
  rules: CompiledRule[]
  detectors: Detector[]
  intent: DeclaredIntent
  /** How findings add up to an identity's risk (`alerts/risk.yaml`). */
  risk: RiskSettings
}

/**
 * Read `alerts/rules/*.yaml` and the declared intent, and instantiate every enabled rule. Refuses to
 * start on any rule problem or intent error (one `ConfigInvalidError` listing them all): a detector
 * silently missing is worse than a service that says why it will not start.
 */
export async function loadRules(dirs: {
  alertsDir: string
  rulesDir: string
  intentDir: string
}): Promise<LoadedRules> {
  const { rules, problems } = compileRules(await readRuleSources(dirs.rulesDir), detectorCatalog)
  const loaded = await loadIntentDirectory(dirs.intentDir)
  const riskFile = join(dirs.alertsDir, 'risk.yaml')
  const risk = parseRiskSettings(await readFile(riskFile, 'utf8'), riskFile)
  const errors = [
    ...problems.map(formatRuleProblem),
    ...risk.problems,
    ...loaded.problems
      .filter((problem) => problem.level !== 'warning')
      .map((p) => `${p.source}: ${p.message}`),
  ]
  if (errors.length > 0 || !risk.settings) throw new ConfigInvalidError(errors)
  const enabled = rules.filter((rule) => rule.declaration.enabled)
  return {
    rules: enabled,
    detectors: enabled.map((rule) => rule.instantiate(loaded.intent)),
    intent: loaded.intent,
    risk: risk.settings,
  }
}
