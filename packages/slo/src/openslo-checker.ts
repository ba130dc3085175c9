import { type Document, isNode, type LineCounter } from 'yaml'
import type { SloProblem } from './errors.ts'

/** A field path inside one YAML document. */
export type Path = readonly (string | number)[]
/** A YAML mapping as parsed. */
export type Mapping = Record<string, unknown>

export function formatPath(path: Path): string {
  let text = ''
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`
  return text
}

export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Collects the problems of one YAML document, each located at the nearest node that exists. */
export class DocumentChecker {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    readonly source: string,
    readonly index: number,
    readonly problems: SloProblem[],
  ) {}

  report(path: Path, message: string): void {
    const problem: SloProblem = { source: this.source, document: this.index, path: formatPath(path), message }
    // A missing field has no node: point at the closest ancestor that has one.
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true)
      if (isNode(node) && node.range) {
        const { line, col } = this.lines.linePos(node.range[0])
        problem.line = line
        problem.column = col
        break
      }
    }
    this.problems.push(problem)
  }

  /** A mapping with only `allowed` keys (unknown ones are reported, typos included); else undefined. */
  mapping(
    value: unknown,
    path: Path,
    allowed: readonly string[] | 'any',
    unsupported: Record<string, string> = {},
  ): Mapping | undefined {
    if (!isMapping(value)) {
      this.report(path, value === undefined ? 'is required' : 'must be a mapping')
      return undefined
    }
    for (const key of Object.keys(value)) {
      const hint = unsupported[key]
      if (hint !== undefined) this.report([...path, key], `is not supported: ${hint}`)
      else if (allowed !== 'any' && !allowed.includes(key))
        this.report([...path, key], `unknown field "${key}" (expected one of: ${allowed.join(', ')})`)
    }
    return value
  }

  text(value: unknown, path: Path, options: { required: boolean; max?: number }): string | undefined {
    if (value === undefined || value === null) {
      if (options.required) this.report(path, 'is required')
      return undefined
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.report(path, 'must be a non-empty string')
      return undefined
    }
    if (value.length > (options.max ?? 256)) {
      this.report(path, `must be at most ${options.max ?? 256} characters`)
      return undefined
    }
    return value
  }

  exactly(value: unknown, path: Path, expected: string | boolean, hint: string): boolean {
    if (value === expected) return true
    this.report(
      path,
      value === undefined
        ? `is required (${hint})`
        : `must be ${JSON.stringify(expected)} (${hint}), got ${JSON.stringify(value)}`,
    )
    return false
  }

  /** A list of exactly one mapping, as OpenSLO's `timeWindow` and (for us) `objectives` are. */
  single(value: unknown, path: Path, what: string): unknown {
    if (!Array.isArray(value)) {
      this.report(path, value === undefined ? 'is required' : `must be a list with one ${what}`)
      return undefined
    }
    if (value.length !== 1) {
      this.report(path, `must hold exactly one ${what}, got ${value.length}`)
      return undefined
    }
    return value[0]
  }
}
