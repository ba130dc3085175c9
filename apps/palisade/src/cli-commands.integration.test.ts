import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// The commands as users run them: the real launcher, exit codes and output.
const launcher = fileURLToPath(new URL('../bin/palisade.mjs', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'palisade-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function palisade(...args: string[]) {
  const run = spawnSync(process.execPath, [launcher, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('palisade rules | intent', () => {
  it('rules lint: the repository rules lint clean; rules test: their inline tests pass', () => {
    const lint = palisade('rules', 'lint')
    expect(lint.stdout).toMatch(/\d+ rules in \d+ files lint clean/)
    expect(lint.code).toBe(0)
    const test = palisade('rules', 'test')
    expect(test.stdout).toMatch(/\d+ passed, 0 failed/)
    expect(test.code).toBe(0)
  })

  it('intent check: the repository intent passes; a broken file fails with its place and reason', () => {
    const good = palisade('intent', 'check')
    expect(good.code).toBe(0)
    expect(good.stdout).toContain('NetworkPolicy')
    writeFileSync(
      join(dir, 'palisade.yaml'),
      'apiVersion: palisade.dev/v1\nkind: PalisadeIntent\nmetadata: { name: t }\nspec:\n  egres: []\n',
    )
    const bad = palisade('intent', 'check', dir)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain('egres')
  })

  it('rules noise: refuses bad arguments with its usage, and says when the API cannot be reached', () => {
    const bad = palisade('rules', 'noise', '--top', '0')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('usage: palisade rules noise')
    const down = palisade(
      'rules',
      'noise',
      '--url',
      'http://127.0.0.1:9',
      '--token',
      'cli-test-token-0123456789',
    )
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('rules failed')
  })

  it('refuses an unknown sub-command with the usage', () => {
    const run = palisade('rules', 'run')
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('usage: palisade rules <test|lint>')
  })
})
