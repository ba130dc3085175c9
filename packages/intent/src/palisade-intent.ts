import { AddressSet, parseCidr } from './cidr.ts'
import { type DeclaredChange, goesBy, type WorkloadRef, workloadNames } from './declared-intent.ts'
import type { DocumentContext } from './document-context.ts'
import type { EgressDeclaration } from './egress-declarations.ts'
import type { PalisadeIntentDocument } from './intent-schemas.ts'
import { hostMatches, normaliseHost } from './string-match.ts'

/** A known drop: each field optional; patterns are `namespace/name` or `namespace/*`. */
export interface KnownDrop {
  from?: string
  to?: string
  port?: number
}

/** What one PalisadeIntent document declares. */
export interface PalisadeDeclarations {
  egress: EgressDeclaration[]
  corporateCidrs: string[]
  corporateAsns: number[]
  sensitive: string[]
  monitoring: string[]
  knownDrops: KnownDrop[]
  tenants: [namespace: string, tenant: string][]
  changes: DeclaredChange[]
  /** Groups of `namespace/name`s that are one workload (same namespace). */
  aliases: string[][]
  /** Privileged logins (or `*@domain`) as sign-in records name them. */
  privileged: string[]
}

function workloadRef(text: string): WorkloadRef {
  const [namespace, name] = text.split('/') as [string, string]
  return { namespace, name }
}

/** Whether `namespace/name` or `namespace/*` covers a workload. */
export function workloadPatternMatches(pattern: string, workload: WorkloadRef): boolean {
  const slash = pattern.indexOf('/')
  if (pattern.slice(0, slash) !== workload.namespace) return false
  const name = pattern.slice(slash + 1)
  return name === '*' || goesBy(workload, name)
}

/** A set of `namespace/name` and `namespace/*` patterns with constant-time lookups. */
export class WorkloadPatternSet {
  private readonly exact = new Set<string>()
  private readonly namespaces = new Set<string>()

  constructor(patterns: Iterable<string>) {
    for (const pattern of patterns) {
      if (pattern.endsWith('/*')) this.namespaces.add(pattern.slice(0, -2))
      else this.exact.add(pattern)
    }
  }

  has(workload: WorkloadRef): boolean {
    if (this.namespaces.has(workload.namespace)) return true
    return workloadNames(workload).some((name) => this.exact.has(`${workload.namespace}/${name}`))
  }
}

/** Read a (validated) PalisadeIntent into declarations, warning about entries that say too little. */
export function compilePalisadeIntent(
  document: PalisadeIntentDocument,
  context: DocumentContext,
): PalisadeDeclarations {
  const { spec } = document
  const egress: EgressDeclaration[] = []
  for (const entry of spec.egress ?? []) {
    const ports = entry.ports?.length ? { ports: entry.ports } : {}
    if (entry.host !== undefined) {
      const pattern = normaliseHost(entry.host)
      egress.push({ by: context.id, target: pattern, host: (host) => hostMatches(pattern, host), ...ports })
    } else if (entry.cidr !== undefined) {
      egress.push({
        by: context.id,
        target: entry.cidr,
        addresses: new AddressSet().add(parseCidr(entry.cidr)!),
        ...ports,
      })
    }
  }
  for (const [index, drop] of (spec.knownDrops ?? []).entries()) {
    if (drop.from === undefined && drop.to === undefined && drop.port === undefined)
      context.report(
        ['spec', 'knownDrops', index],
        'has no from, to or port: it declares every drop benign',
        'warning',
      )
  }
  const changeIds = new Set<string>()
  const changes: DeclaredChange[] = []
  for (const [index, change] of (spec.changes ?? []).entries()) {
    if (changeIds.has(change.id))
      context.report(['spec', 'changes', index, 'id'], `duplicate change id ${change.id}`, 'warning')
    changeIds.add(change.id)
    const declared: DeclaredChange = {
      id: change.id,
      from: change.from,
      to: change.to,
      workloads: (change.workloads ?? []).map(workloadRef),
      policies: change.policies ?? [],
      addsEdges: (change.addsEdges ?? []).map((edge) => ({
        from: workloadRef(edge.from),
        to: workloadRef(edge.to),
        ...(edge.port === undefined ? {} : { port: edge.port }),
      })),
    }
    if (change.description !== undefined) declared.description = change.description
    changes.push(declared)
  }
  const aliases: string[][] = []
  for (const [index, entry] of (spec.workloadAliases ?? []).entries()) {
    const namespace = entry.workload.slice(0, entry.workload.indexOf('/'))
    const elsewhere = entry.aliases.findIndex((alias) => !alias.startsWith(`${namespace}/`))
    if (elsewhere >= 0) {
      context.report(
        ['spec', 'workloadAliases', index, 'aliases', elsewhere],
        `${entry.aliases[elsewhere]} is not in namespace ${namespace}: one workload lives in one namespace`,
      )
      continue
    }
    aliases.push([entry.workload, ...entry.aliases])
  }
  return {
    aliases,
    egress,
    corporateCidrs: spec.corporateEgress?.cidrs ?? [],
    corporateAsns: spec.corporateEgress?.asns ?? [],
    sensitive: spec.sensitive ?? [],
    monitoring: spec.monitoring ?? [],
    knownDrops: spec.knownDrops ?? [],
    tenants: Object.entries(spec.namespaceTenants ?? {}),
    changes,
    privileged: spec.privileged ?? [],
  }
}
