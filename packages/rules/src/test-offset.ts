import { parseDuration } from '@palisade/duration'
import { z } from 'zod'

/** A rule-test time offset (`0s`, `90s`, `2h`), as milliseconds. */
export const offset = z.string().transform((text, context) => {
  const ms = text === '0' ? 0 : parseDuration(text)
  if (ms === undefined) {
    context.addIssue({
      code: 'custom',
      message: `bad offset '${text}': write a number and a unit, such as 0s, 90s or 2h`,
    })
    return z.NEVER
  }
  return ms
})
