import { AddressSet, parseCidr } from './cidr.ts'
import type { IntentVerdict, WorkloadRef } from './declared-intent.ts'
import type { DocumentContext, DocumentPath } from './document-context.ts'
import type { EgressDeclaration } from './egress-declarations.ts'
import type {
  CiliumCidrRule,
  CiliumEgressRule,
  CiliumIngressRule,
  CiliumPolicyDocument,
  CiliumPortRule,
  NetworkPolicyDocument,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from './intent-schemas.ts'
import { ciliumPatternToRegExp, normaliseHost } from './string-match.ts'
import { type Tri, triAnd, triOr, triSome } from './tri-state.ts'
import type { WorkloadSelector } from './workload-selector.ts'

/*
 * NetworkPolicy and CiliumNetworkPolicy compiled to one model, per direction: a policy selects
 * workloads (its subject), may isolate them (default deny for that direction), and carries allow and
 * deny rules about the peer (the source at ingress, the destination at egress) and the port.
 * Cilium enforces both kinds together, so allows are unioned across kinds and Cilium's deny rules win.
 */

/** Does a rule match a flow? `peerIp` is the peer's address when known (for ipBlock / CIDR rules). */
export type FlowRule = (
  peer: WorkloadRef | undefined,
  peerIp: string | undefined,
  port: number,
  protocol: string | undefined,
) => Tri

type PeerTest = (peer: WorkloadRef | undefined, peerIp: string | undefined) => Tri
type PortTest = (port: number, protocol: string | undefined) => Tri

/** One policy's part for one direction. */
export interface SidePolicy {
  /** `Kind/namespace/name` (`CiliumClusterwideNetworkPolicy/name` for cluster-wide ones). */
  id: string
  /** Namespace whose workloads it may select; undefined: every namespace (cluster-wide). */
  namespace: string | undefined
  subject: WorkloadSelector
  /** Whether selecting a workload puts it in default deny for this direction. */
  isolates: boolean
  allow: FlowRule[]
  deny: FlowRule[]
}

/** What one network document declares. */
export interface NetworkDeclarations {
  ingress: SidePolicy[]
  egress: SidePolicy[]
  /** External destinations allowed by Cilium egress rules (`toFQDNs`, `toCIDR`, `toCIDRSet`). */
  egressDestinations: EgressDeclaration[]
}

const anyPort: PortTest = () => true

function numericPort(port: number | string | undefined): number | 'named' | undefined {
  if (port === undefined) return undefined
  if (typeof port === 'number') return port
  return /^\d+$/.test(port) ? Number(port) : 'named'
}

/** A port entry: named ports cannot be resolved from records, so they match `unknown`. */
function portEntryTest(
  port: number | string | undefined,
  endPort: number | undefined,
  protocol: string,
): PortTest {
  const resolved = numericPort(port)
  return (flowPort, flowProtocol) => {
    if (protocol !== 'ANY' && flowProtocol !== undefined && flowProtocol !== protocol) return false
    if (resolved === undefined || resolved === 0) return true
    if (resolved === 'named') return 'unknown'
    return flowPort >= resolved && flowPort <= (endPort ?? resolved)
  }
}

function anyOf(tests: PortTest[]): PortTest {
  return (port, protocol) => triSome(tests, (test) => test(port, protocol))
}

/** Peers given by address only match peers that are not workloads, and only when the address is known. */
function addressPeer(addresses: AddressSet): PeerTest {
  return (peer, peerIp) => (peer ? false : peerIp === undefined ? 'unknown' : addresses.has(peerIp))
}

// --- Kubernetes NetworkPolicy -------------------------------------------------------------------

function networkPolicyPorts(ports: NetworkPolicyPort[] | undefined): PortTest {
  if (!ports || ports.length === 0) return anyPort
  return anyOf(ports.map((port) => portEntryTest(port.port, port.endPort, port.protocol ?? 'TCP')))
}

function networkPolicyPeer(peer: NetworkPolicyPeer, context: DocumentContext, path: DocumentPath): PeerTest {
  if (peer.ipBlock) {
    const addresses = new AddressSet().add(parseCidr(peer.ipBlock.cidr)!)
    for (const hole of peer.ipBlock.except ?? []) addresses.except(parseCidr(hole)!)
    return addressPeer(addresses)
  }
  const pods = peer.podSelector
    ? context.selector(peer.podSelector, 'pod', [...path, 'podSelector'])
    : undefined
  const namespaces = peer.namespaceSelector
    ? context.selector(peer.namespaceSelector, 'namespace', [...path, 'namespaceSelector'])
    : undefined
  const home = context.namespace
  return (workload) => {
    if (!workload) return false
    const inNamespace = namespaces ? namespaces.matches(workload) : workload.namespace === home
    return inNamespace && (pods ? pods.matches(workload) : true)
  }
}

function networkPolicyRule(
  peers: NetworkPolicyPeer[] | undefined,
  ports: NetworkPolicyPort[] | undefined,
  context: DocumentContext,
  path: DocumentPath,
  peersKey: 'from' | 'to',
): FlowRule {
  // An empty or missing peer list matches every peer, an empty or missing port list every port.
  const peerTests = peers?.length
    ? peers.map((peer, index) => networkPolicyPeer(peer, context, [...path, peersKey, index]))
    : undefined
  const portTest = networkPolicyPorts(ports)
  return (peer, peerIp, port, protocol) => {
    const peerMatch = peerTests ? triSome(peerTests, (test) => test(peer, peerIp)) : true
    return peerMatch === false ? false : triAnd(peerMatch, portTest(port, protocol))
  }
}

/**
 * A Kubernetes NetworkPolicy. `policyTypes` defaults to Ingress, plus Egress when there are egress
 * rules; a listed type with no rules isolates and allows nothing (the usual default deny).
 */
export function compileNetworkPolicy(
  document: NetworkPolicyDocument,
  context: DocumentContext,
): NetworkDeclarations {
  const { spec } = document
  const subject = context.selector(spec.podSelector, 'pod', ['spec', 'podSelector'])
  const types = spec.policyTypes ?? ((spec.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'])
  const declarations: NetworkDeclarations = { ingress: [], egress: [], egressDestinations: [] }
  const base = { id: context.id, namespace: context.namespace, subject, isolates: true, deny: [] }
  if (types.includes('Ingress')) {
    declarations.ingress.push({
      ...base,
      allow: (spec.ingress ?? []).map((rule, index) =>
        networkPolicyRule(rule.from, rule.ports, context, ['spec', 'ingress', index], 'from'),
      ),
    })
  } else if (spec.ingress?.length) {
    context.report(['spec', 'ingress'], 'ignored: policyTypes does not list Ingress', 'warning')
  }
  if (types.includes('Egress')) {
    declarations.egress.push({
      ...base,
      allow: (spec.egress ?? []).map((rule, index) =>
        networkPolicyRule(rule.to, rule.ports, context, ['spec', 'egress', index], 'to'),
      ),
    })
  } else if (spec.egress?.length) {
    context.report(['spec', 'egress'], 'ignored: policyTypes does not list Egress', 'warning')
  }
  return declarations
}

// --- CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy ---------------------------------------

const knownEntities = new Set([
  'all',
  'world',
  'world-ipv4',
  'world-ipv6',
  'cluster',
  'host',
  'remote-node',
  'kube-apiserver',
  'ingress',
  'init',
  'health',
  'unmanaged',
  'none',
])

/** Entities: `all` is anyone, `cluster` any workload; a peer that is not a workload may be any of the others. */
function entityPeer(entity: string): PeerTest {
  if (entity === 'all') return () => true
  if (entity === 'cluster') return (peer) => (peer ? true : 'unknown')
  if (entity === 'none') return () => false
  return (peer) => (peer ? false : 'unknown')
}

function ciliumPorts(
  rules: CiliumPortRule[] | undefined,
  icmps: unknown[] | undefined,
): PortTest | undefined {
  const tests: PortTest[] = []
  for (const rule of rules ?? []) {
    if (!rule.ports || rule.ports.length === 0) tests.push(anyPort)
    for (const port of rule.ports ?? [])
      tests.push(portEntryTest(port.port, port.endPort, port.protocol ?? 'ANY'))
  }
  if (icmps?.length) tests.push((_, protocol) => protocol === 'ICMP' || protocol === 'ICMPV6')
  return rules?.length || icmps?.length ? anyOf(tests) : undefined
}

function cidrSetAddresses(
  cidrs: string[] | undefined,
  cidrSet: CiliumCidrRule[] | undefined,
  context: DocumentContext,
  path: DocumentPath,
  setKey: string,
): { addresses: AddressSet; groupRefs: boolean } {
  const addresses = new AddressSet()
  for (const cidr of cidrs ?? []) addresses.add(parseCidr(cidr)!)
  let groupRefs = false
  for (const [index, entry] of (cidrSet ?? []).entries()) {
    if (entry.cidr !== undefined) addresses.add(parseCidr(entry.cidr)!)
    else {
      groupRefs = true
      context.warnOnce(
        'cidr-group',
        [...path, setKey, index],
        'cidrGroupRef cannot be resolved here; not evaluated',
      )
    }
    for (const hole of entry.except ?? []) addresses.except(parseCidr(hole)!)
  }
  return { addresses, groupRefs }
}

type CiliumRuleInput = CiliumIngressRule | CiliumEgressRule

function ciliumRule(
  rule: CiliumRuleInput,
  direction: 'ingress' | 'egress',
  context: DocumentContext,
  path: DocumentPath,
  clusterwide: boolean,
): FlowRule {
  const ingress = direction === 'ingress' ? (rule as CiliumIngressRule) : undefined
  const egress = direction === 'egress' ? (rule as CiliumEgressRule) : undefined
  const endpointsKey = ingress ? 'fromEndpoints' : 'toEndpoints'
  const peers: PeerTest[] = []
  const home = context.namespace
  for (const [index, input] of (ingress?.fromEndpoints ?? egress?.toEndpoints ?? []).entries()) {
    const selector = context.selector(input, 'endpoint', [...path, endpointsKey, index])
    // Without a namespace label, a namespaced policy's selector only reaches its own namespace.
    const anyNamespace = clusterwide || selector.constrainsNamespace
    peers.push((peer) => (peer ? selector.matches(peer) && (anyNamespace || peer.namespace === home) : false))
  }
  const entitiesKey = ingress ? 'fromEntities' : 'toEntities'
  for (const [index, entity] of (ingress?.fromEntities ?? egress?.toEntities ?? []).entries()) {
    if (!knownEntities.has(entity))
      context.report([...path, entitiesKey, index], `unknown entity "${entity}"; not evaluated`, 'warning')
    peers.push(entityPeer(entity))
  }
  const setKey = ingress ? 'fromCIDRSet' : 'toCIDRSet'
  const cidrs = ingress?.fromCIDR ?? egress?.toCIDR
  const cidrSet = ingress?.fromCIDRSet ?? egress?.toCIDRSet
  if (cidrs?.length || cidrSet?.length) {
    const { addresses, groupRefs } = cidrSetAddresses(cidrs, cidrSet, context, path, setKey)
    const byAddress = addressPeer(addresses)
    peers.push(groupRefs ? (peer, ip) => triOr(byAddress(peer, ip), peer ? false : 'unknown') : byAddress)
  }
  if (egress?.toFQDNs?.length) peers.push((peer) => (peer ? false : 'unknown'))
  const unsupported = ingress
    ? (['fromNodes', 'fromGroups'] as const)
    : (['toNodes', 'toGroups', 'toServices'] as const)
  for (const key of unsupported) {
    if (!(rule as Record<string, unknown[] | undefined>)[key]?.length) continue
    context.warnOnce(
      key,
      [...path, key],
      `${key} is not evaluated (it cannot be matched to workload identities)`,
    )
    peers.push(key === 'toServices' ? () => 'unknown' : (peer) => (peer ? false : 'unknown'))
  }
  const requiresKey = ingress ? 'fromRequires' : 'toRequires'
  if ((rule as Record<string, unknown[] | undefined>)[requiresKey]?.length)
    context.warnOnce(
      requiresKey,
      [...path, requiresKey],
      `${requiresKey} is deprecated in Cilium and not evaluated`,
    )
  const ports = ciliumPorts(rule.toPorts, rule.icmps)
  // Cilium: an empty rule (`- {}`) allows nothing; a rule with ports only applies to every peer.
  if (peers.length === 0 && ports === undefined) return () => false
  return (peer, peerIp, port, protocol) => {
    const peerMatch = peers.length === 0 ? true : triSome(peers, (test) => test(peer, peerIp))
    if (peerMatch === false) return false
    return triAnd(peerMatch, ports ? ports(port, protocol) : true)
  }
}

function numericPorts(rules: CiliumPortRule[] | undefined): number[] | undefined {
  if (!rules?.length) return undefined
  const ports: number[] = []
  for (const rule of rules) {
    if (!rule.ports?.length) return undefined
    for (const port of rule.ports) {
      const resolved = numericPort(port.port)
      if (resolved === undefined || resolved === 0 || resolved === 'named') return undefined
      for (let value = resolved; value <= (port.endPort ?? resolved); value += 1) ports.push(value)
    }
  }
  return ports
}

function ciliumEgressDestinations(rule: CiliumEgressRule, context: DocumentContext): EgressDeclaration[] {
  const ports = numericPorts(rule.toPorts)
  const withPorts = ports ? { ports } : {}
  const declarations: EgressDeclaration[] = []
  for (const fqdn of rule.toFQDNs ?? []) {
    if (fqdn.matchName !== undefined) {
      const name = normaliseHost(fqdn.matchName)
      declarations.push({ by: context.id, target: name, host: (host) => host === name, ...withPorts })
    } else if (fqdn.matchPattern !== undefined) {
      const pattern = ciliumPatternToRegExp(fqdn.matchPattern)
      declarations.push({
        by: context.id,
        target: fqdn.matchPattern,
        host: (host) => pattern.test(host),
        ...withPorts,
      })
    }
  }
  for (const cidr of rule.toCIDR ?? []) {
    declarations.push({
      by: context.id,
      target: cidr,
      addresses: new AddressSet().add(parseCidr(cidr)!),
      ...withPorts,
    })
  }
  for (const entry of rule.toCIDRSet ?? []) {
    if (entry.cidr === undefined) continue
    const addresses = new AddressSet().add(parseCidr(entry.cidr)!)
    for (const hole of entry.except ?? []) addresses.except(parseCidr(hole)!)
    const except = entry.except?.length ? ` except ${entry.except.join(', ')}` : ''
    declarations.push({ by: context.id, target: `${entry.cidr}${except}`, addresses, ...withPorts })
  }
  return declarations
}

/**
 * A CiliumNetworkPolicy (namespaced: selects endpoints of its namespace) or
 * CiliumClusterwideNetworkPolicy (selects across namespaces). Each rule of `spec` / `specs`
 * isolates a direction when it has rules there (or `enableDefaultDeny` says so); deny rules win.
 */
export function compileCiliumPolicy(
  document: CiliumPolicyDocument,
  context: DocumentContext,
  clusterwide: boolean,
): NetworkDeclarations {
  const declarations: NetworkDeclarations = { ingress: [], egress: [], egressDestinations: [] }
  const rules: [CiliumPolicyDocument['spec'] & object, DocumentPath][] = []
  if (document.spec) rules.push([document.spec, ['spec']])
  for (const [index, rule] of (document.specs ?? []).entries()) rules.push([rule, ['specs', index]])
  for (const [rule, path] of rules) {
    if (rule.endpointSelector === undefined) {
      if (rule.nodeSelector !== undefined)
        context.report(
          [...path, 'nodeSelector'],
          'host policies select nodes, not workloads; not evaluated',
          'warning',
        )
      else context.report([...path], 'needs endpointSelector')
      continue
    }
    const subject = context.selector(rule.endpointSelector, 'endpoint', [...path, 'endpointSelector'])
    const namespace = clusterwide ? undefined : context.namespace
    for (const direction of ['ingress', 'egress'] as const) {
      const denyKey = direction === 'ingress' ? 'ingressDeny' : 'egressDeny'
      const allows: CiliumRuleInput[] = rule[direction] ?? []
      const denies: CiliumRuleInput[] = rule[denyKey] ?? []
      const isolates = rule.enableDefaultDeny?.[direction] ?? allows.length + denies.length > 0
      if (allows.length === 0 && denies.length === 0 && !isolates) continue
      declarations[direction].push({
        id: context.id,
        namespace,
        subject,
        isolates,
        allow: allows.map((input, index) =>
          ciliumRule(input, direction, context, [...path, direction, index], clusterwide),
        ),
        deny: denies.map((input, index) =>
          ciliumRule(input, direction, context, [...path, denyKey, index], clusterwide),
        ),
      })
    }
    for (const egress of rule.egress ?? [])
      declarations.egressDestinations.push(...ciliumEgressDestinations(egress, context))
  }
  return declarations
}

// --- Verdicts -----------------------------------------------------------------------------------

/** Policies indexed by the namespace whose workloads they may select, plus the cluster-wide ones. */
export class SideIndex {
  private readonly byNamespace = new Map<string, SidePolicy[]>()
  private readonly clusterwide: SidePolicy[] = []

  constructor(policies: readonly SidePolicy[]) {
    for (const policy of policies) {
      if (policy.namespace === undefined) this.clusterwide.push(policy)
      else {
        const list = this.byNamespace.get(policy.namespace)
        if (list) list.push(policy)
        else this.byNamespace.set(policy.namespace, [policy])
      }
    }
  }

  selecting(workload: WorkloadRef): SidePolicy[] {
    const local = this.byNamespace.get(workload.namespace) ?? []
    const candidates = this.clusterwide.length === 0 ? local : [...local, ...this.clusterwide]
    return candidates.filter((policy) => policy.subject.matches(workload))
  }
}

interface SideOutcome {
  state: 'none' | 'allowed' | 'denied'
  explicit: boolean
  by: string[]
}

const unique = (ids: string[]) => [...new Set(ids)]

function evaluateSide(
  index: SideIndex,
  subject: WorkloadRef,
  peer: WorkloadRef | undefined,
  peerIp: string | undefined,
  port: number,
  protocol: string | undefined,
): SideOutcome {
  const policies = index.selecting(subject)
  if (policies.length === 0) return { state: 'none', explicit: false, by: [] }
  // A deny rule decides only when it certainly matches; an allow rule counts unless it certainly does not.
  const denying = policies.filter((policy) =>
    policy.deny.some((rule) => rule(peer, peerIp, port, protocol) === true),
  )
  if (denying.length > 0)
    return { state: 'denied', explicit: true, by: unique(denying.map((policy) => policy.id)) }
  const allowing = policies.filter((policy) =>
    policy.allow.some((rule) => rule(peer, peerIp, port, protocol) !== false),
  )
  if (allowing.length > 0)
    return { state: 'allowed', explicit: false, by: unique(allowing.map((policy) => policy.id)) }
  const isolating = policies.filter((policy) => policy.isolates)
  if (isolating.length > 0)
    return { state: 'denied', explicit: false, by: unique(isolating.map((policy) => policy.id)) }
  return { state: 'none', explicit: false, by: [] }
}

/**
 * The network verdict for a flow: the destination's ingress side and, for a workload source, the
 * source's egress side. Denied when either side denies (explicit Cilium denies first), allowed when
 * a selecting policy allows it, unrestricted when no policy selects either end.
 */
export function networkVerdict(
  ingress: SideIndex,
  egress: SideIndex,
  src: WorkloadRef | undefined,
  dst: WorkloadRef,
  port: number,
  protocol: string | undefined,
  addresses: { srcIp?: string; dstIp?: string } | undefined,
): IntentVerdict {
  const atIngress = evaluateSide(ingress, dst, src, addresses?.srcIp, port, protocol)
  const atEgress = src
    ? evaluateSide(egress, src, dst, addresses?.dstIp, port, protocol)
    : { state: 'none' as const, explicit: false, by: [] }
  const sides = [atIngress, atEgress]
  const denied = sides
    .filter((side) => side.state === 'denied')
    .sort((a, b) => Number(b.explicit) - Number(a.explicit))
  if (denied.length > 0)
    return { verdict: 'denied', by: unique(denied.flatMap((side) => side.by)).join(', ') }
  const allowed = sides.filter((side) => side.state === 'allowed')
  if (allowed.length > 0)
    return { verdict: 'allowed', by: unique(allowed.flatMap((side) => side.by)).join(', ') }
  return { verdict: 'unrestricted' }
}
