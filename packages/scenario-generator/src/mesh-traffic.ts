// Traffic in the mesh, written to every telemetry stream that would see it: a connection is a
// Hubble flow (on the node where policy applied); a request through a sidecar is an access log
// record at the destination, an OPA decision when the destination has ext_authz, and a count in the
// destination's Istio metrics; a new mTLS connection is a handshake in the destination's Envoy TLS
// stats. Egress is a Hubble flow to `reserved:world` and the source sidecar's outbound TCP log.
import type { PolicyTimeline } from './policy-timeline.ts'
import type { Random } from './random.ts'
import {
  clusterDns,
  type ExternalDestination,
  enforcementPoint,
  type MeshWorkload,
  meshNodes,
  nodeOf,
  serviceHost,
  serviceIp,
  spiffeId,
} from './scenario-mesh.ts'
import type { CounterSeries, ScenarioSink, StreamTarget } from './scenario-sink.ts'
import { envoyAccessLogRecord } from './wire/envoy-access-log-record.ts'
import {
  type HubbleEndpoint,
  hubbleFlowRecord,
  workloadEndpoint,
  worldEndpoint,
} from './wire/hubble-flow-record.ts'
import { opaDecisionRecord } from './wire/opa-decision-record.ts'
import { isoDate, isoMicros, isoMillis, isoNanos, uuid } from './wire/time-text.ts'

/** What traffic needs besides its own parameters: randomness, the sink, and the day's conditions. */
export interface TrafficContext {
  random: Random
  sink: ScenarioSink
  policy: PolicyTimeline
  /** Whether an enforcement point's decision log is lost at `ts` (telemetry gap). */
  opaSilent(enforcementPoint: string, ts: number): boolean
  /** Whether mTLS handshakes to a workload fail at `ts` (a bad certificate rotation). */
  handshakesFail(workload: MeshWorkload, ts: number): boolean
  /** When each `from>to` pair last authenticated (Cilium mutual authentication), epoch ms. */
  authenticatedPairs: Map<string, number>
}

const nodeOffsetMs: Record<string, number> = { 'node-a': 7_000, 'node-b': 19_000, 'node-c': 41_000 }

/** Hubble exporter output, one file per node. */
const hubbleTarget = (node: string): StreamTarget => ({
  format: 'hubble-flow',
  path: `hubble/${node}.jsonl`,
  join: 'lines',
})
/** Sidecar access logs, collected per node. */
const envoyTarget = (node: string): StreamTarget => ({
  format: 'envoy-access-log',
  path: `envoy/${node}.jsonl`,
  join: 'lines',
})
/** OPA decision log uploads, one JSON array per enforcement point and day. */
const opaTarget = (ep: string, ts: number): StreamTarget => ({
  format: 'opa-decision-log',
  path: `opa/${ep}/${isoDate(ts)}.json`,
  join: 'json-array',
})
/** Istio metrics, scraped per node. */
const metricsTarget = (node: string): StreamTarget => ({
  format: 'istio-metrics',
  path: `istio-metrics/${node}.prom`,
  join: 'lines',
})
/** Envoy listener stats, scraped per pod; the file names its service (`options.service`). */
const tlsStatsTarget = (workload: MeshWorkload): StreamTarget => ({
  format: 'envoy-tls-stats',
  path: `envoy-tls-stats/${workload.namespace}.${workload.name}.prom`,
  join: 'lines',
  options: { service: serviceHost(workload) },
})

/** The Envoy listener TLS statistics, in the order Envoy lists them. */
export const tlsStats = [
  'handshake',
  'no_certificate',
  'connection_error',
  'fail_verify_no_cert',
  'fail_verify_error',
  'fail_verify_san',
  'fail_verify_cert_hash',
] as const

/** A destination's TLS stat series (inbound listener `0.0.0.0_15006`, where Istio terminates mTLS). */
export function tlsStatSeries(workload: MeshWorkload, stat: (typeof tlsStats)[number]): CounterSeries {
  return {
    target: tlsStatsTarget(workload),
    sample: `envoy_listener_ssl_${stat}{envoy_listener_address="0.0.0.0_15006"}`,
    offsetMs: nodeOffsetMs[workload.node]! + 2_000,
  }
}

