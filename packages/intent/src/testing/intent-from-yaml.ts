import type { WorkloadRef } from '../declared-intent.ts'
import { type BuildIntentOptions, type BuiltIntent, buildIntent } from '../intent-documents.ts'
import { parseIntentFile } from '../intent-files.ts'

/** Build intent from YAML text as if it were the file `test.yaml` (syntax problems included). */
export function intentFromYaml(text: string, options: BuildIntentOptions = {}): BuiltIntent {
  const parsed = parseIntentFile('test.yaml', text)
  const built = buildIntent(parsed.documents, options)
  return { ...built, problems: [...parsed.problems, ...built.problems] }
}

/** `shop/frontend` → `{ namespace: 'shop', name: 'frontend' }`. */
export function ref(text: string): WorkloadRef {
  const [namespace, name] = text.split('/') as [string, string]
  return { namespace, name }
}
