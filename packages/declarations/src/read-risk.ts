import { type RiskSettings, riskSettingsSchema } from '@palisade/detectors'
import { parseDocument } from 'yaml'
import type { DeclarationProblem } from './declaration-problem.ts'
import { readText } from './read-text.ts'
import { createYamlLocator, type PathPart } from './yaml-locator.ts'

/** Read how findings add up to an identity's risk (`alerts/risk.yaml`): the settings, or every problem. */
export function readRisk(file: string): { risk?: RiskSettings; problems: DeclarationProblem[] } {
  const read = readText(file)
  if ('problem' in read) return { problems: [read.problem] }
  const document = parseDocument(read.text)
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        file,
        line: error.linePos?.[0]?.line ?? 1,
        message: error.message.split('\n')[0]!,
      })),
    }
  }
  const parsed = riskSettingsSchema.safeParse(document.toJS())
  if (parsed.success) return { risk: parsed.data, problems: [] }
  const locate = createYamlLocator(read.text)
  return {
    problems: parsed.error.issues.flatMap((issue) => {
      const path = issue.path.filter((part): part is PathPart => typeof part !== 'symbol')
      const at = path.join('.') || '(file)'
      return issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            file,
            line: locate.lineOf([...path, key]),
            message: `${path.length ? `${at}.` : ''}${key}: unknown field '${key}'`,
          }))
        : [{ file, line: locate.lineOf(path), message: `${at}: ${issue.message}` }]
    }),
  }
}
