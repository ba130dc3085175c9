export { RulesError, RuleTestInvalidError } from './errors.ts'
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
export { type FixtureReader, type RuleTestResult, runRuleTests, testEvents } from './rule-tests.ts'
