/**
 * A pure function's answers kept for the most frequent inputs (identities and paths repeat: a
 * tenant has thousands of workloads, not millions): at most `limit` entries, all dropped at once
 * when full, so the heap stays bounded. Not detector state: nothing in it needs checkpointing.
 */
export function memoize<R>(compute: (input: string) => R, limit = 10_000): (input: string) => R {
  let answers = new Map<string, R>()
  return (input) => {
    const known = answers.get(input)
    if (known !== undefined || answers.has(input)) return known as R
    const answer = compute(input)
    if (answers.size >= limit) answers = new Map()
    answers.set(input, answer)
    return answer
  }
}
