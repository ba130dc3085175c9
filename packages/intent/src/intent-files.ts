import { type Document, isMap, isNode, isScalar, LineCounter, parseAllDocuments } from 'yaml'
import type { DocumentPath } from './document-context.ts'
import type { IntentDocumentInput } from './intent-documents.ts'
import type { IntentProblem } from './intent-problem.ts'

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
