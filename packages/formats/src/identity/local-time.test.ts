import { describe, expect, it } from 'vitest'
import { isCalendarDate, parseTimeZone, type TimeZone, wallTimeToEpochMs } from './local-time.ts'

const wall = (iso: string): number => Date.parse(`${iso}Z`)

function zone(name: string): TimeZone {
  const parsed = parseTimeZone(name)
  if (parsed === undefined) throw new Error(`no time zone ${name}`)
  return parsed
}

describe('local time > wallTimeToEpochMs', () => {
  it('reads UTC and fixed offsets, with or without a colon', () => {
    expect(wallTimeToEpochMs(wall('2024-06-01T12:00:00'), zone('UTC'))).toBe(wall('2024-06-01T12:00:00'))
    expect(wallTimeToEpochMs(wall('2024-06-01T12:00:00'), zone('+02:00'))).toBe(wall('2024-06-01T10:00:00'))
    expect(wallTimeToEpochMs(wall('2024-06-01T12:00:00'), zone('-0530'))).toBe(wall('2024-06-01T17:30:00'))
  })

  it('follows daylight saving time in an IANA zone', () => {
    const berlin = zone('Europe/Berlin')
    expect(wallTimeToEpochMs(wall('2024-01-15T12:00:00'), berlin)).toBe(wall('2024-01-15T11:00:00'))
    expect(wallTimeToEpochMs(wall('2024-07-15T12:00:00.250'), berlin)).toBe(wall('2024-07-15T10:00:00.250'))
  })

  it('reads a time the spring change skips with the offset before it (02:30 is 03:30 summer time)', () => {
    expect(wallTimeToEpochMs(wall('2024-03-31T02:30:00'), zone('Europe/Berlin'))).toBe(
      wall('2024-03-31T01:30:00'),
    )
  })

  it('takes a time the autumn change repeats at its first occurrence', () => {
    expect(wallTimeToEpochMs(wall('2024-10-27T02:30:00'), zone('Europe/Berlin'))).toBe(
      wall('2024-10-27T00:30:00'),
    )
  })
})

describe('local time > parseTimeZone', () => {
  it('knows no unknown zone name and no offset beyond 18 hours', () => {
    expect(parseTimeZone('Europe/Atlantis')).toBeUndefined()
    expect(parseTimeZone('+19:00')).toBeUndefined()
  })
})

describe('local time > isCalendarDate', () => {
  it('knows leap years and short months', () => {
    expect(isCalendarDate(2024, 2, 29)).toBe(true)
    expect(isCalendarDate(2023, 2, 29)).toBe(false)
    expect(isCalendarDate(2024, 4, 31)).toBe(false)
    expect(isCalendarDate(2024, 13, 1)).toBe(false)
  })
})
