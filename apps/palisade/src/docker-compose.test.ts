import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// No Docker engine runs where the tests do, so this checks the compose file's structure and wiring:
// what a typo would break only at `docker compose up` on a user's machine.
const root = fileURLToPath(new URL('../../..', import.meta.url))
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8')

interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  environment?: Record<string, string | number>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  restart?: string
}
// Merge keys (`<<: *app`) are how the app services share their settings; Compose honours them too.
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}
const services = compose.services

/** The apps, with the port each listens on (its API or health + metrics) and the host variable. */
const apps = {
  collector: { port: 4318, kafka: true, clickhouse: false },
  ingester: { port: 9101, kafka: true, clickhouse: true },
  detector: { port: 9102, kafka: true, clickhouse: true },
  'alert-router': { port: 9094, kafka: true, clickhouse: true },
  dashboard: { port: 8080, kafka: false, clickhouse: true },
} as const
const appNames = Object.keys(apps) as (keyof typeof apps)[]

function service(name: string): Service {
  const found = services[name]
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`)
  return found
}

function env(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, String(v)]))
}

/** `PALISADE_ALERT_ROUTER_HOST` for `alert-router`. */
function appVariable(app: string, suffix: 'HOST' | 'PORT'): string {
  return `PALISADE_${app.toUpperCase().replace(/-/g, '_')}_${suffix}`
}

/** Every TypeScript source of the apps and packages (tests aside): where settings are read. */
function sourceText(): string {
  const texts: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        texts.push(readFileSync(path, 'utf8'))
    }
  }
  for (const top of ['apps', 'packages'])
    for (const pkg of readdirSync(join(root, top))) {
      const src = join(root, top, pkg, 'src')
      if (existsSync(src)) walk(src)
    }
  return texts.join('\n')
}

describe('docker-compose.yml', () => {
  it('declares Kafka, ClickHouse, the migration and every app', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['kafka', 'clickhouse', 'migrate', ...appNames].sort((a, b) => a.localeCompare(b)),
    )
  })

  it('pins Kafka to 3.9.x and ClickHouse to a 25.x server image', () => {
    expect(service('kafka').image).toMatch(/^apache\/kafka:3\.9\.\d+$/)
    expect(service('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:25\.\d+(\.\d+)*$/)
  })

  it('runs Kafka as one KRaft node whose internal listener is what the apps are given', () => {
    const kafka = env('kafka')
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller')
    expect(kafka.KAFKA_NODE_ID).toBe('1')
    expect(kafka.CLUSTER_ID).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    for (const key of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ])
      expect(kafka[key], key).toBe('1')
    const listeners = Object.fromEntries(
      (kafka.KAFKA_LISTENERS ?? '').split(',').map((l) => [l.split('://')[0], Number(l.split(':').pop())]),
    )
    const controllerPort = listeners[kafka.KAFKA_CONTROLLER_LISTENER_NAMES ?? '']
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`1@kafka:${controllerPort}`)
    const internal = (kafka.KAFKA_ADVERTISED_LISTENERS ?? '')
      .split(',')
      .find((l) => l.startsWith(`${kafka.KAFKA_INTER_BROKER_LISTENER_NAME}://`))
    expect(internal).toBe(`PLAINTEXT://kafka:${listeners.PLAINTEXT}`)
    for (const app of appNames.filter((a) => apps[a].kafka))
      expect(env(app).KAFKA_BROKERS, app).toBe(internal?.replace('PLAINTEXT://', ''))
  })

  it('points every ClickHouse user at the clickhouse service with the credentials it was created with', () => {
    const server = env('clickhouse')
    for (const name of ['migrate', ...appNames.filter((a) => apps[a].clickhouse)]) {
      const vars = env(name)
      expect(vars.CLICKHOUSE_URL, name).toBe('http://clickhouse:8123')
      expect(vars.CLICKHOUSE_USER, name).toBe(server.CLICKHOUSE_USER)
      expect(vars.CLICKHOUSE_PASSWORD, name).toBe(server.CLICKHOUSE_PASSWORD)
    }
    // Least privilege: the collector writes to Kafka only.
    expect(env('collector').CLICKHOUSE_PASSWORD).toBeUndefined()
    expect(env('dashboard').KAFKA_BROKERS).toBeUndefined()
  })

  it('takes the token and passwords from .env, failing at `up` when they are missing', () => {
    for (const name of appNames) expect(env(name).PALISADE_TOKEN, name).toMatch(/^\$\{PALISADE_TOKEN:\?.+\}$/)
    expect(env('clickhouse').CLICKHOUSE_PASSWORD).toMatch(/^\$\{CLICKHOUSE_PASSWORD:\?.+\}$/)
  })

  it('documents in .env.example every variable it reads without a default', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8')
    const declared = new Set([...example.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]))
    const needed = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g)]
      .filter(([, , operator, fallback]) => operator !== '-' || fallback === '')
      .map((m) => m[1])
    expect(needed.length).toBeGreaterThan(0)
    for (const name of needed) expect(declared.has(name), `${name} in .env.example`).toBe(true)
  })

  it('builds every app from the repository Dockerfile and runs it through the palisade launcher', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "apps\/palisade\/bin\/palisade\.mjs"\]$/m)
    expect(existsSync(join(root, 'apps/palisade/bin/palisade.mjs'))).toBe(true)
    for (const name of ['migrate', ...appNames]) {
      expect(service(name).build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' })
      expect(service(name).command, name).toEqual([name])
    }
    for (const app of appNames) expect(existsSync(join(root, 'apps', app, 'src/main.ts')), app).toBe(true)
  })

  it('leaves node_modules, .git and .env out of the image', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')
    for (const entry of ['**/node_modules', '.git', '.env']) expect(ignored).toContain(entry)
  })

  it('has every app listen on all interfaces inside its container, on the port it publishes and probes', () => {
    for (const app of appNames) {
      const vars = env(app)
      const { port } = apps[app]
      expect(vars[appVariable(app, 'HOST')], app).toBe('0.0.0.0')
      expect(vars[appVariable(app, 'PORT')], app).toBe(String(port))
      expect(service(app).ports, app).toEqual([`127.0.0.1:${port}:${port}`])
      expect(service(app).healthcheck?.test.join(' '), app).toContain(`http://127.0.0.1:${port}/readyz`)
    }
  })

  it('sets only variables that the code reads', () => {
    const source = sourceText()
    for (const app of ['migrate', ...appNames])
      for (const name of Object.keys(env(app)))
        expect(source.includes(`'${name}'`), `${app}: ${name} is read somewhere`).toBe(true)
  })

  it('publishes ports on the host loopback only', () => {
    for (const [name, { ports = [] }] of Object.entries(services))
      for (const mapping of ports) expect(mapping, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/)
  })

  it('starts each app after what it needs is healthy and the migration has succeeded', () => {
    expect(service('migrate').depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } })
    expect(service('migrate').restart).toBe('no')
    for (const app of appNames) {
      const expected: Record<string, { condition: string }> = {}
      if (apps[app].kafka) expected.kafka = { condition: 'service_healthy' }
      if (apps[app].clickhouse) {
        expected.clickhouse = { condition: 'service_healthy' }
        expected.migrate = { condition: 'service_completed_successfully' }
      }
      expect(service(app).depends_on, app).toEqual(expected)
    }
    for (const [name, { depends_on = {} }] of Object.entries(services))
      for (const [dependency, { condition }] of Object.entries(depends_on))
        if (condition === 'service_healthy')
          expect(service(dependency).healthcheck, `${name} → ${dependency}`).toBeDefined()
  })

  it('keeps Kafka and ClickHouse data in declared named volumes', () => {
    const target = (name: string) =>
      (service(name).volumes ?? [])
        .map((volume) => volume.split(':'))
        .find(([source]) => source && !source.startsWith('.'))
    expect(target('kafka')).toEqual(['kafka-data', env('kafka').KAFKA_LOG_DIRS])
    expect(target('clickhouse')).toEqual(['clickhouse-data', '/var/lib/clickhouse'])
    for (const [name, { volumes = [] }] of Object.entries(services))
      for (const volume of volumes) {
        const source = volume.split(':')[0] ?? ''
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes), `${name} uses ${source}`).toContain(source)
      }
  })
})
