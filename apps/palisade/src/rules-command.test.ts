import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CliUsageError } from './cli-args.ts'
import { parseRulesArgs, runRulesCommand } from './rules-command.ts'

const repoRules = fileURLToPath(new URL('../../../alerts/rules', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'palisade-rules-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('palisade rules', () => {
  it('parses test and lint, and refuses anything else with the usage', () => {
    expect(parseRulesArgs(['test', '--rule', 'identity.'], '/r')).toEqual({
      action: 'test',
      rulesDir: '/r',
      rule: 'identity.',
      list: false,
    })
    expect(() => parseRulesArgs(['run'], '/r')).toThrow(CliUsageError)
    expect(() => parseRulesArgs(['lint', '--bogus'], '/r')).toThrow(CliUsageError)
  })

  it("lints the repository's rules clean and runs their tests green", async () => {
    const lint = await runRulesCommand({ action: 'lint', rulesDir: repoRules, rule: undefined, list: false })
    expect(lint.output).toMatch(/^\d+ rules in \d+ files lint clean/)
    expect(lint.exitCode).toBe(0)
    const test = await runRulesCommand({
      action: 'test',
      rulesDir: repoRules,
      rule: 'lateral.new_edge',
      list: false,
    })
    expect(test.output).toContain('ok   lateral.new_edge › ')
    expect(test.output).toMatch(/\d+ passed, 0 failed/)
    expect(test.exitCode).toBe(0)
  })

  it('fails lint with the place of an unknown field, and fails test on a wrong expectation', async () => {
    const lateral = readFileSync(join(repoRules, 'lateral.yaml'), 'utf8')
    writeFileSync(
      join(dir, 'lateral.yaml'),
      lateral.replace('    severity: ticket', '    severity: ticket\n    noisy: true'),
    )
    const lint = await runRulesCommand({ action: 'lint', rulesDir: dir, rule: undefined, list: false }, dir)
    expect(lint.exitCode).toBe(1)
    expect(lint.output).toContain("lateral.yaml: rules[0] (lateral.new_edge).noisy: unknown field 'noisy'")
    writeFileSync(join(dir, 'lateral.yaml'), lateral.replace('severity: page\n', 'severity: info\n'))
    const test = await runRulesCommand(
      { action: 'test', rulesDir: dir, rule: 'lateral.new_edge', list: false },
      dir,
    )
    expect(test.exitCode).toBe(1)
    expect(test.output).toContain('FAIL lateral.new_edge')
    expect(test.output).toContain('severity is page, expected info')
  })

  it('lists the detector types for rule authors', async () => {
    const list = await runRulesCommand({ action: 'lint', rulesDir: repoRules, rule: undefined, list: true })
    expect(list.output).toMatch(/^new_edge\s+A service edge/m)
  })
})
