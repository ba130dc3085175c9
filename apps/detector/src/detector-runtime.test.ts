import { createInProcessBus, topics } from '@palisade/bus'
import type { Checkpoint, CheckpointStore } from '@palisade/clickhouse'
import { type Detector, sourceGapType } from '@palisade/detectors'
import { emptyIntent } from '@palisade/intent'
import { type AuthEvent, type Finding, partitionKey, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { createDetectorRuntime } from './detector-runtime.ts'
import { subscribeDetectors } from './detector-subscription.ts'

function memoryCheckpoints(): CheckpointStore & { saved: Map<string, Checkpoint[]> } {
  const saved = new Map<string, Checkpoint[]>()
  return {
    saved,
    async save(detector, checkpoints) {
      const byKey = new Map((saved.get(detector) ?? []).map((c) => [c.key, c]))
      for (const checkpoint of checkpoints) byKey.set(checkpoint.key, structuredClone(checkpoint))
      saved.set(detector, [...byKey.values()])
    },
    async load(detector) {
      return structuredClone(saved.get(detector) ?? [])
    },
  }
}

function failure(n: number, principal: string, ip: string): AuthEvent {
  const result = validateEvent(
    'auth',
    { event_id: `a${n}`, ts: 1_000 * n, principal, outcome: 'failure', client_ip: ip, source: 'okta' },
    { tenant: 'acme', observedAt: 0 },
  )
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

/** Counts distinct principals per client IP: keyed other than the auth partition key (the principal). */
const usersPerIp: Detector<{ users: string[] }> = {
  id: 'test.users_per_ip',
  kinds: ['auth'],
  partitioning: 'rekeyed',
  accepts: (event) => (event as AuthEvent).client_ip !== undefined,
  keyOf: (event) => `${event.tenant}/ip/${(event as AuthEvent).client_ip}`,
  initialState: () => ({ users: [] }),
  step(state, event) {
    const auth = event as AuthEvent
    if (!state.users.includes(auth.principal)) state.users.push(auth.principal)
    if (state.users.length !== 3) return []
    return [
      {
        finding_id: `spray-${auth.client_ip}`,
        tenant: auth.tenant,
        ts: auth.ts,
        rule: 'test.users_per_ip',
        severity: 'page',
        title: 'spray',
        summary: `${auth.client_ip} tried ${state.users.join(', ')}`,
        entities: { client_ip: auth.client_ip! },
        evidence: {},
      },
    ]
  },
}

/** A heartbeat detector: sees at most one event per source per minute. */
const heartbeats: Detector<{ seen: number }> = {
  id: 'test.heartbeats',
  kinds: ['auth'],
  partitioning: 'rekeyed',
  sampleKeyOf: (event) => `${event.tenant}/${event.source}`,
  keyOf: (event) => event.tenant,
  initialState: () => ({ seen: 0 }),
  step(state) {
    state.seen++
    return []
  },
}

describe('detector runtime > re-keyed detectors', () => {
  it('gathers one IP’s events from many principals’ partitions under the IP, through the bus', async () => {
    const bus = createInProcessBus()
    const checkpoints = memoryCheckpoints()
    const findings: Finding[] = []
    await bus.subscribe('sink', [topics.findings], async (batch) => {
      findings.push(...batch.messages.map((m) => m.value as Finding))
    })
    const runtime = createDetectorRuntime({
      detectors: [usersPerIp, heartbeats],
      checkpoints,
      publishFindings: (list) =>
        bus.publish(
          topics.findings,
          list.map((value) => ({ key: value.tenant, value })),
        ),
      publishRekeyed: (messages) => bus.publish(topics.rekeyed, messages),
    })
    const subscription = await subscribeDetectors(bus, runtime, [usersPerIp, heartbeats])
    const events = [
      failure(1, 'ann@x', '203.0.113.9'),
      failure(2, 'bob@x', '203.0.113.9'),
      failure(3, 'cy@x', '198.51.100.7'),
      failure(4, 'dee@x', '203.0.113.9'),
    ]
    // Each event on its own partition key (its principal), as the collector publishes them.
    for (const event of events)
      await bus.publish(topics.events('auth'), [{ key: partitionKey('auth', event), value: event }])
    expect(findings.map((f) => f.summary)).toEqual(['203.0.113.9 tried ann@x, bob@x, dee@x'])
    // Four events in the same minute from one source: one heartbeat.
    await runtime.checkpoint()
    expect(checkpoints.saved.get('test.heartbeats')?.[0]?.state).toEqual({ seen: 1 })
    expect(
      checkpoints.saved
        .get('test.users_per_ip')
        ?.map((c) => c.key)
        .sort(),
    ).toEqual(['acme/ip/198.51.100.7', 'acme/ip/203.0.113.9'])
    await subscription.close()
    await bus.close()
  })

  it('refuses re-keyed detectors without a re-key topic', () => {
    expect(() =>
      createDetectorRuntime({
        detectors: [usersPerIp],
        checkpoints: memoryCheckpoints(),
        publishFindings: async () => {},
      }),
    ).toThrow(/re-keyed, but no re-key topic/)
  })

  it('restores re-keyed state after a restart and does not count a re-delivered event twice', async () => {
    const checkpoints = memoryCheckpoints()
    const findings: Finding[] = []
    const start = () => {
      const runtime = createDetectorRuntime({
        detectors: [usersPerIp],
        checkpoints,
        publishFindings: async (list) => {
          findings.push(...list)
        },
        publishRekeyed: async (messages) => {
          await runtime.handleRekeyed(messages.map((m) => m.value))
        },
      })
      return runtime
    }
    const first = start()
    await first.handle('auth', [failure(1, 'ann@x', '203.0.113.9'), failure(2, 'bob@x', '203.0.113.9')])
    await first.checkpoint()
    const second = start()
    await second.restore()
    await second.handle('auth', [failure(2, 'bob@x', '203.0.113.9'), failure(3, 'cy@x', '203.0.113.9')])
    expect(findings.map((f) => f.summary)).toEqual(['203.0.113.9 tried ann@x, bob@x, cy@x'])
  })

  it('keeps re-keyed events whose publish failed and sends them with the next batch', async () => {
    const findings: Finding[] = []
    let failNext = true
    const runtime = createDetectorRuntime({
      detectors: [usersPerIp],
      checkpoints: memoryCheckpoints(),
      publishFindings: async (list) => {
        findings.push(...list)
      },
      publishRekeyed: async (messages) => {
        if (failNext) {
          failNext = false
          throw new Error('broker unavailable')
        }
        await runtime.handleRekeyed(messages.map((m) => m.value))
      },
    })
    await expect(
      runtime.handle('auth', [failure(1, 'ann@x', '203.0.113.9'), failure(2, 'bob@x', '203.0.113.9')]),
    ).rejects.toThrow('broker unavailable')
    // The bus re-delivers the batch (its offsets were not committed), then the next one comes.
    await runtime.handle('auth', [failure(1, 'ann@x', '203.0.113.9'), failure(2, 'bob@x', '203.0.113.9')])
    await runtime.handle('auth', [failure(3, 'cy@x', '203.0.113.9')])
    expect(findings.map((f) => f.summary)).toEqual(['203.0.113.9 tried ann@x, bob@x, cy@x'])
  })
})

describe('detector runtime > source silence', () => {
  const minute = 60_000
  const flowAt = (n: number, ts: number) => {
    const result = validateEvent(
      'flow',
      {
        event_id: `f${n}`,
        ts,
        source: 'hubble-node-a',
        src_identity: 'shop/web',
        dst_identity: 'shop/api',
        dst_port: 8080,
      },
      { tenant: 'acme', observedAt: ts },
    )
    if (!result.ok) throw new Error(result.reason)
    return result.event
  }

  function runtimeOn(checkpoints: CheckpointStore, clock: () => number, ownsEveryKey = true) {
    const gap = sourceGapType.create({
      id: 'telemetry.source_gap',
      title: 'gap',
      severity: 'ticket',
      params: sourceGapType.params.parse({}),
      intent: emptyIntent(),
    })
    const runtime: ReturnType<typeof createDetectorRuntime> = createDetectorRuntime({
      detectors: [gap],
      checkpoints,
      publishFindings: async () => {},
      publishRekeyed: async (messages) => {
        await runtime.handleRekeyed(messages.map((message) => message.value))
      },
      now: clock,
      sourceSilence: {
        gapRule: 'telemetry.source_gap',
        gapParams: sourceGapType.params.parse({}),
        ownsEveryKey,
      },
    })
    return runtime
  }

  it('keeps arrivals across a restart and counts silence from the restart, not before it', async () => {
    const checkpoints = memoryCheckpoints()
    const start = Date.UTC(2026, 11, 7, 9)
    let now = start
    const before = runtimeOn(checkpoints, () => now)
    await before.restore()
    for (let i = 0; i < 40; i++) {
      now = start + i * minute
      await before.handle('flow', [flowAt(i, now)])
    }
    await before.checkpoint()
    const last = now

    // Restarted two minutes after the last event: silence counts from then (threshold 8 min).
    now = last + 2 * minute
    const after = runtimeOn(checkpoints, () => now)
    await after.restore()
    now = last + 9 * minute
    expect((await after.checkSilentSources()).opened).toEqual([])
    now = last + 11 * minute
    const { opened, ongoing } = await after.checkSilentSources()
    expect(opened.map((finding) => [finding.rule, finding.severity, finding.entities])).toEqual([
      ['telemetry.source_silent', 'page', { source: 'hubble-node-a' }],
    ])
    expect(opened[0]!.evidence.last_arrival).toBe(last)
    expect(ongoing).toHaveLength(1)
  })

  it('with Kafka, judges only tenants it was fed since its restore, not stale copies of the others', async () => {
    const checkpoints = memoryCheckpoints()
    const start = Date.UTC(2026, 11, 7, 9)
    let now = start
    const before = runtimeOn(checkpoints, () => now, false)
    await before.restore()
    for (let i = 0; i < 40; i++) {
      now = start + i * minute
      await before.handle('flow', [flowAt(100 + i, now)])
    }
    now += 20 * minute
    expect((await before.checkSilentSources()).opened).toHaveLength(1)
    await before.checkpoint()
    // Another member took the tenant over after a rebalance: this one restores its (stale) copy.
    await before.rebalanced()
    now += 60 * minute
    expect(await before.checkSilentSources()).toMatchObject({ opened: [], ongoing: [], tenants: 0 })
  })
})