/** The destination-reported Istio counter of an edge (`unknown` source: a client without a sidecar). */
export function istioSeries(
  from: MeshWorkload | undefined,
  to: MeshWorkload,
  responseCode: number | undefined,
): CounterSeries {
  const mtls = from?.sidecar === true
  const source = mtls
    ? {
        workload: from!.name,
        namespace: from!.namespace,
        principal: spiffeId(from!.namespace, from!.name),
        app: from!.name,
      }
    : { workload: 'unknown', namespace: 'unknown', principal: 'unknown', app: 'unknown' }
  const http = to.protocol === 'http'
  const labels = [
    'reporter="destination"',
    `source_workload="${source.workload}"`,
    `source_workload_namespace="${source.namespace}"`,
    `source_principal="${source.principal}"`,
    `source_app="${source.app}"`,
    `destination_workload="${to.name}"`,
    `destination_workload_namespace="${to.namespace}"`,
    `destination_principal="${spiffeId(to.namespace, to.name)}"`,
    `destination_app="${to.name}"`,
    `destination_service="${serviceHost(to)}"`,
    `destination_service_name="${to.name}"`,
    `destination_service_namespace="${to.namespace}"`,
    `request_protocol="${http ? 'http' : 'tcp'}"`,
    ...(http ? [`response_code="${responseCode ?? 200}"`] : []),
    'response_flags="-"',
    `connection_security_policy="${mtls ? 'mutual_tls' : 'none'}"`,
  ]
  return {
    target: metricsTarget(to.node),
    sample: `${http ? 'istio_requests_total' : 'istio_tcp_connections_opened_total'}{${labels.join(',')}}`,
    offsetMs: nodeOffsetMs[to.node]!,
  }
}

const ephemeralPort = (random: Random) => random.int(32768, 60999)

/** Namespaces whose CiliumNetworkPolicies require mutual authentication (Cilium's `authentication.mode: required`). */
const authRequiredNamespaces = new Set(['data'])
/** How long Cilium's auth map keeps a pair's authentication (its entries expire with the certificates' rotation), ms. */
const authLifetimeMs = 3_600_000

/** Hubble's node name of a node id. */
const hubbleNodeName = (node: string) => meshNodes.find((candidate) => candidate.id === node)!.hubbleName

/** Write one Hubble event at `ts` to the file of `node`. */
function hubbleEvent(
  context: TrafficContext,
  node: string,
  ts: number,
  input: Omit<Parameters<typeof hubbleFlowRecord>[0], 'time' | 'uuid' | 'nodeName'>,
): void {
  const { random } = context
  context.sink.add(
    hubbleTarget(node),
    ts,
    hubbleFlowRecord({
      time: isoNanos(ts, random),
      uuid: uuid(random),
      nodeName: hubbleNodeName(node),
      ...input,
    }),
  )
}

/**
 * A TCP connection as Hubble sees it, event by event: dropped by policy (the SYN and its two
 * retransmissions, 1 s and 3 s later), or forwarded: the SYN leaving the source (TO_STACK), the
 * policy verdict and the SYN delivered at a destination pod (TO_ENDPOINT), and the SYN-ACK reply
 * delivered back to the source (TO_ENDPOINT, `is_reply`), which names the server as source and the
 * client's ephemeral port as destination port. Into a namespace that requires Cilium's mutual
 * authentication, the first SYN of a pair after its auth entry expired is dropped AUTH_REQUIRED and
 * the retransmission a second later gets through.
 */
