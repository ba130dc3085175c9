import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { createMetricsRegistry } from './metrics.ts'

describe('createMetricsRegistry', () => {
  it('names no gauge like a counter, and keeps the active resources by type', async () => {
    const text = await createMetricsRegistry({ app: 'test' }).metrics()
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m)
    expect(text).toMatch(/^palisade_nodejs_active_resources\{type="\w+",app="test"\} \d+$/m)
  })

  it('passes promtool check metrics without a remark (Debian package prometheus)', async () => {
    const result = spawnSync('/usr/bin/promtool', ['check', 'metrics'], {
      input: await createMetricsRegistry().metrics(),
      encoding: 'utf8',
    })
    expect(result.error, 'promtool is missing: apt-get install prometheus').toBeUndefined()
    expect(`${result.stdout}${result.stderr}`).toBe('')
    expect(result.status).toBe(0)
  })
})
