import type { DeclaredIntent } from '@palisade/intent'
import type { AuthEvent } from '@palisade/schema'
import { z } from 'zod'
import { duration, formatSpan } from '../rules/duration.ts'
import { isGuessFailure, networkNote, plural, sampleText } from './auth-signals.ts'
import {
  addEntry,
  type CountListener,
  type KeyedWindow,
  newWindow,
  pruneBefore,
  recentIds,
  sampleKeys,
  timeSpan,
  windowSize,
} from './keyed-window.ts'

/**
 * Password spray from one client address, shared by `password_spray` and `success_after_spray`
 * (each rule keeps its own state; this is the common bookkeeping): the guess failures of the last
 * `window` by principal, how many principals were tried only a few times (a spray tries one or two
 * passwords per account to stay under lockouts), and whether the address is corporate egress.
 */
export const sprayParams = {
  /** Sliding window the distinct users are counted in. */
  window: duration.default(15 * 60_000),
  /** Distinct principals failing from one address within the window. */
  min_users: z.number().int().min(2).default(10),
  /** A sprayed account is tried at most this many times in the window... */
  max_attempts_per_user: z.number().int().min(1).default(3),
  /** ...and at least this share of the principals must look sprayed (the rest: brute force, typos). */
  min_sprayed_share: z.number().min(0).max(1).default(0.5),
  /** Corporate/VPN egress (declared intent): `raise_threshold` to `corporate_min_users`, or `exclude`. */
  corporate_egress: z.enum(['raise_threshold', 'exclude']).default('raise_threshold'),
  corporate_min_users: z.number().int().min(2).default(50),
  /**
   * Distinct principals that make a spray from a hosting or proxy network (the record's proxy flag,
   * or an AS number in `hosting_asns`), where no workforce signs in from: 0 (the default) keeps
   * `min_users`. Never above `min_users`; corporate egress is asked first.
   */
  hosting_min_users: z.number().int().min(0).default(0),
  /** AS numbers of clouds, VPS and bullet-proof hosting, proxy resellers. */
  hosting_asns: z.array(z.number().int().nonnegative()).default([]),
  /** Failures kept per address (oldest evicted beyond it): bounds the state of a busy NAT. */
  max_tracked: z.number().int().min(10).max(100_000).default(2000),
}

export const sprayParamsSchema = z.strictObject(sprayParams)
export type SprayParams = z.output<typeof sprayParamsSchema>

/** What the latest record said about the address (for summaries). */
export interface AddressNote {
  country?: string
  city?: string
  asn?: number
  is_proxy?: boolean
}

export interface SprayState {
  /** Guess failures from this address in the window, by principal. */
  window: KeyedWindow
  /** Principals with 1..max_attempts_per_user failures in the window. */
  sprayed: number
  /** Newest event time seen (the window ends here; late events are placed behind it). */
  now: number
  /** Whether a crossing may fire (false from a crossing until the distinct users fall below half). */
  armed: boolean
  /** Whether the address is corporate egress; asked once, when it first matters. */
  corporate: boolean | null
  address: AddressNote
}

/** A spray crossing its threshold: what the findings say. */
export interface SprayCrossing {
  clientIp: string
  users: number
  sprayedUsers: number
  attempts: number
  first: number
  last: number
  samplePrincipals: string[]
  eventIds: string[]
  threshold: number
  corporate: boolean
  /** The threshold was the hosting/proxy network's. */
  hosting: boolean
  address: AddressNote
}

export function newSprayState(): SprayState {
  return {
    window: newWindow(1),
    sprayed: 0,
    now: Number.NEGATIVE_INFINITY,
    armed: true,
    corporate: null,
    address: {},
  }
}

/** The re-key of spray detectors: one state per tenant and client address. */
export function sprayKey(event: AuthEvent): string {
  return `${event.tenant}/ip/${event.client_ip ?? '-'}`
}

function noteAddress(state: SprayState, event: AuthEvent): void {
  const note: AddressNote = {}
  if (event.country !== undefined) note.country = event.country
  if (event.city !== undefined) note.city = event.city
  if (event.asn !== undefined) note.asn = event.asn
  if (event.is_proxy !== undefined) note.is_proxy = event.is_proxy
  state.address = note
}

function sprayedListener(state: SprayState, maxAttempts: number): CountListener {
  return (_dimension, _key, before, after) => {
    const wasSprayed = before >= 1 && before <= maxAttempts
    const isSprayed = after >= 1 && after <= maxAttempts
    if (wasSprayed !== isSprayed) state.sprayed += isSprayed ? 1 : -1
  }
}

/** Whether the address is a hosting or proxy network, by the record's own words. */
function isHosting(event: AuthEvent, params: SprayParams): boolean {
  if (params.hosting_min_users === 0) return false
  return event.is_proxy === true || (event.asn !== undefined && params.hosting_asns.includes(event.asn))
}

function hostingThreshold(params: SprayParams): number {
  return Math.min(params.min_users, params.hosting_min_users)
}

