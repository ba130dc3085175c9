import { describe, expect, it } from 'vitest'
import type { FlowEvent } from './event-kinds.ts'
import { partitionKey } from './partition-key.ts'

const flow = (fields: Partial<FlowEvent>): FlowEvent =>
  ({ tenant: 'acme', event_id: 'e', ts: 0, observed_at: 0, dst_port: 53, ...fields }) as FlowEvent

describe('partitionKey', () => {
  it("keys a flow by its source workload, a SPIFFE ID by the namespace/service-account Hubble's label gives", () => {
    expect(partitionKey('flow', flow({ src_identity: 'spiffe://cluster.local/ns/payments/sa/ledger' }))).toBe(
      'acme/payments/ledger',
    )
    expect(partitionKey('flow', flow({ src_identity: 'payments/ledger' }))).toBe('acme/payments/ledger')
  })

  it('keys a reply by the connection initiator, its destination, so both halves share a partition', () => {
    const request = flow({
      src_identity: 'payments/ledger',
      dst_identity: 'kube-system/coredns',
      is_reply: false,
    })
    const answer = flow({
      src_identity: 'kube-system/coredns',
      dst_identity: 'payments/ledger',
      is_reply: true,
    })
    expect(partitionKey('flow', answer)).toBe(partitionKey('flow', request))
    expect(partitionKey('flow', flow({ src_ip: '10.0.0.10', dst_ip: '10.0.3.17', is_reply: true }))).toBe(
      'acme/10.0.3.17',
    )
  })
})
