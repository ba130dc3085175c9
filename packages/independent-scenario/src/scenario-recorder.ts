import { type EnvoyLine, envoyAccessLogLine } from './envoy-access-log-records.ts'
import { type dropReasons, type FlowEnd, type HubbleEvent, hubbleFlowLine } from './hubble-flow-records.ts'
import { type Pod, serviceHost, spiffeIdOf, type Workload } from './mesh.ts'
import { type OktaEvent, oktaEventLine } from './okta-system-log-records.ts'
import { type OpaDecision, opaDecisionEvent } from './opa-decision-records.ts'
import type { SeededRandom } from './seeded-random.ts'

/** One file of the scenario: a wire format, its records in event-time order. */
export interface IndependentStream {
  /** `/v1/ingest/<format>`. */
  format: string
  /** Path under the scenario folder. */
  path: string
  join: 'lines' | 'json-array'
  options?: Record<string, string>
  items: { ts: number; text: string }[]
}

/** A workload's pod as a flow end. */
export const podEnd = (workload: Workload, pod: Pod): FlowEnd => ({ kind: 'pod', workload, pod })

const sameNode = (a: FlowEnd, b: FlowEnd) => a.kind === 'pod' && b.kind === 'pod' && a.pod.node === b.pod.node
const nodeOf = (end: FlowEnd, fallback: string) => (end.kind === 'pod' ? end.pod.node : fallback)

/** How one HTTP request through the mesh went. */
export interface MeshRequest {
  ms: number
  client: { workload: Workload; pod: Pod }
  /** A browser's request entering through the ingress gateway (the client is the gateway). */
  viaGateway?: { ip: string; port: number; userAgent: string }
  server: Workload
  serverPod: Pod
  method: string
  path: string
  status: number
  /** Envoy response flags, `-` for none. */
  flags?: string
  details?: string
  /** The client sidecar's source port toward the server (the port Hubble shows for the connection). */
  connectionPort: number
  /** Whether the connection was mutual TLS (false: a plaintext client, no SNI, no peer SAN). */
  mtls?: boolean
  /** ext_authz result where the server runs opa-envoy-plugin (default allow). */
  opaAllowed?: boolean
  bundleRevision?: string
  transportFailure?: string
  userAgent?: string
}

/**
 * Collects the records of every source as the mesh's events happen: one call per connection,
 * request, DNS lookup or sign-in writes what each source would have written about it.
 */
export class ScenarioRecorder {
  readonly hubbleStream: IndependentStream = {
    format: 'hubble-flow',
    path: 'hubble/observe.json',
    join: 'lines',
    items: [],
  }
  readonly envoyStream: IndependentStream = {
    format: 'istio-access-log',
    path: 'istio/access.log',
    join: 'lines',
    items: [],
  }
  readonly opaStream: IndependentStream = {
    format: 'opa-decision-log',
    path: 'opa/decisions.json',
    join: 'json-array',
    items: [],
  }
  // A System Log export holds every event type; the shipper tells the collector to leave the
  // ones that are no authentication aside (policy evaluations, MFA push denials, lock events).
  readonly oktaStream: IndependentStream = {
    format: 'okta-system-log',
    path: 'okta/system-log.ndjson',
    join: 'lines',
    options: { skip_other_events: 'true' },
    items: [],
  }
  private nanos = 0

  constructor(
    readonly random: SeededRandom,
    readonly bundleRevision: (ms: number) => string,
  ) {}

  ephemeralPort(): number {
    return this.random.int(32768, 60999)
  }

  private flow(event: Omit<HubbleEvent, 'nanos'>): void {
    this.nanos = (this.nanos + 1 + this.random.int(0, 997)) % 1_000_000
    this.hubbleStream.items.push({ ts: event.ms, text: hubbleFlowLine({ ...event, nanos: this.nanos }) })
  }