export function hubbleConnection(
  context: TrafficContext,
  input: {
    ts: number
    from: MeshWorkload
    dstIp: string
    dstPort: number
    destination: HubbleEndpoint
    /** The destination workload (its node observes the ingress side), undefined outside the cluster. */
    to?: MeshWorkload
    /** The destination workload's node for a drop at its ingress; the source's node otherwise. */
    dropNode?: string
    verdict: 'FORWARDED' | 'DROPPED'
    destinationService?: { name: string; namespace: string }
    destinationNames?: string[]
    srcPort?: number
  },
): void {
  const { random } = context
  const srcPort = input.srcPort ?? ephemeralPort(random)
  const source = workloadEndpoint(input.from)
  const forward = {
    srcIp: input.from.ip,
    dstIp: input.dstIp,
    srcPort,
    dstPort: input.dstPort,
    source,
    destination: input.destination,
    ...(input.destinationService ? { destinationService: input.destinationService } : {}),
    ...(input.destinationNames ? { destinationNames: input.destinationNames } : {}),
  }
  if (input.verdict === 'DROPPED') {
    const atDestination = input.dropNode !== undefined
    for (const retry of [0, 1_000, 3_000]) {
      hubbleEvent(context, atDestination ? input.dropNode! : input.from.node, input.ts + retry, {
        ...forward,
        observation: {
          type: 'drop',
          reason: 'POLICY_DENIED',
          direction: atDestination ? 'INGRESS' : 'EGRESS',
          flags: ['SYN'],
        },
      })
    }
    return
  }
  let ts = input.ts
  const to = input.to
  if (to !== undefined && authRequiredNamespaces.has(to.namespace)) {
    const pair = `${input.from.ref}>${to.ref}`
    const authenticated = context.authenticatedPairs.get(pair)
    if (authenticated === undefined || ts - authenticated > authLifetimeMs) {
      context.authenticatedPairs.set(pair, ts)
      hubbleEvent(context, to.node, ts, {
        ...forward,
        observation: { type: 'drop', reason: 'AUTH_REQUIRED', direction: 'INGRESS', flags: ['SYN'] },
      })
      ts += 1_000
    }
  }
  hubbleEvent(context, input.from.node, ts, {
    ...forward,
    observation: { type: 'trace', point: 'TO_STACK', direction: 'EGRESS', reply: false, flags: ['SYN'] },
  })
  if (to !== undefined) {
    hubbleEvent(context, to.node, ts, {
      ...forward,
      observation: { type: 'policy-verdict', direction: 'INGRESS', flags: ['SYN'] },
    })
    hubbleEvent(context, to.node, ts, {
      ...forward,
      interfaceIndex: 20 + (to.ciliumIdentity % 40),
      observation: {
        type: 'trace',
        point: 'TO_ENDPOINT',
        direction: 'INGRESS',
        reply: false,
        flags: ['SYN'],
      },
    })
  }
  // The answer: the server's SYN-ACK, delivered to the client's pod.
  hubbleEvent(context, input.from.node, ts + (to !== undefined ? random.int(0, 2) : random.int(8, 40)), {
    srcIp: input.dstIp,
    dstIp: input.from.ip,
    srcPort: input.dstPort,
    dstPort: srcPort,
    source: input.destination,
    destination: source,
    interfaceIndex: 20 + (input.from.ciliumIdentity % 40),
    observation: {
      type: 'trace',
      point: 'TO_ENDPOINT',
      direction: 'EGRESS',
      reply: true,
      flags: ['SYN', 'ACK'],
    },
  })
}

/**
 * A DNS lookup through Cilium's DNS proxy, seen on the client's node: the query to kube-dns and its
 * answer (`is_reply`, from port 53 to the client's ephemeral port). A name of another namespace
 * goes through the resolver's search path first (`<name>.<namespace>.<own namespace>.svc...`:
 * NXDOMAIN), as `ndots:5` makes it.
 */
export function dnsLookup(
  context: TrafficContext,
  ts: number,
  from: MeshWorkload,
  name: string,
  answer: { ips: string[]; ttl: number },
): void {
  const { random } = context
  const client = workloadEndpoint(from)
  const server = workloadEndpoint(clusterDns)
  const names = name.endsWith('.svc.cluster.local')
    ? [
        ...(name.split('.')[1] === from.namespace
          ? []
          : [`${name.split('.').slice(0, 2).join('.')}.${from.namespace}.svc.cluster.local.`]),
        `${name}.`,
      ]
    : [`${name}.${from.namespace}.svc.cluster.local.`, `${name}.`]
  let at = ts
  names.forEach((query, index) => {
    const last = index === names.length - 1
    const port = random.int(32768, 60999)
    const ends = { srcIp: from.ip, dstIp: clusterDns.ip, srcPort: port, dstPort: 53 }
    hubbleEvent(context, from.node, at, {
      ...ends,
      transport: 'UDP',
      source: client,
      destination: server,
      destinationService: { name: 'kube-dns', namespace: 'kube-system' },
      observation: { type: 'dns', reply: false, query },
    })
    at += random.int(0, 2)
    hubbleEvent(context, from.node, at, {
      srcIp: clusterDns.ip,
      dstIp: from.ip,
      srcPort: 53,
      dstPort: port,
      transport: 'UDP',
      source: server,
      destination: client,
      observation: { type: 'dns', reply: true, query, answer: last ? answer : { nxdomain: true } },
    })
  })
}

