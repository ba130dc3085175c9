import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CliUsageError } from './cli-args.ts'
import { parseSloArgs, runSloCommand } from './slo-command.ts'

const repoSlos = fileURLToPath(new URL('../../../alerts/slos', import.meta.url))
const fixtures = fileURLToPath(new URL('../../../packages/slo/fixtures/openslo', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'palisade-slo-lint-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name)
  mkdirSync(dir)
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  return dir
}

describe('palisade slo', () => {
  it('parses lint with an optional folder, and refuses anything else with the usage', () => {
    expect(parseSloArgs(['lint'], '/a/slos')).toEqual({ action: 'lint', sloDir: '/a/slos' })
    expect(parseSloArgs(['lint', '--dir', 'x'], '/a/slos')).toEqual({ action: 'lint', sloDir: 'x' })
    expect(() => parseSloArgs(['test'], '/a')).toThrow(CliUsageError)
    expect(() => parseSloArgs(['lint', '--bogus'], '/a')).toThrow(CliUsageError)
  })

  it("lints the repository's SLOs clean", async () => {
    const outcome = await runSloCommand({ action: 'lint', sloDir: repoSlos })
    expect(outcome).toEqual({
      output: expect.stringMatching(
        /^\d+ SLOs lint clean \(0 with their own alert policies, \d+ on the default/,
      ),
      exitCode: 0,
    })
  })

  it('reads every kind of a folder, across files', async () => {
    const dir = folder('kinds', {})
    copyFileSync(join(fixtures, 'palisade-multi-kind.yaml'), join(dir, 'identity.yaml'))
    const outcome = await runSloCommand({ action: 'lint', sloDir: dir })
    expect(outcome).toEqual({
      output: '1 SLOs lint clean (1 with their own alert policies, 0 on the default burn-rate tiers)',
      exitCode: 0,
    })
  })

  it('prints each problem as file:line: what, and exits 1', async () => {
    const text = readFileSync(join(fixtures, 'palisade-multi-kind.yaml'), 'utf8')
    const dir = folder('broken', {
      'a.yaml': text.replace('indicatorRef: auth-system-failures', 'indicatorRef: auth-failures'),
      'b.yaml': readFileSync(join(fixtures, 'readme-alert-condition.yaml'), 'utf8'),
    })
    const outcome = await runSloCommand({ action: 'lint', sloDir: dir }, root)
    expect(outcome.exitCode).toBe(1)
    expect(outcome.output.split('\n')).toEqual([
      'broken/a.yaml:69: document 6, spec.indicatorRef: no SLI named "auth-failures" (declared: auth-system-failures)',
      'broken/b.yaml:11: document 1, spec.condition.op: must be gt or gte: a burn-rate tier fires when the budget burns faster than the threshold, got "lte"',
      'broken/b.yaml:14: document 1, spec.condition.alertAfter: is not supported beyond 0m: the short window already makes an alert wait for a sustained burn',
      '',
      '3 problem(s) in broken',
    ])
  })
})