  /**
   * A TCP connection as Hubble shows it: SYN at each observation point (through the overlay when the
   * ends are on different nodes), the ingress policy verdict, the SYN-ACK reply both ways, and FIN
   * both ways at `closeMs`. `drop`: the SYN is dropped at the server (retransmitted, no reply).
   * `authFirst`: Cilium mutual authentication drops the first SYN (AUTH_REQUIRED) until the
   * handshake is done; the retransmission passes. `refused`: the port is closed, the server answers RST.
   */
  tcpConnection(
    ms: number,
    client: FlowEnd,
    server: FlowEnd,
    port: number,
    options: {
      clientPort?: number
      closeMs?: number
      drop?: keyof typeof dropReasons
      authFirst?: boolean
      refused?: boolean
      policyVerdict?: boolean
    } = {},
  ): number {
    const clientPort = options.clientPort ?? this.ephemeralPort()
    const clientNode = nodeOf(client, nodeOf(server, ''))
    const serverNode = nodeOf(server, clientNode)
    const forward = { proto: 'TCP' as const, sourcePort: clientPort, destinationPort: port }
    const back = { proto: 'TCP' as const, sourcePort: port, destinationPort: clientPort }
    let at = ms
    const leaves = () => {
      if (server.kind === 'world' || server.kind === 'host')
        this.flow({
          ms: at,
          node: clientNode,
          source: client,
          destination: server,
          l4: { ...forward, flags: ['SYN'] },
          event: { type: 'trace', point: 'TO_STACK' },
          direction: 'EGRESS',
          isReply: false,
        })
      else if (client.kind === 'pod' && !sameNode(client, server))
        this.flow({
          ms: at,
          node: clientNode,
          source: client,
          destination: server,
          l4: { ...forward, flags: ['SYN'] },
          event: { type: 'trace', point: 'TO_OVERLAY' },
          direction: 'EGRESS',
          isReply: false,
        })
    }
    if (options.authFirst) {
      leaves()
      this.flow({
        ms: at + 0.3,
        node: serverNode,
        source: client,
        destination: server,
        l4: { ...forward, flags: ['SYN'] },
        event: { type: 'drop', reason: 'AUTH_REQUIRED' },
        direction: 'INGRESS',
        isReply: false,
      })
      at += 1000 + this.random.int(0, 40)
    }
    if (options.drop) {
      for (const wait of [0, 1000, 3000, 7000]) {
        at = ms + wait
        leaves()
        this.flow({
          ms: at + 0.4,
          node: serverNode,
          source: client,
          destination: server,
          l4: { ...forward, flags: ['SYN'] },
          event: { type: 'drop', reason: options.drop },
          direction: 'INGRESS',
          isReply: false,
        })
      }
      return clientPort
    }
    leaves()
    if (server.kind === 'pod') {
      if (options.policyVerdict !== false)
        this.flow({
          ms: at + 0.4,
          node: serverNode,
          source: client,
          destination: server,
          l4: { ...forward, flags: ['SYN'] },
          event: { type: 'verdict', matchType: 3 },
          direction: 'INGRESS',
          isReply: false,
        })
      this.flow({
        ms: at + 0.5,
        node: serverNode,
        source: client,
        destination: server,
        l4: { ...forward, flags: ['SYN'] },
        event: { type: 'trace', point: 'TO_ENDPOINT' },
        direction: 'INGRESS',
        isReply: false,
      })
    }
    const replyFlags = options.refused ? ['RST', 'ACK'] : ['SYN', 'ACK']
    if (server.kind === 'pod' && !sameNode(client, server))
      this.flow({
        ms: at + 0.7,
        node: serverNode,
        source: server,
        destination: client,
        l4: { ...back, flags: replyFlags },
        event: { type: 'trace', point: client.kind === 'pod' ? 'TO_OVERLAY' : 'TO_STACK' },
        direction: 'INGRESS',
        isReply: true,
      })
    if (client.kind === 'pod')
      this.flow({
        ms: at + (server.kind === 'world' ? 24 : 0.9),
        node: clientNode,
        source: server,
        destination: client,
        l4: { ...back, flags: replyFlags },
        event: { type: 'trace', point: 'TO_ENDPOINT' },
        direction: 'EGRESS',
        isReply: true,
      })
    else if (server.kind === 'pod')
      this.flow({
        ms: at + 0.8,
        node: serverNode,
        source: server,
        destination: client,
        l4: { ...back, flags: replyFlags },
        event: { type: 'trace', point: 'TO_STACK' },
        direction: 'INGRESS',
        isReply: true,
      })
    if (options.refused || options.closeMs === undefined) return clientPort
    const close = options.closeMs
    if (server.kind === 'pod')
      this.flow({
        ms: close,
        node: serverNode,
        source: client,
        destination: server,
        l4: { ...forward, flags: ['FIN', 'ACK'] },
        event: { type: 'trace', point: 'TO_ENDPOINT' },
        direction: 'INGRESS',
        isReply: false,
      })
    if (client.kind === 'pod')
      this.flow({
        ms: close + 0.6,
        node: clientNode,
        source: server,
        destination: client,
        l4: { ...back, flags: ['FIN', 'ACK'] },
        event: { type: 'trace', point: 'TO_ENDPOINT' },
        direction: 'EGRESS',
        isReply: true,
      })
    return clientPort
  }

