import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { accesses, grants, roles } from '@palisade/http-server'
import { describe, expect, it } from 'vitest'

// The README's role table is what people read; `grants` is what the routes enforce. They must agree.
const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8')

describe('README role table', () => {
  it('says for every role exactly what the code grants it', () => {
    const header = readme
      .split('\n')
      .find((line) => line.startsWith('| Role ') && line.includes('investigate'))
    expect(header).toBeDefined()
    const columns = header!
      .split('|')
      .map((cell) => cell.trim())
      .filter(Boolean)
      .slice(1)
    expect(columns).toEqual(accesses.filter((access) => access !== 'public'))
    for (const role of roles) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${role}\` `))
      expect(row, role).toBeDefined()
      const cells = row!
        .split('|')
        .map((cell) => cell.trim())
        .filter(Boolean)
        .slice(1)
      const granted = columns.filter((_, i) => cells[i] === 'yes')
      expect(granted, role).toEqual(columns.filter((access) => grants[role].has(access as never)))
    }
  })
})
