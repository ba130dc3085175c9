import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openClickHouse } from '@palisade/clickhouse'
import { afterAll, describe, expect, it } from 'vitest'

// What a new user meets first, through the real launcher: each mistake answered by one line that
// names what to change, with the right exit code, and no stack trace.
const launcher = fileURLToPath(new URL('../bin/palisade.mjs', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'palisade-first-run-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The environment of a user who set nothing but what the test names. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  return { ...clean, ...extra }
}

function palisade(args: string[], extra: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [launcher, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: env({ PALISADE_DATA_DIR: join(dir, 'unused'), ...extra }),
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

const stackFrame = /^\s+at /m

describe('palisade help', () => {
  it('help prints the commands and exits 0', () => {
    const run = palisade(['help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('usage: palisade <command>')
  })

  it('start --help and migrate --help print their usage, exit 0, and neither start nor migrate', () => {
    // helpAsked's unit test covers every command; these two are the ones that used to do harm.
    for (const command of ['start', 'migrate']) {
      const run = palisade([command, '--help'])
      expect(run.code, command).toBe(0)
      expect(run.stdout, command).toContain(`usage: palisade ${command}`)
    }
    expect(existsSync(join(dir, 'unused'))).toBe(false)
  })

  it('an unknown option in replay is one line and exit 2', () => {
    const run = palisade(['replay', 'flow', 'events.ndjson', '--bogus'])
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split('\n')).toEqual([
      'palisade replay: unknown option --bogus ("palisade replay --help" shows the usage)',
    ])
  })
})

describe('palisade start: what stops it, in one line', () => {
  it('a missing alerts folder names PALISADE_ALERTS_DIR, exit 2', () => {
    const run = palisade(['start'], { PALISADE_ALERTS_DIR: join(dir, 'no-such-alerts') })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`PALISADE_ALERTS_DIR: ${join(dir, 'no-such-alerts')} does not exist`)
    expect(run.stderr).not.toContain('ENOENT')
    expect(run.stderr).not.toMatch(stackFrame)
  })

  it('a collector port in use names PALISADE_COLLECTOR_PORT, exit 2', async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    try {
      const run = palisade(['start'], {
        PALISADE_DATA_DIR: join(dir, 'port-clash'),
        PALISADE_COLLECTOR_PORT: String(port),
        PALISADE_DASHBOARD_PORT: '0',
      })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(
        `port ${port} on 127.0.0.1 is in use; set PALISADE_COLLECTOR_PORT to a free port`,
      )
      expect(run.stderr).not.toMatch(stackFrame)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it('a data directory held by another process names PALISADE_DATA_DIR, exit 2', async () => {
    const dataDir = join(dir, 'held')
    const holder = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
    try {
      const run = palisade(['migrate'], { PALISADE_DATA_DIR: dataDir })
      expect(run.code).toBe(2)
      expect(run.stderr.trim()).toBe(
        `the data directory ${join(dataDir, 'clickhouse')} is in use by process ${process.pid}; stop it, or set PALISADE_DATA_DIR to another directory`,
      )
    } finally {
      await holder.close()
    }
  })
})

/** Resolves with the exit code once the child exits. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('palisade ingester', () => {
  it('stops on SIGTERM while Kafka is unreachable, before kafkajs gives up connecting (about 20 s)', async () => {
    const child = spawn(process.execPath, [launcher, 'ingester'], {
      cwd: repoRoot,
      env: env({
        KAFKA_BROKERS: '127.0.0.1:1',
        PALISADE_TOKEN: 'first-run-test-token-0123',
        PALISADE_DATA_DIR: join(dir, 'ingester'),
        PALISADE_INGESTER_PORT: '0',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exit = exited(child)
    let stdout = ''
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk)
    })
    child.stderr?.resume()
    await expect.poll(() => stdout, { timeout: 30_000 }).toContain('ingester consuming from 127.0.0.1:1')
    child.kill('SIGTERM')
    const deadline = new Promise<'still running'>((resolve) =>
      // Below the ~20 s kafkajs spends before giving up, with room for a loaded machine.
      setTimeout(() => resolve('still running'), 15_000),
    )
    const outcome = await Promise.race([exit, deadline])
    if (outcome === 'still running') child.kill('SIGKILL')
    expect(outcome).toBe(0)
  }, 120_000)
})
