import { describe, expect, it } from 'vitest'
import { createTimeMuter } from './time-mute.ts'

const maintenance = {
  name: 'maintenance',
  periods: [{ weekdays: [] as Array<[number, number]>, times: [[120, 240]] as Array<[number, number]> }],
}

describe('time muter', () => {
  it('mutes every alert while a named interval is active, and none outside it', () => {
    const muter = createTimeMuter([maintenance], ['maintenance'])
    expect(muter.mutes({ service: 'batch' }, Date.UTC(2026, 10, 23, 2, 30))).toBe(true)
    expect(muter.mutes({ service: 'batch' }, Date.UTC(2026, 10, 23, 4, 0))).toBe(false)
  })

  it('never mutes a route that names no interval', () => {
    expect(createTimeMuter([maintenance], []).mutes({}, Date.UTC(2026, 10, 23, 2, 30))).toBe(false)
  })
})
