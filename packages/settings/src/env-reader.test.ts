import { describe, expect, it } from 'vitest'
import { ConfigInvalidError, createEnvReader } from './env-reader.ts'

describe('env reader', () => {
  it('reads typed values with defaults', () => {
    const env = createEnvReader({ A: '8', P: '0', U: 'http://127.0.0.1:9/x' })
    expect(env.positiveInt('A', 1)).toBe(8)
    expect(env.positiveInt('MISSING', 3)).toBe(3)
    expect(env.port('P', 80)).toBe(0)
    expect(env.url('U')).toBe('http://127.0.0.1:9/x')
    expect(() => env.done()).not.toThrow()
  })

  it('reports every problem at once', () => {
    const env = createEnvReader({ A: '-1', P: '70000', U: 'ftp://x' })
    env.positiveInt('A', 1)
    env.port('P', 80)
    env.url('U')
    try {
      env.done()
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigInvalidError)
      expect((error as ConfigInvalidError).problems).toHaveLength(3)
      expect((error as Error).message).toContain('P must be a port number')
    }
  })
})