/**
 * Datapath noise of a node: a pod's IPv6 router solicitation from its link-local address, dropped
 * INVALID_SOURCE_IP with no endpoint known on either side (the Cilium docs' exporter sample).
 */
export function routerSolicitationDrop(context: TrafficContext, ts: number, node: string): void {
  const { random } = context
  hubbleEvent(context, node, ts, {
    srcIp: `fe80::${random.int(0x1000, 0xffff).toString(16)}:${random.int(0x1000, 0xffff).toString(16)}:fe72:fc14`,
    dstIp: 'ff02::2',
    srcPort: 0,
    dstPort: 0,
    transport: 'ICMPv6',
    source: {},
    destination: {},
    observation: { type: 'drop', reason: 'INVALID_SOURCE_IP' },
  })
}

/** Share of new connections that start with a DNS lookup (the rest hit a cache on the node). */
const dnsLookupShare = 0.2

/** A Hubble connection between two workloads of the mesh (a DNS lookup of its service first, now and then). */
export function workloadConnection(
  context: TrafficContext,
  ts: number,
  from: MeshWorkload,
  to: MeshWorkload,
  port: number,
  verdict: 'FORWARDED' | 'DROPPED',
  srcPort?: number,
): void {
  if (context.random.chance(dnsLookupShare))
    dnsLookup(context, ts - context.random.int(2, 15), from, serviceHost(to), {
      ips: [serviceIp(to)],
      ttl: 30,
    })
  hubbleConnection(context, {
    ts,
    from,
    dstIp: to.ip,
    dstPort: port,
    destination: workloadEndpoint(to),
    to,
    dropNode: to.node,
    verdict,
    destinationService: { name: to.name, namespace: to.namespace },
    ...(srcPort !== undefined ? { srcPort } : {}),
  })
}

/** Count a new inbound connection in the destination's TLS stats: a handshake, or a failure. */
function handshake(context: TrafficContext, ts: number, from: MeshWorkload, to: MeshWorkload): boolean {
  if (!from.sidecar || !to.sidecar) return true
  if (context.handshakesFail(to, ts)) {
    context.sink.increment(tlsStatSeries(to, 'fail_verify_error'), ts)
    return false
  }
  // Now and then a client goes away mid-handshake.
  const failed = context.random.chance(0.0005)
  context.sink.increment(tlsStatSeries(to, failed ? 'connection_error' : 'handshake'), ts)
  return !failed
}

/** BoringSSL's words for a server certificate the client cannot verify, as Envoy logs them. */
const certificateVerifyFailed = 'TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'

/**
 * The client sidecar's record of a request it could not deliver because every mTLS handshake with
 * the destination failed (Istio's default route retries connect failures twice: UF,URX, 503, the
 * TLS error in UPSTREAM_TRANSPORT_FAILURE_REASON and, sanitised, in the response code details). The
 * server's sidecar never saw the request: it logs nothing, its TLS stats count the failures.
 */
export function failedMtlsRequest(
  context: TrafficContext,
  input: { ts: number; from: MeshWorkload; to: MeshWorkload; port: number; method: string; path: string },
): void {
  const { random, sink } = context
  const { ts, from, to, port } = input
  if (!from.sidecar) return
  const host = serviceHost(to)
  sink.add(
    envoyTarget(from.node),
    ts,
    envoyAccessLogRecord({
      startTime: isoMillis(ts),
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        authority: `${to.name}.${to.namespace}:${port}`,
        userAgent: 'Go-http-client/1.1',
      },
      requestId: uuid(random),
      responseCode: 503,
      responseFlags: 'UF,URX',
      responseCodeDetails: `upstream_reset_before_response_started{connection_failure,${certificateVerifyFailed.replaceAll(' ', '_')}}`,
      upstreamTransportFailureReason: certificateVerifyFailed,
      bytesReceived: 0,
      bytesSent: 159,
      duration: random.int(8, 40),
      upstreamHost: `${to.ip}:${port}`,
      upstreamCluster: `outbound|${port}||${host}`,
      downstreamLocalAddress: `${serviceIp(to)}:${port}`,
      downstreamRemoteAddress: `${from.ip}:${ephemeralPort(random)}`,
      connectionSecurityPolicy: 'unknown',
      podName: from.pod,
      podNamespace: from.namespace,
    }),
  )
}