/** Threshold for this address, or undefined when it is corporate egress and excluded. */
function thresholdOf(
  state: SprayState,
  event: AuthEvent,
  params: SprayParams,
  intent: DeclaredIntent,
): number | undefined {
  if (state.corporate === null) {
    state.corporate = intent.isCorporateEgress({
      ...(event.client_ip !== undefined ? { ip: event.client_ip } : {}),
      ...(event.asn !== undefined ? { asn: event.asn } : {}),
    })
  }
  if (!state.corporate) return isHosting(event, params) ? hostingThreshold(params) : params.min_users
  return params.corporate_egress === 'exclude'
    ? undefined
    : Math.max(params.min_users, params.corporate_min_users)
}

/**
 * Advance the address's clock to `ts` (any event from it): prunes the window, re-arms when the
 * distinct users fall below half the threshold.
 */
export function advanceSpray(state: SprayState, ts: number, params: SprayParams): void {
  if (ts > state.now) state.now = ts
  pruneBefore(state.window, state.now - params.window, sprayedListener(state, params.max_attempts_per_user))
  const threshold = state.corporate
    ? Math.max(params.min_users, params.corporate_min_users)
    : params.min_users
  if (!state.armed && state.window.distinct[0]! < Math.ceil(threshold / 2)) state.armed = true
}

/**
 * Count a failure from the address; returns the crossing when this failure makes the address a
 * sprayer (once per episode: then not again until it re-arms). Events older than the window
 * (late beyond it) are not counted.
 */
export function trackSprayFailure(
  state: SprayState,
  event: AuthEvent,
  params: SprayParams,
  intent: DeclaredIntent,
): SprayCrossing | undefined {
  if (!isGuessFailure(event) || event.client_ip === undefined) return undefined
  advanceSpray(state, event.ts, params)
  if (event.ts < state.now - params.window) return undefined
  noteAddress(state, event)
  addEntry(
    state.window,
    event.ts,
    event.event_id,
    [event.principal],
    params.max_tracked,
    sprayedListener(state, params.max_attempts_per_user),
  )
  const users = state.window.distinct[0]!
  const floor = params.hosting_min_users > 0 ? hostingThreshold(params) : params.min_users
  if (!state.armed || users < floor) return undefined
  const threshold = thresholdOf(state, event, params, intent)
  if (threshold === undefined || users < threshold) return undefined
  if (state.sprayed < users * params.min_sprayed_share) return undefined
  state.armed = false
  const { first, last } = timeSpan(state.window)
  return {
    clientIp: event.client_ip,
    users,
    sprayedUsers: state.sprayed,
    attempts: windowSize(state.window),
    first,
    last,
    samplePrincipals: sampleKeys(state.window, 5),
    eventIds: recentIds(state.window, 20),
    threshold,
    corporate: state.corporate === true,
    hosting: state.corporate !== true && isHosting(event, params),
    address: { ...state.address },
  }
}

/** One sentence: what the address did, against which threshold. */
export function describeSpray(spray: SprayCrossing, params: SprayParams): string {
  const perUser = (spray.attempts / spray.users).toFixed(1)
  return (
    `${spray.clientIp}${networkNote(spray.address)} failed sign-ins for ${spray.users} distinct users in ` +
    `${formatSpan(spray.last - spray.first)} (${new Date(spray.first).toISOString()} to ` +
    `${new Date(spray.last).toISOString()}; ${plural(spray.attempts, 'attempt')}, ${perUser} per user, ` +
    `${spray.sprayedUsers} of them tried at most ${params.max_attempts_per_user} times; threshold ` +
    `${spray.threshold} users in ${formatSpan(params.window)}${spray.corporate ? ' for this corporate egress address' : ''}` +
    `${spray.hosting ? ' from a hosting or proxy network' : ''}): ` +
    `${sampleText(spray.samplePrincipals, spray.users)}`
  )
}

/** Evidence every spray finding carries. */
export function sprayEvidence(spray: SprayCrossing, params: SprayParams): Record<string, unknown> {
  return {
    event_ids: spray.eventIds,
    distinct_users: spray.users,
    sprayed_users: spray.sprayedUsers,
    attempts: spray.attempts,
    first_ts: spray.first,
    last_ts: spray.last,
    sample_principals: spray.samplePrincipals,
    threshold_users: spray.threshold,
    window_ms: params.window,
    max_attempts_per_user: params.max_attempts_per_user,
    corporate_egress: spray.corporate,
    ...(spray.address.asn !== undefined ? { asn: spray.address.asn } : {}),
    ...(spray.address.is_proxy !== undefined ? { is_proxy: spray.address.is_proxy } : {}),
  }
}

/** Entities of a spray finding: the address as the records name it, and its place when known. */
export function sprayEntities(spray: SprayCrossing): Record<string, string> {
  return {
    client_ip: spray.clientIp,
    ...(spray.address.country !== undefined ? { country: spray.address.country } : {}),
    ...(spray.address.city !== undefined ? { city: spray.address.city } : {}),
  }
}
