import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { startSloSchedule } from './slo-schedule.ts'

const EVERY_SECOND = '* * * * * *'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('startSloSchedule', () => {
  it('evaluates on every tick until stopped', async () => {
    let runs = 0
    const stop = startSloSchedule(
      {
        evaluateAll: async () => {
          runs += 1
          return []
        },
      },
      { schedule: EVERY_SECOND },
    )
    await sleep(2_300)
    await stop()
    const atStop = runs
    expect(atStop).toBeGreaterThanOrEqual(2)
    await sleep(1_200)
    expect(runs).toBe(atStop)
  })

  it('reports a failed evaluation to onError, counts it, and keeps ticking', async () => {
    const errors: unknown[] = []
    const registry = new Registry()
    const stop = startSloSchedule(
      {
        evaluateAll: async () => {
          throw new Error('store down')
        },
      },
      { schedule: EVERY_SECOND, onError: (error) => errors.push(error), registry },
    )
    await sleep(2_300)
    await stop()
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(errors[0]).toBeInstanceOf(Error)
    // Each failure counted, so that an operator sees SLO alerting has stopped.
    expect(await registry.metrics()).toMatch(
      new RegExp(`^palisade_slo_evaluations_total\\{outcome="failed"\\} ${errors.length}$`, 'm'),
    )
  })

  it('waits for the evaluation in flight when stopped', async () => {
    let started = false
    let release: () => void = () => {}
    const stop = startSloSchedule(
      {
        evaluateAll: async () => {
          started = true
          await new Promise<void>((resolve) => {
            release = resolve
          })
          return []
        },
      },
      { schedule: EVERY_SECOND },
    )
    while (!started) await sleep(20)
    let stopped = false
    const stopping = stop().then(() => {
      stopped = true
    })
    await sleep(100)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(stopped).toBe(true)
  })

  it('throws at once on an invalid cron expression', () => {
    expect(() => startSloSchedule({ evaluateAll: async () => [] }, { schedule: 'every minute' })).toThrow()
  })
})
