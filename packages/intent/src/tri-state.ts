/**
 * Three-valued answers for "does this declaration match this event?". Telemetry often lacks what a
 * declaration tests (a named port, an HTTP path, a client IP): that is `unknown`. Callers decide how
 * to read it; Palisade reads it so that a verdict is `denied` only when a declaration certainly denies:
 * an allow rule matches unless it is certainly `false`, a deny rule matches only when certainly `true`.
 */
export type Tri = true | false | 'unknown'

/** Conjunction: false wins, then unknown. */
export function triAnd(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false
  if (a === 'unknown' || b === 'unknown') return 'unknown'
  return true
}

/** Disjunction: true wins, then unknown. */
export function triOr(a: Tri, b: Tri): Tri {
  if (a === true || b === true) return true
  if (a === 'unknown' || b === 'unknown') return 'unknown'
  return false
}

/** Negation: unknown stays unknown. */
export function triNot(a: Tri): Tri {
  return a === 'unknown' ? 'unknown' : !a
}

/** Any of `items` matches (false for an empty list). */
export function triSome<T>(items: readonly T[], test: (item: T) => Tri): Tri {
  let answer: Tri = false
  for (const item of items) {
    answer = triOr(answer, test(item))
    if (answer === true) return true
  }
  return answer
}