/** What became of a request. */
export interface RequestOutcome {
  /** Denied by OPA (ext_authz) or by Istio RBAC. */
  denied: boolean
  /** Stopped before L7 (failed mTLS handshake). */
  failed: boolean
}

/**
 * One HTTP request from `from` to `to`: a Hubble flow when it opens a connection, the OPA decision
 * at the destination's ext_authz, the destination sidecar's access log record, and its count in the
 * Istio metrics (unless `metrics` is false).
 */
export function httpRequest(
  context: TrafficContext,
  input: {
    ts: number
    from: MeshWorkload
    to: MeshWorkload
    method: string
    path: string
    /** Port called (default: the destination's service port). */
    port?: number
    newConnection: boolean
    /** Force an OPA deny (a request its policy refuses). */
    opaDeny?: boolean
    /** Istio AuthorizationPolicy denies it (no ALLOW policy matched). */
    rbacDeny?: boolean
    /** Response code when it gets through (default 200). */
    status?: number
    responseBytes?: number
    /** Count it in the Istio metrics (default true). */
    metrics?: boolean
    userAgent?: string
  },
): RequestOutcome {
  const { random, sink, policy } = context
  const { ts, from, to } = input
  const port = input.port ?? to.port
  const srcPort = ephemeralPort(random)
  const mtls = from.sidecar && to.sidecar
  const failedRequest = { ts, from, to, port, method: input.method, path: input.path }
  if (input.newConnection) {
    workloadConnection(context, ts, from, to, port, 'FORWARDED', srcPort)
    if (mtls && !handshake(context, ts, from, to)) {
      if (context.handshakesFail(to, ts)) failedMtlsRequest(context, failedRequest)
      return { denied: false, failed: true }
    }
  } else if (mtls && context.handshakesFail(to, ts)) {
    // Pooled connections were closed at the rotation; each retry needs a new handshake.
    workloadConnection(context, ts, from, to, port, 'FORWARDED', srcPort)
    handshake(context, ts, from, to)
    failedMtlsRequest(context, failedRequest)
    return { denied: false, failed: true }
  }
  const requestId = uuid(random)
  const host = serviceHost(to)
  const userAgent = input.userAgent ?? 'Go-http-client/1.1'
  let opaDenied = false
  if (to.opa && port === to.port) {
    const ep = enforcementPoint(to)
    const revision = policy.revisionAt(ep, ts)
    opaDenied =
      input.opaDeny === true || policy.regressionDenies(revision, ep, from.ref, input.method, input.path)
    if (!context.opaSilent(ep, ts)) {
      sink.add(
        opaTarget(ep, ts),
        ts,
        opaDecisionRecord({
          decisionId: uuid(random),
          timestamp: isoMicros(ts, random),
          enforcementPoint: ep,
          service: host,
          revision,
          source: {
            ip: from.ip,
            port: srcPort,
            principal: mtls ? spiffeId(from.namespace, from.name) : undefined,
          },
          destination: { ip: to.ip, port, principal: spiffeId(to.namespace, to.name) },
          http: {
            id: String(random.int(1e15, 9e15)),
            method: input.method,
            path: input.path,
            host: `${host}:${port}`,
            requestId,
            userAgent,
          },
          allowed: !opaDenied,
          evalNs: Math.round(random.logNormal(1_800_000, 0.5)),
        }),
      )
    }
  }
  const rbacDenied = !opaDenied && input.rbacDeny === true
  const denied = opaDenied || rbacDenied
  const status = denied ? 403 : (input.status ?? 200)
  // What both sidecars see of the request: the request line and the bytes each way.
  const exchange = {
    startTime: isoMillis(ts),
    http: {
      method: input.method,
      path: input.path,
      protocol: 'HTTP/1.1',
      authority: `${to.name}.${to.namespace}:${port}`,
      userAgent,
    },
    requestId,
    responseCode: status,
    bytesReceived: input.method === 'GET' ? 0 : random.int(120, 2_400),
    bytesSent: denied ? 19 : (input.responseBytes ?? Math.round(random.logNormal(1_800, 0.9))),
  }
  if (to.sidecar) {
    const duration = denied ? random.int(0, 2) : Math.max(1, Math.round(random.logNormal(9, 0.7)))
    sink.add(
      envoyTarget(to.node),
      ts,
      envoyAccessLogRecord({
        ...exchange,
        responseFlags: opaDenied ? 'UAEX' : '-',
        responseCodeDetails: opaDenied
          ? 'ext_authz_denied'
          : rbacDenied
            ? 'rbac_access_denied_matched_policy[none]'
            : 'via_upstream',
        duration,
        ...(denied ? {} : { upstreamServiceTime: Math.max(0, duration - 1) }),
        ...(denied
          ? {}
          : { upstreamHost: `${to.ip}:${port}`, upstreamLocalAddress: `127.0.0.6:${ephemeralPort(random)}` }),
        upstreamCluster: `inbound|${port}||`,
        downstreamLocalAddress: `${to.ip}:${port}`,
        downstreamRemoteAddress: `${from.ip}:${srcPort}`,
        ...(mtls
          ? {
              requestedServerName: `outbound_.${port}_._.${host}`,
              downstreamPeerUriSan: spiffeId(from.namespace, from.name),
              downstreamLocalUriSan: spiffeId(to.namespace, to.name),
            }
          : {}),
        connectionSecurityPolicy: mtls ? 'mutual_tls' : 'none',
        podName: to.pod,
        podNamespace: to.namespace,
      }),
    )
    if (input.metrics !== false) sink.increment(istioSeries(from, to, status), ts)
  }
  if (from.sidecar) {
    // The client's sidecar logs the same request (same x-request-id) in its outbound view.
    sink.add(
      envoyTarget(from.node),
      ts,
      envoyAccessLogRecord({
        ...exchange,
        responseFlags: '-',
        responseCodeDetails: 'via_upstream',
        duration: random.int(1, 4) + (denied ? 0 : Math.round(random.logNormal(9, 0.7))),
        upstreamServiceTime: random.int(1, 12),
        upstreamHost: `${to.ip}:${port}`,
        upstreamLocalAddress: `${from.ip}:${srcPort}`,
        upstreamCluster: `outbound|${port}||${host}`,
        downstreamLocalAddress: `${serviceIp(to)}:${port}`,
        downstreamRemoteAddress: `${from.ip}:${ephemeralPort(random)}`,
        ...(mtls
          ? {
              upstreamPeerUriSan: spiffeId(to.namespace, to.name),
              upstreamLocalUriSan: spiffeId(from.namespace, from.name),
            }
          : {}),
        connectionSecurityPolicy: 'unknown',
        podName: from.pod,
        podNamespace: from.namespace,
      }),
    )
  }
  return { denied, failed: false }
}

