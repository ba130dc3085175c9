import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type BuildIntentOptions,
  type BuiltIntent,
  buildIntent,
  formatIntentReport,
  type IntentDocumentInput,
  type IntentProblem,
  parseIntentFile,
} from '@palisade/intent'
import { IntentDirectoryError } from './errors.ts'

/** What {@link loadIntentDirectory} read: the intent, every problem, and the files in reading order. */
export interface LoadedIntent extends BuiltIntent {
  files: string[]
}

const intentFile = /\.(ya?ml|json)$/i

/** Intent files under `dir`, recursively, sorted; hidden files and folders (`.git`) are skipped. */
async function listIntentFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...(await listIntentFiles(path)))
    else if (entry.isFile() && intentFile.test(entry.name)) files.push(path)
  }
  return files
}

/**
 * Read every `*.yaml`, `*.yml` and `*.json` under `dir` (recursively; multi-document YAML, `kind: List`
 * flattened) and build the declared intent. Problems are returned, not thrown; a directory that cannot
 * be read throws {@link IntentDirectoryError} naming the path.
 */
export async function loadIntentDirectory(
  dir: string,
  options: BuildIntentOptions = {},
): Promise<LoadedIntent> {
  let isDirectory: boolean
  let files: string[] = []
  try {
    isDirectory = (await stat(dir)).isDirectory()
    if (isDirectory) files = await listIntentFiles(dir)
  } catch (error) {
    throw new IntentDirectoryError(dir, error)
  }
  if (!isDirectory) throw new IntentDirectoryError(dir, 'not a directory')
  const documents: IntentDocumentInput[] = []
  const syntaxProblems: IntentProblem[] = []
  for (const file of files) {
    const parsed = parseIntentFile(file, await readFile(file, 'utf8'))
    documents.push(...parsed.documents)
    syntaxProblems.push(...parsed.problems)
  }
  const built = buildIntent(documents, options)
  return { ...built, problems: [...syntaxProblems, ...built.problems], files }
}

/**
 * `palisade intent check <dir>`: load the directory and describe what it declares, then its problems.
 * `ok` is false when there is an error (warnings do not count) or the directory cannot be read.
 */
export async function checkIntentDirectory(
  dir: string,
  options: BuildIntentOptions = {},
): Promise<{ report: string; ok: boolean }> {
  let loaded: LoadedIntent
  try {
    loaded = await loadIntentDirectory(dir, options)
  } catch (error) {
    if (error instanceof IntentDirectoryError) return { report: error.message, ok: false }
    throw error
  }
  return {
    report: formatIntentReport(dir, loaded),
    ok: !loaded.problems.some((problem) => problem.level === 'error'),
  }
}