  /** A lookup through CoreDNS as Hubble's DNS proxy sees it: query, then answer (NXDOMAIN when `ips` is empty). */
  dns(
    ms: number,
    client: FlowEnd,
    coredns: { workload: Workload; pod: Pod },
    query: string,
    ips: string[],
  ): void {
    const dnsEnd = podEnd(coredns.workload, coredns.pod)
    const port = this.ephemeralPort()
    const node = nodeOf(client, coredns.pod.node)
    this.flow({
      ms,
      node,
      source: client,
      destination: dnsEnd,
      l4: { proto: 'UDP', sourcePort: port, destinationPort: 53 },
      event: { type: 'dns', query, qtype: 'A' },
      direction: 'EGRESS',
      isReply: false,
    })
    this.flow({
      ms: ms + 0.8 + this.random.next(),
      node,
      source: dnsEnd,
      destination: client,
      l4: { proto: 'UDP', sourcePort: 53, destinationPort: port },
      event: {
        type: 'dns',
        query,
        qtype: 'A',
        answer: { rcode: ips.length > 0 ? 0 : 3, ips, ttl: ips.length > 0 ? 30 : 4294967295 },
      },
      direction: 'EGRESS',
      isReply: true,
    })
  }

  /**
   * One HTTP request: the client sidecar's outbound line, the opa-envoy-plugin decision (servers
   * running it), the server sidecar's inbound line. A client outside the mesh (a browser through the
   * gateway is a workload client; a plaintext pod is `mtls: false`) has no outbound line.
   */
  request(request: MeshRequest): void {
    const random = this.random
    const requestId = random.uuid()
    const host = `${serviceHost(request.server)}:${request.server.port}`
    const authority = request.viaGateway ? 'shop.northwind.example' : host
    const mtls = request.mtls ?? true
    const serverAddress = `${request.serverPod.ip}:${request.server.port}`
    const serviceTime = random.int(2, 40)
    const inboundDuration = serviceTime + random.int(0, 2)
    const outboundDuration = inboundDuration + random.int(1, 3)
    const flags = request.flags ?? '-'
    const details = request.details ?? 'via_upstream'
    const bytesSent = request.status >= 400 ? random.int(19, 160) : random.int(200, 24_000)
    const bytesReceived = request.method === 'POST' ? random.int(80, 2400) : 0
    const clientWorkload = request.client
    const clientIp = clientWorkload.pod.ip
    const userAgent =
      request.userAgent ??
      request.viaGateway?.userAgent ??
      (request.server.protocol === 'grpc' ? 'grpc-go/1.63.2' : 'Go-http-client/1.1')
    const denied = request.server.opa && request.opaAllowed === false
    const status = denied ? 403 : request.status
    const base: Omit<EnvoyLine, 'upstreamCluster' | 'downstreamLocalAddress' | 'downstreamRemoteAddress'> = {
      startMs: request.ms,
      authority,
      method: request.method,
      path: request.path,
      protocol: request.server.protocol === 'grpc' ? 'HTTP/2' : 'HTTP/1.1',
      responseCode: status,
      responseCodeDetails: denied ? 'ext_authz_denied' : details,
      responseFlags: denied ? 'UAEX' : flags,
      bytesReceived,
      bytesSent,
      durationMs: inboundDuration,
      upstreamServiceTimeMs: denied ? null : serviceTime,
      requestId,
      userAgent,
      xForwardedFor: request.viaGateway?.ip ?? null,
      upstreamHost: denied ? null : serverAddress,
      upstreamLocalAddress: null,
      requestedServerName: null,
      routeName: 'default',
      upstreamTransportFailureReason: request.transportFailure ?? null,
      connectionTerminationDetails: null,
      downstreamPeerUriSan: null,
      upstreamPeerUriSan: null,
    }
    const sourcePrincipal = mtls ? spiffeIdOf(clientWorkload.workload) : null
    if (clientWorkload.workload.sidecar && mtls) {
      const gateway = request.viaGateway
      // The client's view: the ClusterIP it dialled, the server pod its sidecar picked.
      this.envoyStream.items.push({
        ts: request.ms,
        text: envoyAccessLogLine({
          ...base,
          responseFlags: denied ? '-' : flags,
          responseCodeDetails: denied ? 'via_upstream' : details,
          durationMs: outboundDuration,
          upstreamServiceTimeMs: inboundDuration,
          upstreamCluster: `outbound|${request.server.port}||${serviceHost(request.server)}`,
          upstreamHost: serverAddress,
          upstreamLocalAddress: `${clientIp}:${request.connectionPort}`,
          downstreamLocalAddress: gateway
            ? `${clientIp}:8080`
            : `${request.server.clusterIp}:${request.server.port}`,
          downstreamRemoteAddress: gateway
            ? `${gateway.ip}:${gateway.port}`
            : `${clientIp}:${this.ephemeralPort()}`,
          upstreamPeerUriSan: request.transportFailure ? null : spiffeIdOf(request.server),
          upstreamTransportFailureReason: request.transportFailure ?? null,
        }),
      })
    }
    if (request.transportFailure) return
    if (request.server.opa) {
      const decision: OpaDecision = {
        ms: request.ms + 0.2,
        decisionId: random.uuid(),
        instanceId: `${request.serverPod.name}-opa`,
        bundleRevision: request.bundleRevision ?? this.bundleRevision(request.ms),
        sourceIp: clientIp,
        sourcePort: request.connectionPort,
        sourcePrincipal,
        destinationIp: request.serverPod.ip,
        destinationPort: request.server.port,
        destinationPrincipal: spiffeIdOf(request.server),
        requestId,
        method: request.method,
        path: request.path,
        host: authority,
        userAgent,
        allowed: request.opaAllowed ?? true,
        evalNs: random.int(180_000, 2_400_000),
      }
      this.opaStream.items.push({ ts: decision.ms, text: opaDecisionEvent(decision) })
    }
    if (!request.server.sidecar) return
    this.envoyStream.items.push({
      ts: request.ms + 0.1,
      text: envoyAccessLogLine({
        ...base,
        upstreamCluster: `inbound|${request.server.port}||`,
        upstreamLocalAddress: denied ? null : `127.0.0.6:${this.ephemeralPort()}`,
        downstreamLocalAddress: serverAddress,
        downstreamRemoteAddress: `${clientIp}:${request.connectionPort}`,
        requestedServerName: mtls
          ? `outbound_.${request.server.port}_._.${serviceHost(request.server)}`
          : null,
        downstreamPeerUriSan: sourcePrincipal,
      }),
    })
  }

