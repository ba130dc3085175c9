/**
 * Runs tasks one after another, each starting once the one before settled (a failure does not stop
 * the queue). Used where two steps must not interleave: the finding store's and quarantine
 * writer's "look up ids, then insert" (two deliveries of one record must not both pass the
 * look-up), and the detector runtime's batches and state reloads.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task)
    tail = run.catch(() => undefined)
    return run
  }
}
