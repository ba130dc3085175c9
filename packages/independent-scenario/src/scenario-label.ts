/**
 * What an analyst expects of one injected incident or benign confounder. Labels name entities
 * (workloads as `namespace/app`, pod names, pod IPs, SPIFFE IDs, users, client IPs, hosts), never
 * rule ids: scoring matches pages by entity and time, so it does not depend on how the detectors
 * are organised.
 */
export interface IndependentLabel {
  id: string
  /** `incident`: an attack or failure; `confounder`: benign look-alike that must not page. */
  kind: 'incident' | 'confounder'
  /** What the analyst expects: a page, a ticket, or nothing (confounders). */
  expect: 'page' | 'ticket' | 'none'
  /** Window, epoch ms: the first record of it, the last. */
  from: number
  to: number
  /** Anything a finding about it may name. */
  entities: string[]
  /** Which DOMAIN.md failure mode or habit it is, in a sentence. */
  description: string
  /** The record shapes that carry it, for the analysis of misses. */
  records: string
}