/** One TCP connection to a TCP service (Postgres, Redis): Hubble, the inbound TCP proxy log, metrics. */
export function tcpConnection(
  context: TrafficContext,
  input: {
    ts: number
    from: MeshWorkload
    to: MeshWorkload
    bytesUp: number
    bytesDown: number
    durationMs: number
  },
): void {
  const { random, sink } = context
  const { ts, from, to } = input
  const srcPort = ephemeralPort(random)
  workloadConnection(context, ts, from, to, to.port, 'FORWARDED', srcPort)
  if (!to.sidecar) return
  const mtls = from.sidecar
  if (mtls && !handshake(context, ts, from, to)) return
  sink.add(
    envoyTarget(to.node),
    ts,
    envoyAccessLogRecord({
      startTime: isoMillis(ts),
      responseCode: 0,
      responseFlags: '-',
      responseCodeDetails: '-',
      bytesReceived: input.bytesUp,
      bytesSent: input.bytesDown,
      duration: input.durationMs,
      upstreamHost: `${to.ip}:${to.port}`,
      upstreamLocalAddress: `127.0.0.6:${ephemeralPort(random)}`,
      upstreamCluster: `inbound|${to.port}||`,
      downstreamLocalAddress: `${to.ip}:${to.port}`,
      downstreamRemoteAddress: `${from.ip}:${srcPort}`,
      ...(mtls
        ? {
            requestedServerName: `outbound_.${to.port}_._.${serviceHost(to)}`,
            downstreamPeerUriSan: spiffeId(from.namespace, from.name),
            downstreamLocalUriSan: spiffeId(to.namespace, to.name),
          }
        : {}),
      connectionSecurityPolicy: mtls ? 'mutual_tls' : 'none',
      podName: to.pod,
      podNamespace: to.namespace,
    }),
  )
  sink.increment(istioSeries(from, to, undefined), ts)
  if (!from.sidecar) return
  // The client's sidecar proxies the same connection: its outbound TCP line (response_code 0).
  sink.add(
    envoyTarget(from.node),
    ts,
    envoyAccessLogRecord({
      startTime: isoMillis(ts),
      responseCode: 0,
      responseFlags: '-',
      responseCodeDetails: '-',
      connectionTerminationDetails: '-',
      bytesReceived: input.bytesUp,
      bytesSent: input.bytesDown,
      duration: input.durationMs + random.int(0, 3),
      upstreamHost: `${to.ip}:${to.port}`,
      upstreamLocalAddress: `${from.ip}:${srcPort}`,
      upstreamCluster: `outbound|${to.port}||${serviceHost(to)}`,
      downstreamLocalAddress: `${serviceIp(to)}:${to.port}`,
      downstreamRemoteAddress: `${from.ip}:${ephemeralPort(random)}`,
      upstreamPeerUriSan: spiffeId(to.namespace, to.name),
      upstreamLocalUriSan: spiffeId(from.namespace, from.name),
      connectionSecurityPolicy: 'unknown',
      podName: from.pod,
      podNamespace: from.namespace,
    }),
  )
}

