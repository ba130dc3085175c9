/** Where the process reports what it does; one line per message, to stderr, so stdout stays clean. */
export interface Log {
  info(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/** A log that writes timestamped lines to stderr. */
export function createConsoleLog(name: string): Log {
  const line = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} [${name}] ${message}\n`)
  return {
    info: (message) => line('INFO ', message),
    warn: (message) => line('WARN ', message),
    error: (message, error) =>
      line(
        'ERROR',
        error === undefined ? message : `${message}: ${(error as Error)?.stack ?? String(error)}`,
      ),
  }
}
