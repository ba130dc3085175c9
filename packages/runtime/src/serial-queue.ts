/**
 * Runs tasks one after another. The event writer's "look up ids, then insert" must not interleave
 * for one table, or two retries of the same request arriving together would both pass the look-up.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task)
    tail = run.catch(() => undefined)
    return run
  }
}
