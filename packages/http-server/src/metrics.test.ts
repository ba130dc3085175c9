import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { reportDependencyUp } from './dependency-up.ts'
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

describe('createMetricsRegistry > what runs here', () => {
  it('says which version and Node.js run, and whether each dependency answered at the scrape', async () => {
    const registry = createMetricsRegistry({ app: 'test' })
    let kafkaUp = true
    reportDependencyUp(registry, 'kafka', () => kafkaUp)
    reportDependencyUp(registry, 'clickhouse', async () => {
      throw new Error('connection refused')
    })
    let text = await registry.metrics()
    expect(text).toMatch(/^palisade_build_info\{version="\d+\.\d+\.\d+",nodejs="v\d+[^"]*",app="test"\} 1$/m)
    expect(text).toMatch(/^palisade_dependency_up\{dependency="kafka",app="test"\} 1$/m)
    expect(text).toMatch(/^palisade_dependency_up\{dependency="clickhouse",app="test"\} 0$/m)
    kafkaUp = false
    text = await registry.metrics()
    expect(text).toMatch(/^palisade_dependency_up\{dependency="kafka",app="test"\} 0$/m)
  })
})
