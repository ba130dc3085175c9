import { goesBy, type IntentVerdict, type WorkloadRef, workloadNames } from './declared-intent.ts'
import type { DocumentContext, DocumentPath } from './document-context.ts'
import type {
  AuthorizationOperation,
  AuthorizationPolicyDocument,
  AuthorizationRule,
  AuthorizationSource,
} from './intent-schemas.ts'
import { istioMatch } from './string-match.ts'
import { type Tri, triAnd, triNot, triSome } from './tri-state.ts'
import type { WorkloadSelector } from './workload-selector.ts'

/** What a request carries, as far as records tell. */
export interface AuthorizationRequest {
  port?: number
  path?: string
  method?: string
}

type RequestTest = (src: WorkloadRef | undefined, request: AuthorizationRequest) => Tri

/** One ALLOW or DENY AuthorizationPolicy. */
export interface AuthorizationPolicyEntry {
  id: string
  namespace: string
  selector?: WorkloadSelector
  action: 'ALLOW' | 'DENY'
  rules: RequestTest[]
}

/**
 * A principal as Istio writes it (`<trust-domain>/ns/<namespace>/sa/<name>`) for a workload. The
 * trust domain is taken from the pattern when it names one: records carry the mesh's own trust
 * domain and Istio treats `cluster.local` in policies as an alias of it, so we do not compare it.
 */
function principalMatches(pattern: string, src: WorkloadRef): boolean {
  const written = pattern.startsWith('spiffe://') ? pattern.slice('spiffe://'.length) : pattern
  const at = written.indexOf('/ns/')
  const domain = at > 0 && !written.slice(0, at).includes('*') ? written.slice(0, at) : 'cluster.local'
  return workloadNames(src).some((name) => istioMatch(written, `${domain}/ns/${src.namespace}/sa/${name}`))
}

function serviceAccountMatches(value: string, src: WorkloadRef): boolean {
  if (!value.includes('/')) return goesBy(src, value)
  const slash = value.indexOf('/')
  return value.slice(0, slash) === src.namespace && goesBy(src, value.slice(slash + 1))
}

const notKnown: RequestTest = () => 'unknown'

/** A field the records cannot answer (JWT principals, client IPs, hosts): `unknown`. */
function unknowable(values: string[] | undefined): RequestTest[] {
  return values?.length ? [notKnown] : []
}

function all(tests: RequestTest[]): RequestTest {
  return (src, request) => {
    let answer: Tri = true
    for (const test of tests) {
      answer = triAnd(answer, test(src, request))
      if (answer === false) return false
    }
    return answer
  }
}

function compileSource(source: AuthorizationSource): RequestTest {
  const tests: RequestTest[] = []
  const { principals, notPrincipals, namespaces, notNamespaces, serviceAccounts, notServiceAccounts } = source
  // Without a workload source there is no peer identity: positive fields fail, negative ones hold.
  if (principals?.length)
    tests.push((src) => (src ? principals.some((p) => principalMatches(p, src)) : false))
  if (notPrincipals?.length)
    tests.push((src) => (src ? !notPrincipals.some((p) => principalMatches(p, src)) : true))
  if (namespaces?.length)
    tests.push((src) => (src ? namespaces.some((ns) => istioMatch(ns, src.namespace)) : false))
  if (notNamespaces?.length)
    tests.push((src) => (src ? !notNamespaces.some((ns) => istioMatch(ns, src.namespace)) : true))
  if (serviceAccounts?.length)
    tests.push((src) => (src ? serviceAccounts.some((sa) => serviceAccountMatches(sa, src)) : false))
  if (notServiceAccounts?.length)
    tests.push((src) => (src ? !notServiceAccounts.some((sa) => serviceAccountMatches(sa, src)) : true))
  tests.push(
    ...unknowable(source.requestPrincipals),
    ...unknowable(source.notRequestPrincipals),
    ...unknowable(source.ipBlocks),
    ...unknowable(source.notIpBlocks),
    ...unknowable(source.remoteIpBlocks),
    ...unknowable(source.notRemoteIpBlocks),
  )
  return all(tests)
}

const withoutQuery = (path: string) => path.split('?', 1)[0]!

function compileOperation(operation: AuthorizationOperation): RequestTest {
  const tests: RequestTest[] = []
  const { ports, notPorts, methods, notMethods, paths, notPaths } = operation
  if (ports?.length) tests.push((_, r) => (r.port === undefined ? 'unknown' : ports.includes(r.port)))
  if (notPorts?.length) tests.push((_, r) => (r.port === undefined ? 'unknown' : !notPorts.includes(r.port)))
  const method = (r: AuthorizationRequest) => r.method?.toUpperCase()
  if (methods?.length)
    tests.push((_, r) =>
      r.method === undefined ? 'unknown' : methods.some((m) => istioMatch(m.toUpperCase(), method(r)!)),
    )
  if (notMethods?.length)
    tests.push((_, r) =>
      r.method === undefined ? 'unknown' : !notMethods.some((m) => istioMatch(m.toUpperCase(), method(r)!)),
    )
  if (paths?.length)
    tests.push((_, r) =>
      r.path === undefined ? 'unknown' : paths.some((p) => istioMatch(p, withoutQuery(r.path!))),
    )
  if (notPaths?.length)
    tests.push((_, r) =>
      r.path === undefined ? 'unknown' : !notPaths.some((p) => istioMatch(p, withoutQuery(r.path!))),
    )
  tests.push(...unknowable(operation.hosts), ...unknowable(operation.notHosts))
  return all(tests)
}

