import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fieldTableMarkdown } from './field-table.ts'

describe('README', () => {
  it('shows the event field table as the schema defines it', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(fieldTableMarkdown())
  })
})
