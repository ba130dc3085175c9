import { Gauge, type Registry } from 'prom-client'

/** Whether a dependency answers now; a check that throws counts as down. */
export type DependencyCheck = () => boolean | Promise<boolean>

const checksByRegistry = new WeakMap<Registry, Map<string, DependencyCheck>>()

/**
 * Report `palisade_dependency_up{dependency}` (1 up, 0 down) on `registry`, asked at each scrape.
 * Checks should be cheap (a flag the client keeps, a `SELECT 1`): a scrape waits for them.
 */
export function reportDependencyUp(registry: Registry, dependency: string, check: DependencyCheck): void {
  let checks = checksByRegistry.get(registry)
  if (!checks) {
    const registered = new Map<string, DependencyCheck>()
    checks = registered
    checksByRegistry.set(registry, registered)
    new Gauge({
      name: 'palisade_dependency_up',
      help: 'Whether a dependency (kafka, clickhouse) answered at the last scrape: 1 up, 0 down',
      labelNames: ['dependency'] as const,
      registers: [registry],
      async collect() {
        await Promise.all(
          [...registered].map(async ([name, isUp]) => {
            let up = false
            try {
              up = await isUp()
            } catch {
              // A failing check is exactly what this gauge reports: down.
            }
            this.set({ dependency: name }, up ? 1 : 0)
          }),
        )
      },
    })
  }
  checks.set(dependency, check)
}
