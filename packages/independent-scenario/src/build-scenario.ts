import { type IntentFile, intentFiles } from './intent-files.ts'
import { LastDay } from './last-day.ts'
import { buildMesh } from './mesh.ts'
import { NormalTraffic } from './normal-traffic.ts'
import { buildPeople } from './people.ts'
import type { IndependentLabel } from './scenario-label.ts'
import { type IndependentStream, ScenarioRecorder } from './scenario-recorder.ts'
import { seededRandom } from './seeded-random.ts'

/** Options of {@link buildIndependentScenario}. */
export interface IndependentScenarioOptions {
  /** Same seed, same records. */
  seed: number
  /** Days (default 3); incidents and confounders are on the last. */
  days?: number
  /** Services in the mesh (default 21; at least 16, extra ones are `shop/extra-N`). */
  services?: number
  /** Traffic multiplier (default 1: about 150,000 records a day at 21 services). */
  scale?: number
  /** First day, epoch ms at 00:00 UTC (default 2026-03-03, a Tuesday). */
  start?: number
}

/** The scenario: its files in wire formats, the intent, the labels. */
export interface IndependentScenario {
  start: number
  end: number
  days: number
  tenant: string
  streams: IndependentStream[]
  intent: IntentFile[]
  labels: IndependentLabel[]
}

const dayMs = 86_400_000

/**
 * A labelled scenario written from the sources' documentation and real samples (not from the
 * detectors): `days` of a Northwind shop mesh seen by Hubble, the Istio sidecars,
 * opa-envoy-plugin and Okta, with the last day's incidents and benign confounders labelled.
 */
export function buildIndependentScenario(options: IndependentScenarioOptions): IndependentScenario {
  const days = options.days ?? 3
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a whole number >= 1, got ${days}`)
  const start = options.start ?? Date.UTC(2026, 2, 3)
  const random = seededRandom(options.seed)
  const mesh = buildMesh(random, options.services ?? 21)
  const people = buildPeople(random)
  const lastDay = start + (days - 1) * dayMs
  const badBundle = { from: lastDay + 10.75 * 3_600_000, to: lastDay + 11.0833 * 3_600_000 }
  const recorder = new ScenarioRecorder(random, (ms) =>
    ms >= badBundle.from && ms < badBundle.to ? 'authz-2026.03.05-r118' : 'authz-2026.02.26-r117',
  )
  const traffic = new NormalTraffic(recorder, mesh, people, random, 11 * (options.scale ?? 1))
  let labels: IndependentLabel[] = []
  for (let day = 0; day < days; day++) {
    const dayStart = start + day * dayMs
    const last = day === days - 1
    traffic.meshDay(dayStart)
    traffic.identityDay(dayStart, last ? { skipPeople: LastDay.scriptedPeople } : {})
    if (day === 0 && days > 1) {
      // A benign lockout on the first day: a person forgets a changed password and calls the helpdesk.
      const person = people[7]!
      for (let i = 0; i < 10; i++)
        traffic.activity.failedPassword(
          dayStart + 18 * 3_600_000 + i * 25_000,
          person,
          person.home,
          person.device,
        )
      traffic.activity.lockout(dayStart + 18 * 3_600_000 + 250_000, person, person.home, person.device)
    }
    if (last) {
      const script = new LastDay(recorder, traffic, mesh, people, random, dayStart)
      script.write()
      labels = script.labels
    }
  }
  return {
    start,
    end: start + days * dayMs,
    days,
    tenant: 'northwind',
    streams: recorder.streams(),
    intent: intentFiles(mesh, lastDay),
    labels: labels.sort((a, b) => a.from - b.from),
  }
}