/**
 * One connection to a destination outside the cluster: a Hubble flow to `reserved:world` and the
 * source sidecar's outbound TCP log (TLS passes through: the ServiceEntry's cluster, or Istio's
 * PassthroughCluster for a host nobody declared).
 */
export function egressConnection(
  context: TrafficContext,
  input: {
    ts: number
    from: MeshWorkload
    to: ExternalDestination
    bytesUp: number
    bytesDown: number
    durationMs: number
  },
): void {
  const { random, sink } = context
  const { ts, from, to } = input
  const srcPort = ephemeralPort(random)
  if (to.host !== undefined && random.chance(dnsLookupShare))
    dnsLookup(context, ts - random.int(2, 15), from, to.host, { ips: [to.ip], ttl: 60 })
  hubbleConnection(context, {
    ts,
    from,
    dstIp: to.ip,
    dstPort: to.port,
    destination: worldEndpoint,
    verdict: 'FORWARDED',
    srcPort,
    ...(to.host ? { destinationNames: [to.host] } : {}),
  })
  if (!from.sidecar) return
  sink.add(
    envoyTarget(nodeOf(from).id),
    ts,
    envoyAccessLogRecord({
      startTime: isoMillis(ts),
      responseCode: 0,
      responseFlags: '-',
      responseCodeDetails: '-',
      bytesReceived: input.bytesUp,
      bytesSent: input.bytesDown,
      duration: input.durationMs,
      upstreamHost: `${to.ip}:${to.port}`,
      upstreamLocalAddress: `${from.ip}:${ephemeralPort(random)}`,
      upstreamCluster: to.serviceEntry ? `outbound|${to.port}||${to.serviceEntry}` : 'PassthroughCluster',
      downstreamLocalAddress: `${to.ip}:${to.port}`,
      downstreamRemoteAddress: `${from.ip}:${srcPort}`,
      ...(to.host ? { requestedServerName: to.host } : {}),
      connectionSecurityPolicy: 'unknown',
      podName: from.pod,
      podNamespace: from.namespace,
    }),
  )
}