  /**
   * A TCP session through the sidecars (databases, Kafka, TLS egress): one line per side when the
   * connection closes, `response_code` 0 and no HTTP fields.
   */
  tcpSession(
    ms: number,
    client: { workload: Workload; pod: Pod },
    server:
      | { kind: 'mesh'; workload: Workload; pod: Pod }
      | { kind: 'external'; host: string; ip: string; port: number; passthrough: boolean },
    connectionPort: number,
    durationMs: number,
    bytesSent: number,
    bytesReceived: number,
    failure?: { flags: string; details: string },
  ): void {
    const clientIp = client.pod.ip
    const start = ms
    const end = ms + durationMs
    const line = (
      overrides: Partial<EnvoyLine> &
        Pick<EnvoyLine, 'upstreamCluster' | 'downstreamLocalAddress' | 'downstreamRemoteAddress'>,
    ) =>
      envoyAccessLogLine({
        startMs: start,
        authority: null,
        method: null,
        path: null,
        protocol: null,
        responseCode: 0,
        responseCodeDetails: null,
        responseFlags: failure?.flags ?? '-',
        bytesReceived: bytesSent,
        bytesSent: bytesReceived,
        durationMs,
        upstreamServiceTimeMs: null,
        requestId: null,
        userAgent: null,
        xForwardedFor: null,
        upstreamHost: null,
        upstreamLocalAddress: null,
        requestedServerName: null,
        routeName: null,
        upstreamTransportFailureReason: null,
        connectionTerminationDetails: failure?.details ?? null,
        downstreamPeerUriSan: null,
        upstreamPeerUriSan: null,
        ...overrides,
      })
    if (server.kind === 'external') {
      const address = `${server.ip}:${server.port}`
      this.envoyStream.items.push({
        ts: end,
        text: line({
          upstreamCluster: server.passthrough
            ? 'PassthroughCluster'
            : `outbound|${server.port}||${server.host}`,
          upstreamHost: address,
          upstreamLocalAddress: `${clientIp}:${connectionPort}`,
          downstreamLocalAddress: address,
          downstreamRemoteAddress: `${clientIp}:${this.ephemeralPort()}`,
          requestedServerName: server.host,
        }),
      })
      return
    }
    const serverAddress = `${server.pod.ip}:${server.workload.port}`
    this.envoyStream.items.push({
      ts: end,
      text: line({
        upstreamCluster: `outbound|${server.workload.port}||${serviceHost(server.workload)}`,
        upstreamHost: serverAddress,
        upstreamLocalAddress: failure ? null : `${clientIp}:${connectionPort}`,
        downstreamLocalAddress: `${server.workload.clusterIp}:${server.workload.port}`,
        downstreamRemoteAddress: `${clientIp}:${this.ephemeralPort()}`,
        upstreamPeerUriSan: failure ? null : spiffeIdOf(server.workload),
      }),
    })
    if (failure || !server.workload.sidecar) return
    this.envoyStream.items.push({
      ts: end + 0.1,
      text: line({
        upstreamCluster: `inbound|${server.workload.port}||`,
        upstreamHost: serverAddress,
        upstreamLocalAddress: `127.0.0.6:${this.ephemeralPort()}`,
        downstreamLocalAddress: serverAddress,
        downstreamRemoteAddress: `${clientIp}:${connectionPort}`,
        requestedServerName: `outbound_.${server.workload.port}_._.${serviceHost(server.workload)}`,
        downstreamPeerUriSan: spiffeIdOf(client.workload),
        bytesReceived: bytesSent,
        bytesSent: bytesReceived,
      }),
    })
  }

