import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// The alerting rules for Palisade itself, as the Prometheus that scrapes it would load them.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const rulesFile = join(repoRoot, 'alerts', 'palisade-self.rules.yaml')

/** Every `.ts` file under `dir`, tests and node_modules left out. */
function sourceFiles(dir: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...sourceFiles(path))
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      files.push(path)
  }
  return files
}

describe('alerts/palisade-self.rules.yaml', () => {
  it('passes promtool check rules (Debian package prometheus)', () => {
    const result = spawnSync('/usr/bin/promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' })
    expect(result.error, 'promtool is missing: apt-get install prometheus').toBeUndefined()
    expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS: \d+ rules found/)
    expect(result.status).toBe(0)
  })

  it('names only metrics the code exports', () => {
    const groups = (parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { expr: string }[] }[] })
      .groups
    const named = new Set<string>()
    for (const group of groups)
      for (const rule of group.rules)
        for (const [name] of rule.expr.matchAll(/palisade_[a-z0-9_]+/g))
          named.add(name.replace(/_(bucket|sum|count)$/, ''))
    const exported = new Set<string>()
    for (const file of [...sourceFiles(join(repoRoot, 'apps')), ...sourceFiles(join(repoRoot, 'packages'))])
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/name: '(palisade_[a-z0-9_]+)'/g))
        exported.add(name!)
    expect(named.size).toBeGreaterThan(10)
    expect([...named].filter((name) => !exported.has(name))).toEqual([])
  })
})
