import { createHash } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaTestBrokerError } from '../errors.ts'
import { runCommand, tail } from './run-command.ts'

/** The Kafka release the test broker runs: the one `kafka-broker/pom.xml` names. */
export const kafkaVersion = '3.9.1'

/** The Maven project that lists the broker's jars. */
const brokerPom = fileURLToPath(new URL('../../kafka-broker/pom.xml', import.meta.url))

/** The Maven project that lists Kafka's own tools (ProducerPerformance), beside the broker's jars. */
const toolsPom = fileURLToPath(new URL('../../kafka-tools/pom.xml', import.meta.url))

/** Written into the libs directory last: its presence (with the pom's hash) says the copy is whole. */
const markerName = '.complete'

/** Settings of {@link resolveKafkaJars}. */
export interface KafkaJarsOptions {
  /** Cache of this Kafka version's jars (default `~/.cache/palisade/kafka/3.9.1`). */
  cacheDir?: string
  /** Longest wait for Maven, or for another process resolving the same cache, ms (default 10 min). */
  timeoutMs?: number
}

/**
 * The directory holding the Kafka broker's jars (`java -cp '<dir>/*'`), resolved from Maven Central
 * through Maven (`~/.m2`) on first use and reused afterwards. Test files run in parallel processes,
 * so one resolves while the others wait on a lock file.
 */
export function resolveKafkaJars(options: KafkaJarsOptions = {}): Promise<string> {
  return resolveMavenJars(brokerPom, 'libs', options)
}

/**
 * The directory holding the `kafka-tools` jar of the broker's version (Apache Kafka's own
 * `org.apache.kafka.tools.ProducerPerformance`), resolved like {@link resolveKafkaJars}. It runs with
 * `java -cp '<broker libs>/*:<this dir>/*'`: its other dependencies are among the broker's jars.
 */
export function resolveKafkaToolsJars(options: KafkaJarsOptions = {}): Promise<string> {
  return resolveMavenJars(toolsPom, 'tools', options)
}

/** The jars `pomPath` lists, copied once into `<cacheDir>/<name>` (marked whole with the pom's hash). */
async function resolveMavenJars(pomPath: string, name: string, options: KafkaJarsOptions): Promise<string> {
  const cacheDir = options.cacheDir ?? join(homedir(), '.cache', 'palisade', 'kafka', kafkaVersion)
  const libsDir = join(cacheDir, name)
  const deadline = Date.now() + (options.timeoutMs ?? 600_000)
  const pomHash = createHash('sha256')
    .update(await readFile(pomPath))
    .digest('hex')
  if (await isComplete(libsDir, pomHash)) return libsDir
  await mkdir(cacheDir, { recursive: true })
  const lockPath = join(cacheDir, `${name}.lock`)
  if (!(await acquireLock(lockPath, deadline, () => isComplete(libsDir, pomHash)))) return libsDir
  try {
    // Someone else may have finished while this process waited for the lock.
    if (await isComplete(libsDir, pomHash)) return libsDir
    const staging = `${libsDir}.partial-${process.pid}`
    await rm(staging, { recursive: true, force: true })
    let result: Awaited<ReturnType<typeof runCommand>>
    try {
      result = await runCommand(
        'mvn',
        ['-q', '-B', '-f', pomPath, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`],
        { cwd: cacheDir, timeoutMs: Math.max(1, deadline - Date.now()) },
      )
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KafkaTestBrokerError(
          'MAVEN_NOT_FOUND',
          'mvn is not on PATH: the test Kafka broker is fetched from Maven Central with Maven ' +
            '(Debian: apt-get install maven openjdk-17-jre-headless)',
          { retriable: false, cause: error },
        )
      }
      throw new KafkaTestBrokerError('JARS_UNRESOLVED', `Maven failed: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      })
    }
    const jars = result.code === 0 ? await readdir(staging).catch(() => []) : []
    if (!jars.some((jar) => jar.startsWith('kafka'))) {
      await rm(staging, { recursive: true, force: true })
      throw new KafkaTestBrokerError(
        'JARS_UNRESOLVED',
        `mvn -f ${pomPath} dependency:copy-dependencies failed (exit ${result.code}); is Maven Central reachable?\n${tail(result.output)}`,
        { retriable: true },
      )
    }
    await writeFile(join(staging, markerName), pomHash)
    await rm(libsDir, { recursive: true, force: true })
    await rename(staging, libsDir)
    return libsDir
  } finally {
    await rm(lockPath, { force: true })
  }
}

async function isComplete(libsDir: string, pomHash: string): Promise<boolean> {
  try {
    return (await readFile(join(libsDir, markerName), 'utf8')) === pomHash
  } catch {
    return false
  }
}

/**
 * Take the lock file (it holds the owner's pid), waiting while a live process holds it; a lock left
 * by a dead process (a killed test run) is taken over. Resolves true once held, or false when
 * `done` says the owner already produced what was wanted (the lock is then not ours to remove).
 */
async function acquireLock(path: string, deadline: number, done: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number(await readFile(path, 'utf8').catch(() => ''))
    // An empty lock older than a few seconds: its owner died between creating and writing it.
    const orphaned = owner > 0 ? !isAlive(owner) : Date.now() - (await modifiedAt(path)) > 5_000
    if (orphaned) await rm(path, { force: true })
    else if (await done()) return false
    else if (Date.now() > deadline)
      throw new KafkaTestBrokerError(
        'JARS_UNRESOLVED',
        `timed out waiting for process ${owner} to resolve the Kafka jars (lock ${path})`,
        { retriable: true },
      )
    else await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function modifiedAt(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now()
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
