/** One thing wrong with (or worth knowing about) an intent document, located so a person can fix it. */
export interface IntentProblem {
  /** File and document, e.g. `intent/shop.yaml#2 (NetworkPolicy shop/default-deny)`. */
  source: string
  /** What is wrong, led by the field path when there is one: `spec.ingress[0].ports[0].port: expected ...`. */
  message: string
  /** `error`: the document (or this part of it) was not used; `warning`: used, but read with a caveat. */
  level: 'error' | 'warning'
  /** 1-based line of the offending node, when the document came from a file we parsed. */
  line?: number
}

/** Render a problem as `source: message`, with its line when known: `file#2 (Kind ns/name) line 14: ...`. */
export function formatIntentProblem(problem: IntentProblem): string {
  const line = problem.line === undefined ? '' : ` line ${problem.line}`
  return `${problem.source}${line}: ${problem.message}`
}
