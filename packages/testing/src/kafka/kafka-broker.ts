import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaTestBrokerError, TestHarnessError } from '../errors.ts'
import { freePort } from '../free-port.ts'
import { resolveKafkaJars } from './kafka-jars.ts'
import { runCommand, tail } from './run-command.ts'

/** Settings of {@link startKafkaBroker}; every one has a default that suits a test. */
export interface KafkaBrokerOptions {
  /** Cache of the broker's jars (default `~/.cache/palisade/kafka/3.9.1`). */
  cacheDir?: string
  /** Longest wait for the broker to accept connections after its JVM starts, ms (default 90 s). */
  startTimeoutMs?: number
  /** Time between SIGTERM and SIGKILL when stopping or restarting, ms (default 10 s). */
  stopGraceMs?: number
  /** Largest JVM heap, as `-Xmx` takes it (default `384m`). */
  heap?: string
  /** `server.properties` entries that replace or add to the defaults below. */
  properties?: Record<string, string | number | boolean>
}

/** A running single-node Kafka (KRaft, broker and controller in one JVM) on 127.0.0.1. */
export interface KafkaBroker {
  /** `host:port` to give a client (one entry). */
  brokers: string[]
  /** The broker's data directory (`log.dirs`), inside a temp dir that `stop()` removes. */
  logDir: string
  /** The broker's own log (log4j), kept across restarts; its tail is in every start error. */
  serverLog: string
  /** Stop gracefully (SIGTERM, then SIGKILL after the grace) and remove the temp dir; idempotent. */
  stop(): Promise<void>
  /** SIGKILL the broker now, as a crash would; data stays for `restart()`. */
  kill(): void
  /** Stop the broker if it runs, then start it again on the same ports and data. */
  restart(): Promise<void>
  /** The JVM's process id while it runs (a benchmark reads its peak RSS). */
  pid(): number | undefined
}

/**
 * Start a real Apache Kafka 3.9 broker for a test: jars from Maven Central (cached), a freshly
 * formatted KRaft log dir in a temp dir, listeners on two free 127.0.0.1 ports. Resolves once the
 * broker has logged "Kafka Server started" and accepts connections. Topics are not auto-created:
 * code under test must create what it uses, as on a production cluster.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = await resolveKafkaJars({ cacheDir: options.cacheDir })
  const dir = await mkdtemp(join(tmpdir(), 'palisade-kafka-'))
  try {
    // Free ports are only free until someone binds them: on a collision, try again with others.
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(libs, dir, options)
      } catch (error) {
        const collided = error instanceof KafkaTestBrokerError && /Address already in use/.test(error.message)
        if (!collided || attempt === 3) throw error
        await rm(join(dir, 'data'), { recursive: true, force: true })
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

async function launch(libs: string, dir: string, options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const port = await freePort()
  let controllerPort = await freePort()
  while (controllerPort === port) controllerPort = await freePort()
  const logDir = join(dir, 'data')
  const serverLog = join(dir, 'server.log')
  const javaOutput = join(dir, 'java.out')
  const propertiesPath = join(dir, 'server.properties')
  const log4jPath = join(dir, 'log4j.properties')
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    // One node: every replication factor and in-sync minimum is 1.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    // Fewer internal partitions: the first group join and the first transaction create them.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    // A group's first member need not wait 3 s for others that will never come.
    'group.initial.rebalance.delay.ms': 0,
    // After a kill -9, the restarted broker is refused (DUPLICATE_BROKER_REGISTRATION) until the old
    // registration expires: 3 s instead of 9 s.
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
    // Code under test creates its topics (as on a production cluster); a missing one is a bug to see.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    ...options.properties,
  }
  await mkdir(logDir, { recursive: true })
  await writeFile(
    propertiesPath,
    `${Object.entries(properties)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n')}\n`,
  )
  // A file, not stdout: StorageTool's own output would otherwise be mixed with log lines.
  await writeFile(
    log4jPath,
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${serverLog}`,
      'log4j.appender.file.Append=true',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      // Per-request and state-change chatter, as the Kafka distribution's own config quiets it.
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      '',
    ].join('\n'),
  )
  const jvm = [
    `-Xmx${options.heap ?? '384m'}`,
    '-XX:+ExitOnOutOfMemoryError',
    // A test broker lives for seconds and moves little: the quick C1 compiler alone and the serial
    // collector start it in about 1.8 s instead of 2.1 to 4 s on two busy cores.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jPath}`,
    '-cp',
    join(libs, '*'),
  ]
  await format(jvm, propertiesPath)

  const graceMs = options.stopGraceMs ?? 10_000
  let broker: RunningJvm | undefined
  let stopping: Promise<void> | undefined
  const start = async () => {
    const offset = (await stat(serverLog).catch(() => undefined))?.size ?? 0
    broker = spawnJvm(jvm, ['kafka.Kafka', propertiesPath], dir, javaOutput)
    try {
      await waitUntilStarted(broker, port, serverLog, offset, javaOutput, options.startTimeoutMs ?? 90_000)
    } catch (error) {
      await broker.terminate(0)
      throw error
    }
  }
  await start()
  return {
    brokers: [`127.0.0.1:${port}`],
    logDir,
    serverLog,
    stop() {
      stopping ??= (async () => {
        await broker?.terminate(graceMs)
        await rm(dir, { recursive: true, force: true })
      })()
      return stopping
    },
    kill() {
      broker?.process.kill('SIGKILL')
    },
    pid() {
      return broker?.process.pid
    },
    async restart() {
      if (stopping)
        throw new TestHarnessError('HARNESS_MISUSED', 'the Kafka broker was stopped; start a new one')
      await broker?.terminate(graceMs)
      await start()
    },
  }
}

/** A cluster id as `kafka-storage random-uuid` makes one: 16 random bytes, base64url, 22 characters. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    // Kafka's command-line parser would read a leading '-' as an option.
    if (!id.startsWith('-')) return id
  }
}

async function format(jvm: string[], propertiesPath: string): Promise<void> {
  let result: Awaited<ReturnType<typeof runCommand>>
  try {
    result = await runCommand(
      'java',
      [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propertiesPath],
      { timeoutMs: 120_000 },
    )
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KafkaTestBrokerError(
        'JAVA_NOT_FOUND',
        'java is not on PATH: the test Kafka broker needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)',
        { retriable: false, cause: error },
      )
    }
    throw error
  }
  if (result.code !== 0) {
    throw new KafkaTestBrokerError(
      'BROKER_FORMAT_FAILED',
      `kafka.tools.StorageTool format failed (exit ${result.code}):\n${tail(result.output)}`,
      { retriable: false },
    )
  }
}

/** A broker JVM, and a way to end it that waits until it is gone. */
interface RunningJvm {
  process: ChildProcess
  /** Resolves with the exit code or signal once the JVM is gone. */
  exited: Promise<number | NodeJS.Signals>
  /** Null while running. */
  exitStatus(): number | NodeJS.Signals | null
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the JVM is gone. */
  terminate(graceMs: number): Promise<void>
}