function valuesTest(
  values: string[] | undefined,
  notValues: string[] | undefined,
  match: (v: string) => Tri,
): Tri {
  let answer: Tri = true
  if (values?.length) answer = triAnd(answer, triSome(values, match))
  if (notValues?.length) answer = triAnd(answer, triNot(triSome(notValues, match)))
  return answer
}

function compileCondition(
  condition: { key: string; values?: string[]; notValues?: string[] },
  context: DocumentContext,
  path: DocumentPath,
): RequestTest {
  const { key, values, notValues } = condition
  if (key === 'source.principal')
    return (src) => valuesTest(values, notValues, (v) => (src ? principalMatches(v, src) : false))
  if (key === 'source.namespace')
    return (src) => valuesTest(values, notValues, (v) => (src ? istioMatch(v, src.namespace) : false))
  if (key === 'destination.port')
    return (_, r) =>
      valuesTest(values, notValues, (v) => (r.port === undefined ? 'unknown' : Number(v) === r.port))
  context.warnOnce(
    'when',
    [...path, 'key'],
    `condition ${key} cannot be evaluated from records: ALLOW rules treat it as met, DENY rules as not met`,
  )
  return notKnown
}

function compileRule(rule: AuthorizationRule, context: DocumentContext, path: DocumentPath): RequestTest {
  const tests: RequestTest[] = []
  // Within a rule: any `from`, any `to`, and every `when` must match; a missing part matches anything.
  if (rule.from?.length) {
    const sources = rule.from.map((from) => compileSource(from.source ?? {}))
    tests.push((src, r) => triSome(sources, (test) => test(src, r)))
  }
  if (rule.to?.length) {
    const operations = rule.to.map((to) => compileOperation(to.operation ?? {}))
    tests.push((src, r) => triSome(operations, (test) => test(src, r)))
  }
  for (const [index, condition] of (rule.when ?? []).entries())
    tests.push(compileCondition(condition, context, [...path, 'when', index]))
  return all(tests)
}

/**
 * An AuthorizationPolicy. AUDIT and CUSTOM policies do not decide here (CUSTOM defers to an external
 * authorizer we cannot see) and are skipped; policies attached by `targetRef(s)` to gateways or
 * waypoints are skipped with a warning. An ALLOW policy without rules allows nothing.
 */
export function compileAuthorizationPolicy(
  document: AuthorizationPolicyDocument,
  context: DocumentContext,
): AuthorizationPolicyEntry | undefined {
  const spec = document.spec ?? {}
  const action = spec.action ?? 'ALLOW'
  if (action === 'AUDIT' || action === 'CUSTOM') return undefined
  const hasSelector = Object.keys(spec.selector?.matchLabels ?? {}).length > 0
  if (!hasSelector && (spec.targetRef !== undefined || spec.targetRefs?.length)) {
    context.report(
      ['spec', 'targetRefs'],
      'policies attached to gateways or waypoints are not evaluated',
      'warning',
    )
    return undefined
  }
  const entry: AuthorizationPolicyEntry = {
    id: context.id,
    namespace: context.namespace,
    action,
    rules: (spec.rules ?? []).map((rule, index) => compileRule(rule, context, ['spec', 'rules', index])),
  }
  if (hasSelector) entry.selector = context.selector(spec.selector, 'pod', ['spec', 'selector'])
  return entry
}

/**
 * AuthorizationPolicies by namespace; those of the root namespace apply in every namespace (their
 * selector, if any, matching workloads of all namespaces). Istio's order: a matching DENY denies;
 * with no ALLOW policy selecting the workload the request is not restricted; else an ALLOW must match.
 */
export class AuthorizationIndex {
  private readonly byNamespace = new Map<string, AuthorizationPolicyEntry[]>()
  private readonly root: AuthorizationPolicyEntry[] = []

  constructor(
    entries: readonly AuthorizationPolicyEntry[],
    private readonly rootNamespace: string,
  ) {
    for (const entry of entries) {
      if (entry.namespace === rootNamespace) this.root.push(entry)
      const list = this.byNamespace.get(entry.namespace)
      if (list) list.push(entry)
      else this.byNamespace.set(entry.namespace, [entry])
    }
  }

  verdict(src: WorkloadRef | undefined, dst: WorkloadRef, request: AuthorizationRequest): IntentVerdict {
    const local = this.byNamespace.get(dst.namespace) ?? []
    const candidates = dst.namespace === this.rootNamespace ? local : [...local, ...this.root]
    const selecting = candidates.filter((entry) => !entry.selector || entry.selector.matches(dst))
    if (selecting.length === 0) return { verdict: 'unrestricted' }
    const ids = (entries: AuthorizationPolicyEntry[]) => entries.map((entry) => entry.id).join(', ')
    const denying = selecting.filter(
      (entry) => entry.action === 'DENY' && entry.rules.some((rule) => rule(src, request) === true),
    )
    if (denying.length > 0) return { verdict: 'denied', by: ids(denying) }
    const allows = selecting.filter((entry) => entry.action === 'ALLOW')
    if (allows.length === 0) return { verdict: 'unrestricted' }
    const allowing = allows.filter((entry) => entry.rules.some((rule) => rule(src, request) !== false))
    if (allowing.length > 0) return { verdict: 'allowed', by: ids(allowing) }
    return { verdict: 'denied', by: ids(allows) }
  }
}
