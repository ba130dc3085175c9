import type { z } from 'zod'
import {
  AuthorizationIndex,
  type AuthorizationPolicyEntry,
  type AuthorizationRequest,
  compileAuthorizationPolicy,
} from './authorization-policies.ts'
import { BoundedMemo } from './bounded-memo.ts'
import { AddressSet, parseCidr } from './cidr.ts'
import {
  type DeclaredChange,
  type DeclaredIntent,
  goesBy,
  type IntentVerdict,
  type MtlsIntent,
  type WorkloadRef,
  workloadNames,
} from './declared-intent.ts'
import { DocumentContext, type Locate, reportSchemaIssues } from './document-context.ts'
import { type EgressDeclaration, findEgressDeclaration } from './egress-declarations.ts'
import type { IntentProblem } from './intent-problem.ts'
import {
  authorizationPolicySchema,
  ciliumPolicySchema,
  networkPolicySchema,
  palisadeIntentSchema,
  peerAuthenticationSchema,
} from './intent-schemas.ts'
import {
  compileCiliumPolicy,
  compileNetworkPolicy,
  type NetworkDeclarations,
  networkVerdict,
  SideIndex,
} from './network-policies.ts'
import {
  compilePalisadeIntent,
  type KnownDrop,
  type PalisadeDeclarations,
  WorkloadPatternSet,
  workloadPatternMatches,
} from './palisade-intent.ts'
import {
  compilePeerAuthentication,
  PeerAuthenticationIndex,
  type PeerAuthenticationPolicy,
} from './peer-authentication.ts'

/** One parsed document and where it came from. */
export interface IntentDocumentInput {
  /** File and document number, e.g. `intent/shop.yaml#2`; problems and `sources` start with it. */
  source: string
  document: unknown
  /** Line of the node at a path inside `document`, when it came from a file (the YAML loader supplies it). */
  locate?: Locate
}

/** Options of {@link buildIntent}. */
export interface BuildIntentOptions {
  /** Istio root namespace: PeerAuthentication there is mesh-wide, AuthorizationPolicy applies everywhere (default `istio-system`). */
  istioRootNamespace?: string
  /** Most memoised answers kept per query kind (default 50 000). */
  memoLimit?: number
}

/** What the intent declares, in numbers and lists, for `palisade intent check`. */
export interface IntentSummary {
  /** Documents used, per kind. */
  documents: Record<string, number>
  /** Namespaces that namespaced policies (network, Istio) are in. */
  namespaces: string[]
  tenants: Record<string, string>
  mtls: {
    scope: string
    mode: MtlsIntent['mode']
    ports: [port: number, mode: MtlsIntent['mode']][]
    by: string
  }[]
  egress: { target: string; ports?: readonly number[]; by: string }[]
  corporate: { cidrs: string[]; asns: number[] }
  sensitive: string[]
  monitoring: string[]
  knownDrops: number
  changes: DeclaredChange[]
}

/** Result of {@link buildIntent}: the queries, everything wrong with the documents, and a summary. */
export interface BuiltIntent {
  intent: DeclaredIntent
  problems: IntentProblem[]
  summary: IntentSummary
}

interface KindSpec {
  apiVersions: readonly string[]
  namespaced: boolean
}

const istioVersions = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const

/** The kinds we read and the apiVersions they are read at. */
export const intentKinds: Readonly<Record<string, KindSpec>> = {
  NetworkPolicy: { apiVersions: ['networking.k8s.io/v1'], namespaced: true },
  CiliumNetworkPolicy: { apiVersions: ['cilium.io/v2'], namespaced: true },
  CiliumClusterwideNetworkPolicy: { apiVersions: ['cilium.io/v2'], namespaced: false },
  PeerAuthentication: { apiVersions: istioVersions, namespaced: true },
  AuthorizationPolicy: { apiVersions: istioVersions, namespaced: true },
  PalisadeIntent: { apiVersions: ['palisade.dev/v1'], namespaced: false },
}

const ourGroups = new Set(['networking.k8s.io', 'cilium.io', 'security.istio.io', 'palisade.dev'])

type Declarations = Pick<CompiledDocument, 'network' | 'peerAuthentication' | 'authorization' | 'palisade'>
type DocumentCompiler = (
  document: unknown,
  context: DocumentContext,
  rootNamespace: string,
) => Declarations | undefined