function spawnJvm(jvm: string[], args: string[], dir: string, outputPath: string): RunningJvm {
  // The JVM writes to a file of its own, not a pipe: it keeps running should this process pause.
  const output = openSync(outputPath, 'a')
  const child = spawn('java', [...jvm, ...args], { stdio: ['ignore', output, output] })
  closeSync(output)
  let status: number | NodeJS.Signals | null = null
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => {
      status = signal ?? code ?? -1
      watchdog?.kill('SIGKILL')
      resolve(status)
    })
    child.once('error', () => {
      status = -1
      resolve(status)
    })
  })
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid, dir)
  return {
    process: child,
    exited,
    exitStatus: () => status,
    async terminate(graceMs) {
      if (status !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * A test run that dies without calling `stop()` (a crashed or killed worker) must not leave a 400 MB
 * JVM and its temp dir behind. A tiny shell reads from a pipe this process holds open; when this
 * process is gone, however it ended, the read sees end-of-file and the shell kills the JVM and
 * removes the dir.
 */
function startWatchdog(pid: number, dir: string): ChildProcess {
  const script = 'read line; kill -9 "$1" 2>/dev/null; sleep 1; rm -rf "$2"'
  const watchdog = spawn('sh', ['-c', script, 'kafka-watchdog', String(pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  })
  watchdog.on('error', () => {})
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref()
  ;(watchdog.stdin as unknown as Socket | null)?.unref()
  return watchdog
}

async function waitUntilStarted(
  broker: RunningJvm,
  port: number,
  serverLog: string,
  offset: number,
  javaOutput: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const fail = async (code: string, what: string) => {
    const log = await readSince(serverLog, offset)
    const output = await readSince(javaOutput, 0)
    return new KafkaTestBrokerError(
      code,
      `${what}\n--- ${serverLog} (tail) ---\n${tail(log)}\n--- JVM output (tail) ---\n${tail(output)}`,
      { retriable: true },
    )
  }
  let started = false
  for (;;) {
    const status = broker.exitStatus()
    if (status !== null) {
      if (status === -1 && broker.process.pid === undefined) {
        throw new KafkaTestBrokerError(
          'JAVA_NOT_FOUND',
          'java could not be started: the test Kafka broker needs a Java 17+ runtime on PATH',
          { retriable: false },
        )
      }
      throw await fail('BROKER_EXITED', `the Kafka broker exited (${status}) before it started`)
    }
    if (Date.now() > deadline)
      throw await fail('BROKER_START_TIMEOUT', `the Kafka broker did not start within ${timeoutMs} ms`)
    // The log is appended to across restarts: only what this start wrote counts.
    if (!started) started = (await readSince(serverLog, offset)).includes('Kafka Server started')
    if (started && (await accepts(port))) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A file's text from byte `offset` on ('' while it does not exist). */
async function readSince(path: string, offset: number): Promise<string> {
  const bytes = await readFile(path).catch(() => Buffer.alloc(0))
  return bytes.subarray(offset).toString('utf8')
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
