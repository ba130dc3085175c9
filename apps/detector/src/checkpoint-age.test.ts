import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { reportCheckpointAge } from './checkpoint-age.ts'

describe('reportCheckpointAge', () => {
  it('grows from start until a checkpoint is saved, then starts again', async () => {
    let now = 1_000_000
    const registry = new Registry()
    const age = reportCheckpointAge(registry, () => now)
    now += 90_000
    expect(await registry.metrics()).toMatch(/^palisade_detector_checkpoint_age_seconds 90$/m)
    age.saved()
    now += 5_000
    expect(await registry.metrics()).toMatch(/^palisade_detector_checkpoint_age_seconds 5$/m)
  })
})
