// What no wire format of ours carries, in Palisade's own NDJSON: bundle rollouts as a GitOps hook
// reports them (`policy_change`), and certificate expiry as the blackbox exporter's TLS probes see it
// (`probe_ssl_earliest_cert_expiry`, sent as `mtls` events with `cert_not_after`).
import { authzPolicyId, enforcementPointWorkload, type PolicyTimeline } from './policy-timeline.ts'
import { meshWorkload, serviceHost, spiffeId } from './scenario-mesh.ts'
import type { ScenarioSink, StreamTarget } from './scenario-sink.ts'

const hourMs = 3_600_000
const dayMs = 24 * hourMs

const policyChangeTarget: StreamTarget = {
  format: 'policy_change',
  path: 'native/policy_change.ndjson',
  join: 'lines',
}
const certificateTarget: StreamTarget = {
  format: 'mtls',
  path: 'native/mtls-certificates.ndjson',
  join: 'lines',
}

/** Every enforcement point's bundle change, as Argo CD's notification hook reports it. */
export function writePolicyChanges(sink: ScenarioSink, timeline: PolicyTimeline): void {
  for (const change of timeline.changes) {
    const workload = enforcementPointWorkload(change.enforcementPoint)
    sink.add(
      policyChangeTarget,
      change.ts,
      JSON.stringify({
        event_id: `argocd-${change.enforcementPoint}-${change.revision}-${change.ts}`,
        ts: change.ts,
        source: 'argocd',
        service: serviceHost(workload),
        policy_id: authzPolicyId,
        revision: change.revision,
        previous_revision: change.previous,
        change_type: 'rollout',
        status: 'applied',
        enforcement_point: change.enforcementPoint,
        actor: 'argocd/opa-bundles',
      }),
    )
  }
}

/**
 * Hourly TLS probes of the long-lived certificates (the ingress gateway's, vault's, sso's): each a
 * server-only TLS handshake by monitoring/blackbox, with the certificate's expiry. From
 * `shortCertificateAt` on, sso serves a certificate valid for 5 days only.
 */
export function writeCertificateProbes(
  sink: ScenarioSink,
  start: number,
  end: number,
  shortCertificateAt: number,
): void {
  const probed = [
    { ref: 'istio-system/istio-ingressgateway', port: 443, notAfter: () => start + 61 * dayMs + 9 * hourMs },
    { ref: 'data/vault', port: 8200, notAfter: () => start + 203 * dayMs },
    {
      ref: 'identity/sso',
      port: 8443,
      notAfter: (ts: number) =>
        ts < shortCertificateAt ? start + 80 * dayMs + 14 * hourMs : shortCertificateAt + 5 * dayMs,
    },
  ]
  for (let hour = start; hour < end; hour += hourMs) {
    probed.forEach((target, index) => {
      const workload = meshWorkload(target.ref)
      const ts = hour + 30_000 + index * 2_000
      sink.add(
        certificateTarget,
        ts,
        JSON.stringify({
          event_id: `blackbox-tls-${workload.name}-${ts}`,
          ts,
          source: 'blackbox-exporter',
          service: serviceHost(workload),
          src_identity: 'monitoring/blackbox',
          dst_identity: spiffeId(workload.namespace, workload.name),
          dst_port: target.port,
          mode: 'tls',
          outcome: 'success',
          tls_version: 'TLSv1.3',
          handshake_ms: 3.1 + index,
          cert_not_after: target.notAfter(ts),
        }),
      )
    })
  }
}
