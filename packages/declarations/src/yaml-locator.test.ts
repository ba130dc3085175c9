import { describe, expect, it } from 'vitest'
import { createYamlLocator, leadingPath } from './yaml-locator.ts'

const text = `# a comment
route:
  receiver: pager
  routes:
    - matchers: ['a="b"']
      receiver: ticket
---
second: document
`

describe('leadingPath', () => {
  it('reads the dotted and indexed path a problem text starts with', () => {
    expect(leadingPath('route.routes[0].receiver "x" is not declared')).toEqual([
      'route',
      'routes',
      0,
      'receiver',
    ])
    expect(leadingPath('rules[2].params.window')).toEqual(['rules', 2, 'params', 'window'])
  })

  it('is empty when the text does not start with a path', () => {
    expect(leadingPath('"quoted" is not a path')).toEqual([])
  })
})

describe('createYamlLocator', () => {
  const locate = createYamlLocator(text)

  it('finds the line of a key, in the document asked for', () => {
    expect(locate.lineOf(['route', 'routes', 0, 'receiver'])).toBe(6)
    expect(locate.lineOf(['second'], 1)).toBe(8)
  })

  it('falls back to the closest ancestor for a field that is missing', () => {
    expect(locate.lineOf(['route', 'routes', 0, 'group_by'])).toBe(5)
    expect(locate.lineOf(['nowhere'])).toBe(2)
  })
})
