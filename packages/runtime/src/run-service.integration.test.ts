import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const service = fileURLToPath(new URL('./testing/slow-start-service.ts', import.meta.url))

function run(startMs: number): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', service, String(startMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += String(chunk)
  })
  child.stderr?.resume()
  // 'close', not 'exit': only then has all of its stdout been read.
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, output: () => output, exit }
}

describe('runService', () => {
  it('a SIGTERM while the service is starting stops it cleanly once started (exit 0), not by the default action', async () => {
    const { child, output, exit } = run(1500)
    await expect.poll(output, { timeout: 20_000 }).toContain('starting')
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(output()).toContain('started\n')
    expect(output()).toContain('stopped cleanly')
  }, 30_000)

  it('a SIGTERM after the banner stops it cleanly (exit 0)', async () => {
    const { child, output, exit } = run(0)
    await expect.poll(output, { timeout: 20_000 }).toContain('started')
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(output()).toContain('stopped cleanly')
  }, 30_000)
})
