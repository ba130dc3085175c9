import { execFile } from 'node:child_process'
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { testEnvironment } from './config.ts'
import { TestHarnessError } from './errors.ts'

/** The OPA release the tests run, built from the Go module proxy (newest v1.x when pinned). */
export const opaVersion = 'v1.22.2'

const opaModule = 'github.com/open-policy-agent/opa'

/** Where the built binary is kept between runs: `$XDG_CACHE_HOME` or `~/.cache`, then `palisade/opa/<version>`. */
export function opaCacheDir(env: NodeJS.ProcessEnv = testEnvironment()): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'palisade', 'opa', opaVersion)
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The `go` command: `$GO`, else `go` on the PATH, else the usual install at /usr/local/go. */
export function findGo(env: NodeJS.ProcessEnv = testEnvironment()): string | undefined {
  const candidates = [
    env.GO,
    ...(env.PATH ?? '').split(delimiter).map((dir) => (dir ? join(dir, 'go') : undefined)),
    '/usr/local/go/bin/go',
  ]
  return candidates.find((path): path is string => path !== undefined && executable(path))
}

/**
 * Whether the tests can have OPA: a cached binary, or Go to build one. Under CI (`inCi`) they
 * must: a missing toolchain fails instead of skipping.
 */
export function opaAvailable(inCi: boolean): boolean {
  const available = executable(join(opaCacheDir(), 'opa')) || findGo() !== undefined
  if (!available && inCi) {
    throw new TestHarnessError(
      'TOOL_MISSING',
      `no Go toolchain to build OPA ${opaVersion} (set GO or put go on the PATH); CI must have it`,
    )
  }
  return available
}

/**
 * The path of the OPA binary, built once with `go install <module>@<version>` into the cache dir
 * (a cold build takes one to a few minutes: modules come from the Go module proxy). The build goes
 * to a fresh directory renamed into place, so a cut build or two test runs at once never leave a
 * broken binary behind.
 */
export async function ensureOpaBinary(env: NodeJS.ProcessEnv = testEnvironment()): Promise<string> {
  const dir = opaCacheDir(env)
  const binary = join(dir, 'opa')
  if (executable(binary)) return binary
  const go = findGo(env)
  if (!go) throw new TestHarnessError('TOOL_MISSING', `no Go toolchain to build OPA ${opaVersion}`)
  const parent = join(dir, '..')
  mkdirSync(parent, { recursive: true })
  const staging = mkdtempSync(join(parent, `.${opaVersion}-build-`))
  chmodSync(staging, 0o755)
  try {
    // Outside any Go module (cwd: tmp), `go install pkg@version` builds exactly the pinned release.
    await promisify(execFile)(go, ['install', `${opaModule}@${opaVersion}`], {
      cwd: tmpdir(),
      env: { ...env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    if (!existsSync(binary)) {
      // A directory left without its binary (an interrupted run) is replaced.
      rmSync(dir, { recursive: true, force: true })
      renameSync(staging, dir)
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return binary
}
