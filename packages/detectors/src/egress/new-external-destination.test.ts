import { describe, expect, it } from 'vitest'
import { day, flow, hour, instantiate, jumble, minute, run, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type NewExternalDestinationState, newExternalDestinationType } from './new-external-destination.ts'

const checkout = 'shop/checkout'
const intent = intentWith({
  declaredEgress: ({ ip, port }) =>
    ip?.startsWith('198.51.100.') && port === 443
      ? { declared: true, by: 'PalisadeIntent/perimeter' }
      : { declared: false },
})

/** Checkout's usual egress: the declared payment provider, twice an hour, for `days` days. */
function usual(days: number) {
  return Array.from({ length: days * 48 }, (_, i) =>
    flow({
      ts: t0 + i * 30 * minute,
      src_identity: checkout,
      dst_identity: 'reserved:world',
      dst_ip: '198.51.100.7',
      dst_port: 443,
      bytes_sent: 2000,
    }),
  )
}

describe('new_external_destination', () => {
  it('reports an allowed flow to a new, undeclared external address after the learning period', () => {
    const detector = instantiate(newExternalDestinationType, {}, { intent: intent, severity: 'ticket' })
    const findings = run(detector, [
      ...usual(3),
      flow({
        ts: t0 + 3 * day,
        src_identity: checkout,
        dst_ip: '203.0.113.50',
        dst_port: 443,
        bytes_sent: 48_000,
      }),
      flow({
        ts: t0 + 3 * day + minute,
        src_identity: checkout,
        dst_ip: '203.0.113.50',
        dst_port: 443,
        bytes_sent: 48_000,
      }),
    ])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.severity).toBe('ticket')
    expect(finding!.entities).toMatchObject({
      src_identity: checkout,
      dst_ip: '203.0.113.50',
      dst_port: '443',
    })
    expect(finding!.summary).toBe(
      'shop/checkout connected to external address 203.0.113.50:443 for the first time at 2026-01-08 10:00:00Z ' +
        '(48.0 kB sent): it is not among the 1 external address shop/checkout reached over the previous 3.0 d, ' +
        'and no declared egress covers it. A workload talking to a new, undeclared place on the internet may be ' +
        'calling home to an attacker or staging data to leave: confirm who owns 203.0.113.50, then declare it or block it.',
    )
  })

  it('stays quiet while learning, for declared egress, internal addresses, replies and dropped flows', () => {
    const detector = instantiate(newExternalDestinationType, {}, { intent: intent, severity: 'page' })
    const later = t0 + 2 * day
    const findings = run(detector, [
      ...usual(2),
      flow({ ts: t0 + hour, src_identity: checkout, dst_ip: '203.0.113.9', dst_port: 443 }),
      flow({ ts: later, src_identity: checkout, dst_ip: '198.51.100.99', dst_port: 443 }),
      flow({ ts: later, src_identity: checkout, dst_ip: '10.3.4.5', dst_port: 443 }),
      flow({
        ts: later,
        src_identity: checkout,
        dst_identity: 'reserved:world',
        dst_ip: '192.168.7.1',
        dst_port: 443,
      }),
      flow({ ts: later, src_identity: checkout, dst_ip: 'fd00::12', dst_port: 443 }),
      flow({
        ts: later,
        src_identity: checkout,
        src_port: 8443,
        dst_ip: '203.0.113.77',
        dst_port: 51234,
        is_reply: true,
        server_port: 8443,
      }),
      flow({ ts: later, src_identity: checkout, dst_ip: '203.0.113.78', dst_port: 443, verdict: 'dropped' }),
      flow({
        ts: later,
        src_identity: checkout,
        dst_identity: 'payments/psp-gw',
        dst_ip: '203.0.113.79',
        dst_port: 443,
      }),
      flow({
        ts: later,
        src_identity: 'reserved:world',
        dst_identity: checkout,
        dst_ip: '10.0.0.1',
        dst_port: 443,
      }),
      flow({ ts: later + hour, src_identity: checkout, dst_ip: '203.0.113.9', dst_port: 443 }),
    ])
    expect(findings).toEqual([])
  })

  it('names the host the record asked for (TLS SNI) and honours egress declared by that host', () => {
    const byHost = intentWith({
      declaredEgress: ({ host }) =>
        host === 'api.stripe.com' ? { declared: true, by: 'PalisadeIntent/perimeter' } : { declared: false },
    })
    const detector = instantiate(newExternalDestinationType, {}, { intent: byHost, severity: 'page' })
    const later = t0 + 3 * day
    const findings = run(detector, [
      ...usual(3),
      flow({
        ts: later,
        src_identity: checkout,
        dst_ip: '203.0.113.60',
        dst_port: 443,
        dst_host: 'api.stripe.com',
      }),
      flow({
        ts: later + minute,
        src_identity: checkout,
        dst_ip: '203.0.113.77',
        dst_port: 443,
        dst_host: 'dl.filedrop-share.example',
        bytes_sent: 61_469_698,
      }),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toMatchObject({
      dst_ip: '203.0.113.77',
      dst_host: 'dl.filedrop-share.example',
    })
    expect(findings[0]!.title).toBe(
      'New external destination from shop/checkout: 203.0.113.77:443 (dl.filedrop-share.example)',
    )
  })

  it('learns a workload that never reached the internet: its first external flow after learning is reported', () => {
    const findings = run(instantiate(newExternalDestinationType, {}, { severity: 'page' }), [
      flow({ ts: t0, src_identity: 'shop/inventory', dst_identity: 'shop/db', dst_port: 5432 }),
      flow({ ts: t0 + 25 * hour, src_identity: 'shop/inventory', dst_ip: '203.0.113.50', dst_port: 443 }),
    ])
    expect(findings.map((f) => f.summary.slice(0, 80))).toEqual([
      'shop/inventory connected to external address 203.0.113.50:443 for the first time',
    ])
  })

  it('tolerates events a few minutes out of order and names SPIFFE sources as written', () => {
    const spiffe = 'spiffe://cluster.local/ns/shop/sa/checkout'
    const events = jumble(
      [
        ...usual(2),
        flow({ ts: t0 + 2 * day, src_identity: spiffe, dst_ip: '203.0.113.50', dst_port: 443 }),
        flow({
          ts: t0 + 2 * day - 2 * minute,
          src_identity: checkout,
          dst_ip: '203.0.113.50',
          dst_port: 443,
        }),
      ],
      4,
    )
    const findings = run(
      instantiate(newExternalDestinationType, {}, { intent: intent, severity: 'page' }),
      events,
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities.src_workload).toBe(checkout)
  })

  it('keeps its state bounded under 100k distinct external addresses', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      flow({
        ts: t0 + i * 1000,
        src_identity: 'shop/crawler',
        dst_ip: `203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        dst_port: 443,
      }),
    )
    const findings = run(instantiate(newExternalDestinationType, {}, { severity: 'page' }), events, states)
    const state = states.get('acme/shop/crawler') as NewExternalDestinationState
    expect(Object.keys(state.known).length).toBe(2000)
    expect(state.overflow).toBe(98_000)
    expect(findings).toEqual([]) // the first 2,000 were learned within the day
  })
})