/** Validate with `schema` (problems reported, undefined when invalid), then compile the typed result. */
function withSchema<T>(
  schema: z.ZodType<T>,
  compile: (data: T, context: DocumentContext, rootNamespace: string) => Declarations | undefined,
): DocumentCompiler {
  return (document, context, rootNamespace) => {
    const parsed = schema.safeParse(document)
    if (parsed.success) return compile(parsed.data, context, rootNamespace)
    reportSchemaIssues(context, schema, parsed.error, document)
    return undefined
  }
}

const compilers: Record<string, DocumentCompiler> = {
  NetworkPolicy: withSchema(networkPolicySchema, (data, context) => ({
    network: compileNetworkPolicy(data, context),
  })),
  CiliumNetworkPolicy: withSchema(ciliumPolicySchema, (data, context) => ({
    network: compileCiliumPolicy(data, context, false),
  })),
  CiliumClusterwideNetworkPolicy: withSchema(ciliumPolicySchema, (data, context) => ({
    network: compileCiliumPolicy(data, context, true),
  })),
  PeerAuthentication: withSchema(peerAuthenticationSchema, (data, context, rootNamespace) => {
    const policy = compilePeerAuthentication(data, context, rootNamespace)
    return policy ? { peerAuthentication: policy } : undefined
  }),
  AuthorizationPolicy: withSchema(authorizationPolicySchema, (data, context) => {
    const entry = compileAuthorizationPolicy(data, context)
    return entry ? { authorization: entry } : {}
  }),
  PalisadeIntent: withSchema(palisadeIntentSchema, (data, context) => ({
    palisade: compilePalisadeIntent(data, context),
  })),
}

type Mapping = Record<string, unknown>

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
}

/** Kubernetes reads `field: null` as an absent field; so do we (YAML writes `podSelector:` that way). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isMapping(value)) return value
  const copy: Mapping = {}
  for (const [key, field] of Object.entries(value))
    if (field !== null && field !== undefined) copy[key] = withoutNulls(field)
  return copy
}

interface CompiledDocument {
  kind: string
  namespace: string
  context: DocumentContext
  network?: NetworkDeclarations
  peerAuthentication?: PeerAuthenticationPolicy
  authorization?: AuthorizationPolicyEntry
  palisade?: PalisadeDeclarations
}

const knownKindList = Object.keys(intentKinds).join(', ')

function compileDocument(
  input: IntentDocumentInput,
  problems: IntentProblem[],
  rootNamespace: string,
): CompiledDocument | undefined {
  const document = input.document
  const bare = new DocumentContext('', '', '', input.source, problems, input.locate)
  if (!isMapping(document)) {
    bare.report([], 'expected a mapping with apiVersion and kind')
    return undefined
  }
  const kind = typeof document.kind === 'string' ? document.kind : undefined
  const apiVersion = typeof document.apiVersion === 'string' ? document.apiVersion : undefined
  const spec = kind !== undefined && Object.hasOwn(intentKinds, kind) ? intentKinds[kind] : undefined
  if (kind === undefined || spec === undefined) {
    const group = apiVersion?.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : undefined
    // A typo in one of our kinds is an error; a Deployment next to the policies is only ignored.
    const ours = apiVersion === undefined || (group !== undefined && ourGroups.has(group))
    const problem = bare.problem(
      [],
      `not an intent document (kind ${kind ?? 'missing'}); known kinds: ${knownKindList}${ours ? '' : '; ignored'}`,
      ours ? 'error' : 'warning',
    )
    const line = input.locate?.(['kind'])
    if (line !== undefined) problem.line = line
    problems.push(problem)
    return undefined
  }
  const metadata = isMapping(document.metadata) ? document.metadata : {}
  const name = typeof metadata.name === 'string' ? metadata.name : '<unnamed>'
  let namespace = ''
  if (spec.namespaced) namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default'
  const label = spec.namespaced ? `${kind} ${namespace}/${name}` : `${kind} ${name}`
  const context = new DocumentContext(
    kind,
    namespace,
    name,
    `${input.source} (${label})`,
    problems,
    input.locate,
  )
  if (!spec.apiVersions.includes(apiVersion ?? '')) {
    context.report(
      ['apiVersion'],
      `expected ${spec.apiVersions.join(' or ')} for ${kind}, got ${apiVersion ?? 'none'}`,
    )
    return undefined
  }
  if (spec.namespaced && typeof metadata.namespace !== 'string')
    context.report(['metadata'], 'no metadata.namespace; read as namespace default', 'warning')
  const declarations = compilers[kind]!(document, context, rootNamespace)
  return declarations ? { kind, namespace, context, ...declarations } : undefined
}

/** Expand `kind: List` (as `kubectl get -o yaml` writes) into its items. */
function expandLists(documents: readonly IntentDocumentInput[]): IntentDocumentInput[] {
  const expanded: IntentDocumentInput[] = []
  for (const input of documents) {
    const document = withoutNulls(input.document)
    if (isMapping(document) && document.kind === 'List' && Array.isArray(document.items)) {
      for (const [index, item] of document.items.entries()) {
        const locate = input.locate
        expanded.push({
          source: `${input.source} items[${index}]`,
          document: item,
          ...(locate ? { locate: (path) => locate(['items', index, ...path]) } : {}),
        })
      }
    } else expanded.push({ ...input, document })
  }
  return expanded
}

