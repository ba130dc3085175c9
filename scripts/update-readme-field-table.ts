// npm run docs:fields — rewrite the event field table in README.md from packages/schema, so that
// the README says what the code accepts (a test fails when they differ).
import { readFileSync, writeFileSync } from 'node:fs'
import { fieldTableMarkdown } from '@palisade/schema'

const path = new URL('../README.md', import.meta.url)
const readme = readFileSync(path, 'utf8')
const start = readme.indexOf('| kind ')
const end = readme.indexOf('\n\n', start)
if (start < 0 || end < 0) throw new Error('README.md has no field table (a table starting with "| kind ")')
writeFileSync(path, `${readme.slice(0, start)}${fieldTableMarkdown()}${readme.slice(end)}`)
console.log('README.md field table updated')
