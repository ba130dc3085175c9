export { RulesError, RuleTestInvalidError } from './errors.ts'
export { type HuntTestRunner, runHuntRuleTests } from './hunt-rule-tests.ts'
export type { ExpectedFinding, RuleDeclaration, RuleFile, RuleTest } from './rule-file.ts'
export { fixtureReader, readRuleSources } from './rule-files.ts'
export {
  type CompiledRule,
  compileRules,
  formatRuleProblem,
  type RuleProblem,
  type RuleSource,
  ruleProblemPlace,
} from './rule-set.ts'
export {
  type FixtureReader,
  findingMismatches,
  type RuleTestResult,
  runRuleTests,
  testEvents,
} from './rule-tests.ts'
