import { type Document, isMap, isNode, isScalar, LineCounter, parseAllDocuments } from 'yaml'

/** A step into a YAML (or JSON) document: a mapping key or a list index. */
export type PathPart = string | number

/** Finds the line of a path in a text, for problems that name a path but not a line. */
export interface YamlLocator {
  /**
   * 1-based line of the node at `path` in document `document` (0-based): the key's line for a
   * mapping entry (where a person looks for a typo), else the closest ancestor that exists (a
   * missing field has no node), else the document's first line.
   */
  lineOf(path: readonly PathPart[], document?: number): number
}

/** Index a text (YAML, or JSON: a subset of YAML 1.2) for {@link YamlLocator.lineOf}. */
export function createYamlLocator(text: string): YamlLocator {
  const lines = new LineCounter()
  const documents = parseAllDocuments(text, { lineCounter: lines })
  const list: Document.Parsed[] = Array.isArray(documents) ? documents : []
  const lineAt = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined
  return {
    lineOf(path, index = 0) {
      const document = list[index]
      if (!document) return 1
      for (let depth = path.length; depth > 0; depth -= 1) {
        const prefix = path.slice(0, depth)
        const parent = prefix.length === 1 ? document.contents : document.getIn(prefix.slice(0, -1), true)
        const last = prefix[prefix.length - 1]
        const key = isMap(parent)
          ? parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(last))?.key
          : undefined
        const line = lineAt(key) ?? lineAt(document.getIn(prefix, true))
        if (line !== undefined) return line
      }
      return lineAt(document.contents) ?? 1
    },
  }
}

/**
 * The path a problem text starts with, as parts: `route.routes[0].receiver must be ...` →
 * `['route', 'routes', 0, 'receiver']`; empty when the text does not start with one.
 */
export function leadingPath(text: string): PathPart[] {
  const match = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*)(?=[\s:]|$)/.exec(text)
  if (!match) return []
  return [...match[1]!.matchAll(/([A-Za-z_][\w-]*)|\[(\d+)\]/g)].map((part) =>
    part[2] === undefined ? part[1]! : Number(part[2]),
  )
}
