import { PalisadeError } from '@palisade/errors'

/** Environment variables as `loadConfig(env)` receives them. */
export type Env = Record<string, string | undefined>

/** A configuration that has problems; `problems` lists every one, so a user fixes them in one go. */
export class ConfigInvalidError extends PalisadeError {
  constructor(readonly problems: string[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      {
        retriable: false,
      },
    )
  }
}

/**
 * Typed readers over an environment that record problems instead of throwing at the first;
 * call `done()` to throw {@link ConfigInvalidError} with all of them.
 */
export function createEnvReader(env: Env) {
  const problems: string[] = []
  const raw = (name: string) => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  return {
    problems,
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback
    },
    optionalString(name: string): string | undefined {
      return raw(name)
    },
    positiveInt(name: string, fallback: number): number {
      const value = raw(name)
      if (value === undefined) return fallback
      const number = Number(value)
      if (!Number.isInteger(number) || number <= 0) {
        problems.push(`${name} must be a positive integer, got "${value}"`)
        return fallback
      }
      return number
    },
    port(name: string, fallback: number): number {
      const value = raw(name)
      if (value === undefined) return fallback
      const number = Number(value)
      if (!Number.isInteger(number) || number < 0 || number > 65535) {
        problems.push(`${name} must be a port number (0-65535), got "${value}"`)
        return fallback
      }
      return number
    },
    url(name: string): string | undefined {
      const value = raw(name)
      if (value === undefined) return undefined
      const protocol = URL.canParse(value) ? new URL(value).protocol : undefined
      if (protocol === 'http:' || protocol === 'https:') return value
      problems.push(`${name} must be an http(s) URL, got "${value}"`)
      return undefined
    },
    problem(message: string): void {
      problems.push(message)
    },
    /** Throw every recorded problem at once, if there is any. */
    done(): void {
      if (problems.length > 0) throw new ConfigInvalidError(problems)
    },
  }
}

export type EnvReader = ReturnType<typeof createEnvReader>