function describeScope(policy: PeerAuthenticationPolicy): string {
  if (policy.level === 'mesh') return 'mesh'
  if (policy.level === 'namespace') return `namespace ${policy.namespace}`
  return `workloads ${policy.target} in ${policy.namespace}`
}

/**
 * Build the declared intent from parsed documents: validate each (problems name file, document and
 * field), compile policies into per-namespace indexes, and answer queries with memoised verdicts.
 * Documents with errors are left out; everything else is used.
 */
export function buildIntent(
  documents: readonly IntentDocumentInput[],
  options: BuildIntentOptions = {},
): BuiltIntent {
  const rootNamespace = options.istioRootNamespace ?? 'istio-system'
  const memoLimit = options.memoLimit ?? 50_000
  const problems: IntentProblem[] = []
  const byId = new Map<string, CompiledDocument>()
  for (const input of expandLists(documents)) {
    const compiled = compileDocument(input, problems, rootNamespace)
    if (!compiled) continue
    const id = compiled.context.id
    const earlier = byId.get(id)
    if (earlier) {
      compiled.context.report(
        [],
        `${id} is also defined in ${earlier.context.source}; this later definition replaces it, as kubectl apply would`,
        'warning',
      )
      byId.delete(id)
    }
    byId.set(id, compiled)
  }
  const compiled = [...byId.values()]

  const ingress = new SideIndex(compiled.flatMap((document) => document.network?.ingress ?? []))
  const egress = new SideIndex(compiled.flatMap((document) => document.network?.egress ?? []))
  const hasNetworkPolicy = compiled.some((document) => document.network)
  const peerAuthentication = new PeerAuthenticationIndex()
  for (const document of compiled)
    if (document.peerAuthentication) peerAuthentication.add(document.peerAuthentication, document.context)
  const authorization = new AuthorizationIndex(
    compiled.flatMap((document) => (document.authorization ? [document.authorization] : [])),
    rootNamespace,
  )

  const palisade = compiled.flatMap((document) =>
    document.palisade ? [{ document, declared: document.palisade }] : [],
  )
  const egressDeclarations: EgressDeclaration[] = [
    ...palisade.flatMap(({ declared }) => declared.egress),
    ...compiled.flatMap((document) => document.network?.egressDestinations ?? []),
  ]
  // Declarations by address, as CIDR text a store query can test flow addresses against.
  const egressRanges = Object.freeze(
    egressDeclarations
      .filter((declaration) => declaration.addresses !== undefined)
      .map(({ target, ports }) => {
        // Cilium's toCIDRSet target reads `192.0.2.0/24 except 192.0.2.128/25, ...` (network-policies.ts).
        const [range = '', exceptText] = target.split(' except ')
        const asCidr = (text: string) =>
          text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`
        const except = exceptText ? exceptText.split(', ').map(asCidr) : undefined
        return Object.freeze({
          cidr: asCidr(range),
          ...(ports ? { ports } : {}),
          ...(except ? { except } : {}),
        })
      }),
  )
  const corporateAddresses = new AddressSet()
  const corporateCidrs = palisade.flatMap(({ declared }) => declared.corporateCidrs)
  for (const cidr of corporateCidrs) corporateAddresses.add(parseCidr(cidr)!)
  const corporateAsns = new Set(palisade.flatMap(({ declared }) => declared.corporateAsns))
  const sensitiveList = palisade.flatMap(({ declared }) => declared.sensitive)
  const monitoringList = palisade.flatMap(({ declared }) => declared.monitoring)
  const sensitive = new WorkloadPatternSet(sensitiveList)
  const monitoring = new WorkloadPatternSet(monitoringList)
  const knownDrops: KnownDrop[] = palisade.flatMap(({ declared }) => declared.knownDrops)
  const privilegedList = palisade.flatMap(({ declared }) => declared.privileged).map((p) => p.toLowerCase())
  const privileged = new Set(privilegedList.filter((p) => !p.startsWith('*@')))
  const privilegedDomains = privilegedList.filter((p) => p.startsWith('*@')).map((p) => p.slice(1))
  const changes = palisade.flatMap(({ declared }) => declared.changes).sort((a, b) => a.from - b.from)
  const tenants = new Map<string, { tenant: string; by: string }>()
  for (const { document, declared } of palisade) {
    for (const [namespace, tenant] of declared.tenants) {
      const existing = tenants.get(namespace)
      if (existing && existing.tenant !== tenant)
        document.context.report(
          ['spec', 'namespaceTenants', namespace],
          `namespace ${namespace} is already assigned to tenant ${existing.tenant} by ${existing.by}`,
        )
      else tenants.set(namespace, { tenant, by: document.context.source })
    }
  }

  const networkMemo = new BoundedMemo<IntentVerdict>(memoLimit)
  const authorizationMemo = new BoundedMemo<IntentVerdict>(memoLimit)
  const mtlsMemo = new BoundedMemo<MtlsIntent>(memoLimit)
  const egressMemo = new BoundedMemo<{ declared: boolean; by?: string }>(memoLimit)
  const unrestricted: IntentVerdict = Object.freeze({ verdict: 'unrestricted' })
  const key = (workload: WorkloadRef | undefined) =>
    workload ? `${workload.namespace}/${workloadNames(workload).join(',')}` : ''
  // Declared aliases: `namespace/name` → the other names of the same workload.
  const aliasesOf = new Map<string, string[]>()
  for (const group of palisade.flatMap(({ declared }) => declared.aliases)) {
    for (const member of group) {
      const names = aliasesOf.get(member) ?? []
      for (const other of group) {
        const name = other.slice(other.indexOf('/') + 1)
        if (other !== member && !names.includes(name)) names.push(name)
      }
      aliasesOf.set(member, names)
    }
  }
  /** The workload with the names intent declares it also goes by. */
  const withAliases = <W extends WorkloadRef | undefined>(workload: W): W => {
    if (workload === undefined || aliasesOf.size === 0) return workload
    const declared = workloadNames(workload).flatMap(
      (name) => aliasesOf.get(`${workload.namespace}/${name}`) ?? [],
    )
    if (declared.length === 0) return workload
    const aliases = [...new Set([...(workload.aliases ?? []), ...declared])].filter(
      (name) => name !== workload.name,
    )
    return { ...workload, aliases } as W
  }

  const intent: DeclaredIntent = {
    sources: compiled.map((document) => document.context.source),
    networkVerdict(rawSrc, rawDst, port, protocol, addresses) {
      if (!hasNetworkPolicy) return unrestricted
      const src = withAliases(rawSrc)
      const dst = withAliases(rawDst)
      const normalised = protocol?.toUpperCase()
      const memoKey = `${key(src)}|${key(dst)}|${port}|${normalised ?? ''}|${addresses?.srcIp ?? ''}|${addresses?.dstIp ?? ''}`
      return networkMemo.get(memoKey, () =>
        Object.freeze(networkVerdict(ingress, egress, src, dst, port, normalised, addresses)),
      )
    },
    authorizationVerdict(rawSrc, rawDst, request: AuthorizationRequest = {}) {
      const src = withAliases(rawSrc)
      const dst = withAliases(rawDst)
      const memoKey = `${key(src)}|${key(dst)}|${request.port ?? ''}|${request.method ?? ''}|${request.path ?? ''}`
      return authorizationMemo.get(memoKey, () => Object.freeze(authorization.verdict(src, dst, request)))
    },
    mtlsMode(rawDst, port) {
      const dst = withAliases(rawDst)
      return mtlsMemo.get(`${key(dst)}|${port ?? ''}`, () =>
        Object.freeze(peerAuthentication.mode(dst, port)),
      )
    },
    declaredEgressRanges() {
      return egressRanges
    },
    declaredEgress(dst) {
      if (egressDeclarations.length === 0) return { declared: false }
      return egressMemo.get(`${dst.ip ?? ''}|${dst.host ?? ''}|${dst.port ?? ''}`, () => {
        const found = findEgressDeclaration(egressDeclarations, dst)
        return Object.freeze(found ? { declared: true, by: found.by } : { declared: false })
      })
    },
    isCorporateEgress(client) {
      if (client.asn !== undefined && corporateAsns.has(client.asn)) return true
      return client.ip !== undefined && corporateAddresses.has(client.ip)
    },
    changesAt(ts, target) {
      return changes.filter((change) => {
        if (ts < change.from || ts > change.to) return false
        const workload = withAliases(target?.workload)
        if (
          workload &&
          change.workloads.length > 0 &&
          !change.workloads.some((w) => w.namespace === workload.namespace && goesBy(workload, w.name))
        )
          return false
        if (
          target?.policy !== undefined &&
          change.policies.length > 0 &&
          !change.policies.includes(target.policy)
        )
          return false
        return true
      })
    },
    isDeclaredEdge(ts, rawFrom, rawTo, port) {
      const from = withAliases(rawFrom)
      const to = withAliases(rawTo)
      for (const change of changes) {
        if (change.from > ts) break
        if (ts > change.to) continue
        const edge = change.addsEdges.find(
          (e) =>
            e.from.namespace === from.namespace &&
            goesBy(from, e.from.name) &&
            e.to.namespace === to.namespace &&
            goesBy(to, e.to.name) &&
            (e.port === undefined || port === undefined || e.port === port),
        )
        if (edge) return change
      }
      return undefined
    },
    isSensitive: (workload) => sensitive.has(withAliases(workload)),
    isMonitoring: (workload) => monitoring.has(withAliases(workload)),
    isKnownDrop(rawSrc, rawDst, port) {
      const src = withAliases(rawSrc)
      const dst = withAliases(rawDst)
      return knownDrops.some(
        (drop) =>
          (drop.from === undefined || (src !== undefined && workloadPatternMatches(drop.from, src))) &&
          (drop.to === undefined || (dst !== undefined && workloadPatternMatches(drop.to, dst))) &&
          (drop.port === undefined || drop.port === port),
      )
    },
    isPrivileged(principal) {
      const login = principal.toLowerCase()
      return privileged.has(login) || privilegedDomains.some((domain) => login.endsWith(domain))
    },
    tenantOfNamespace: (namespace) => tenants.get(namespace)?.tenant,
  }

  const documentsByKind: Record<string, number> = {}
  for (const kind of Object.keys(intentKinds)) {
    const count = compiled.filter((document) => document.kind === kind).length
    if (count > 0) documentsByKind[kind] = count
  }
  const summary: IntentSummary = {
    documents: documentsByKind,
    namespaces: [...new Set(compiled.filter((d) => d.namespace !== '').map((d) => d.namespace))].sort(),
    tenants: Object.fromEntries([...tenants].map(([namespace, { tenant }]) => [namespace, tenant])),
    mtls: peerAuthentication.all().map((policy) => ({
      scope: describeScope(policy),
      mode: policy.mode,
      ports: [...policy.ports],
      by: policy.id,
    })),
    egress: egressDeclarations.map(({ target, ports, by }) => ({ target, by, ...(ports ? { ports } : {}) })),
    corporate: { cidrs: corporateCidrs, asns: [...corporateAsns] },
    sensitive: sensitiveList,
    monitoring: monitoringList,
    knownDrops: knownDrops.length,
    changes,
  }
  return { intent, problems, summary }
}

/** Intent with nothing declared: every verdict `unrestricted`, mTLS `UNSET`, nothing declared or known. */
export function emptyIntent(): DeclaredIntent {
  return buildIntent([]).intent
}
