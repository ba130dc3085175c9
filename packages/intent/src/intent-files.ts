import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Document, isMap, isNode, isScalar, LineCounter, parseAllDocuments } from 'yaml'
import type { DocumentPath } from './document-context.ts'
import { IntentDirectoryError } from './errors.ts'
import {
  type BuildIntentOptions,
  type BuiltIntent,
  buildIntent,
  type IntentDocumentInput,
} from './intent-documents.ts'
import type { IntentProblem } from './intent-problem.ts'
import { formatIntentReport } from './intent-report.ts'

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
 * Line of the field at `path`: the key's line for a mapping entry (where a person looks for a typo),
 * the item's for a list entry, else the nearest ancestor's (a missing field has no node).
 */
function locator(document: Document.Parsed, lines: LineCounter): (path: DocumentPath) => number | undefined {
  const nodeAt = (path: DocumentPath): unknown => {
    if (path.length === 0) return document.contents
    const node = document.getIn(path, true)
    if (isNode(node)) return node
    // YAML reads `9187:` as a number key; the parsed object (and so the path) has the string.
    const numeric = path.map((part) => (typeof part === 'string' && /^\d+$/.test(part) ? Number(part) : part))
    return document.getIn(numeric, true)
  }
  const keyAt = (path: DocumentPath): unknown => {
    const parent = nodeAt(path.slice(0, -1))
    const last = path[path.length - 1]
    if (!isMap(parent)) return undefined
    return parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(last))?.key
  }
  return (path) => {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const prefix = path.slice(0, depth)
      for (const node of [depth > 0 ? keyAt(prefix) : undefined, nodeAt(prefix)]) {
        if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
      }
    }
    return undefined
  }
}

/** Parse one file's YAML (or JSON, a subset of YAML 1.2) stream into documents; syntax errors become problems. */
export function parseIntentFile(
  file: string,
  text: string,
): { documents: IntentDocumentInput[]; problems: IntentProblem[] } {
  const lines = new LineCounter()
  const parsed = parseAllDocuments(text, { lineCounter: lines })
  const documents: IntentDocumentInput[] = []
  const problems: IntentProblem[] = []
  if (!Array.isArray(parsed)) return { documents, problems }
  for (const [index, document] of parsed.entries()) {
    const source = `${file}#${index + 1}`
    for (const warning of document.warnings) {
      const at = warning.linePos?.[0]
      problems.push({
        source,
        level: 'warning',
        message: `YAML: ${warning.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        ...(at ? { line: at.line } : {}),
      })
    }
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const at = error.linePos?.[0]
        const where = at ? ` at line ${at.line}, column ${at.col}` : ''
        const message = error.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '')
        problems.push({
          source,
          level: 'error',
          message: `YAML syntax error${where}: ${message}; document not read`,
          ...(at ? { line: at.line } : {}),
        })
      }
      continue
    }
    if (document.contents === null) continue
    documents.push({ source, document: document.toJS(), locate: locator(document, lines) })
  }
  return { documents, problems }
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
  let files: string[]
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory')
    files = await listIntentFiles(dir)
  } catch (error) {
    throw new IntentDirectoryError(dir, error)
  }
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