  /** A server sidecar's line for a plaintext connection that matched no filter chain (STRICT). */
  plaintextRefused(ms: number, clientIp: string, clientPort: number, server: Workload, pod: Pod): void {
    this.envoyStream.items.push({
      ts: ms,
      text: envoyAccessLogLine({
        startMs: ms,
        authority: null,
        method: null,
        path: null,
        protocol: null,
        responseCode: 0,
        responseCodeDetails: 'filter_chain_not_found',
        responseFlags: 'NR',
        bytesReceived: 0,
        bytesSent: 0,
        durationMs: 0,
        upstreamServiceTimeMs: null,
        requestId: null,
        userAgent: null,
        xForwardedFor: null,
        upstreamCluster: null,
        upstreamHost: null,
        upstreamLocalAddress: null,
        downstreamLocalAddress: `${pod.ip}:${server.port}`,
        downstreamRemoteAddress: `${clientIp}:${clientPort}`,
        requestedServerName: null,
        routeName: null,
        upstreamTransportFailureReason: null,
        connectionTerminationDetails: null,
        downstreamPeerUriSan: null,
        upstreamPeerUriSan: null,
      }),
    })
  }

  okta(event: OktaEvent): void {
    this.oktaStream.items.push({ ts: event.ms, text: oktaEventLine(event) })
  }

  /** The streams, each in event-time order. */
  streams(): IndependentStream[] {
    const out = [this.hubbleStream, this.envoyStream, this.opaStream, this.oktaStream]
    for (const stream of out) stream.items.sort((a, b) => a.ts - b.ts)
    return out
  }
}
