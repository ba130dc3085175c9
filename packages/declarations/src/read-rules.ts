import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { detectorCatalog } from '@palisade/detectors'
import { type CompiledRule, compileRules, type RuleSource, ruleProblemPlace } from '@palisade/rules'
import type { DeclarationProblem } from './declaration-problem.ts'
import { readText } from './read-text.ts'
import { createYamlLocator, leadingPath, type YamlLocator } from './yaml-locator.ts'

/**
 * Read every `*.yaml` / `*.yml` rule file of `dir` (not recursive, name order) and compile its rules
 * against the detector catalog: the enabled rules, or every problem with its line.
 */
export function readRules(dir: string): { rules: CompiledRule[]; problems: DeclarationProblem[] } {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
  } catch (error) {
    return {
      rules: [],
      problems: [{ file: dir, message: `cannot read the rules folder: ${(error as Error).message}` }],
    }
  }
  const sources: RuleSource[] = []
  const problems: DeclarationProblem[] = []
  for (const name of names) {
    const read = readText(join(dir, name))
    if ('problem' in read) problems.push(read.problem)
    else sources.push({ path: join(dir, name), text: read.text })
  }
  const compiled = compileRules(sources, detectorCatalog)
  const locators = new Map<string, YamlLocator>()
  const locate = (file: string): YamlLocator => {
    const text = sources.find((source) => source.path === file)?.text ?? ''
    const locator = locators.get(file) ?? createYamlLocator(text)
    locators.set(file, locator)
    return locator
  }
  for (const problem of compiled.problems) {
    // `at` is a path such as `rules[2].params.window`, or `line N` for a YAML syntax error.
    const syntaxLine = /^line (\d+)$/.exec(problem.at)?.[1]
    problems.push({
      file: problem.file,
      line:
        syntaxLine === undefined ? locate(problem.file).lineOf(leadingPath(problem.at)) : Number(syntaxLine),
      message:
        syntaxLine === undefined ? `${ruleProblemPlace(problem)}: ${problem.message}` : problem.message,
    })
  }
  return { rules: compiled.rules.filter((rule) => rule.declaration.enabled), problems }
}
