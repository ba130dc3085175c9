import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fieldTableMarkdown } from './field-table.ts'

// Cell padding is the formatter's business; the cells are ours.
const cells = (markdown: string) => markdown.replace(/ *\| */g, '|').replace(/\|-+/g, '|-')

describe('README', () => {
  it('shows the event field table as the schema defines it', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    expect(cells(readme)).toContain(cells(fieldTableMarkdown()))
  })
})
