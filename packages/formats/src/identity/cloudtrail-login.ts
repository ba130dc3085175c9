/**
 * AWS CloudTrail sign-in and role-assumption records
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
 *
 *   body      = delivered / array / *(line LF)
 *   delivered = {"Records": [record, ...]}       ; the S3 object CloudTrail writes, pretty-printed or not
 *   line      = record / delivered / eventbridge  ; JSON lines, e.g. a log shipper's output
 *   eventbridge = {"detail-type", "detail": record, ...}   ; a CloudTrail event routed by EventBridge
 *   record    = {"eventID", "eventTime" (ISO-8601), "eventSource", "eventName", "awsRegion",
 *                "sourceIPAddress", "userAgent", "errorCode", "errorMessage",
 *                "userIdentity": {"type", "arn", "accountId", "userName", "principalId", "invokedBy"},
 *                "responseElements": {"ConsoleLogin": "Success" | "Failure"},
 *                "additionalEventData": {"MFAUsed": "Yes" | "No"}, ...}
 *
 * `auth` events come from ConsoleLogin (signin.amazonaws.com: success or failure from
 * `responseElements.ConsoleLogin`) and AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity
 * (sts.amazonaws.com: failure when an `errorCode` is present). Not counted: CheckMfa (a step of a
 * console sign-in whose ConsoleLogin record carries the result, MFAUsed included), PasswordUpdated,
 * SwitchRole, EnableMFADevice and every other API call. Like the other identity formats, these are
 * rejected ("not an authentication event: <eventName>") unless `skip_other_events=true`.
 *
 * Failure kind: the caller's side is `user`: "Failed authentication" (wrong credentials),
 * "No username found in supplied account", and for STS AccessDenied (the trust policy said no: an
 * expected denial) and invalid, expired or rejected tokens. AWS's side is `system`:
 * IDPCommunicationError, RegionDisabledException, internal errors, throttling. Anything else is
 * left unclassified (the SLO counts it as `system`).
 *
 * Principal: `userIdentity.arn`; failed sign-ins of IAM users carry no ARN, so one is built from
 * account and user name (path "/" assumed) to match the same user's successful sign-ins; AWS hides
 * the name typed for an unknown user (HIDDEN_DUE_TO_SECURITY_REASONS), kept as "unknown". The
 * principal is a service when an AWS service acts (AWSService) or a web identity assumes a role
 * (WebIdentityUser: mostly workloads federated from EKS, CI or other OIDC providers), else a user.
 *
 * Event id: `eventID`, which CloudTrail makes unique per event, so a record delivered twice (S3 and
 * EventBridge, or a replayed file) is stored once; records sharing an eventID are one event.
 */
import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { type AuthMapping, addAuthMapping } from './auth-mapping.ts'
import { readJsonBody } from './json-body.ts'
import {
  clippedText,
  ipAddressOf,
  isoEpochMs,
  notAuthenticationEvent,
  objectOf,
  skipOtherEvents,
  textOf,
  unknownPrincipal,
} from './source-values.ts'

type Json = Record<string, unknown>

/** The authentication events, with the method each stands for. */
const methods: Record<string, string> = {
  ConsoleLogin: 'password',
  AssumeRole: 'assume_role',
  AssumeRoleWithSAML: 'saml',
  AssumeRoleWithWebIdentity: 'oidc',
}

const userFailures = new Set([
  'Failed authentication',
  'No username found in supplied account',
  'AccessDenied',
  'ExpiredTokenException',
  'InvalidIdentityToken',
  'IDPRejectedClaim',
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
  'ValidationError',
])
const systemFailures = new Set([
  'IDPCommunicationError',
  'RegionDisabledException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Throttling',
  'ThrottlingException',
])

function failureKind(
  errorCode: string | undefined,
  errorMessage: string | undefined,
): 'user' | 'system' | undefined {
  for (const key of [errorCode, errorMessage]) {
    if (key === undefined) continue
    if (userFailures.has(key)) return 'user'
    if (systemFailures.has(key)) return 'system'
  }
  return undefined
}

const hiddenUserName = 'HIDDEN_DUE_TO_SECURITY_REASONS'

function partitionOf(region: string | undefined): string {
  if (region?.startsWith('cn-')) return 'aws-cn'
  if (region?.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

function principalOf(identity: Json | undefined, region: string | undefined): string {
  const arn = textOf(identity?.arn)
  if (arn !== undefined) return arn
  const type = textOf(identity?.type)
  const account = textOf(identity?.accountId)
  const userName = textOf(identity?.userName)
  if (userName === hiddenUserName) return unknownPrincipal
  if (type === 'IAMUser' && account !== undefined && userName !== undefined)
    return `arn:${partitionOf(region)}:iam::${account}:user/${userName}`
  if (type === 'Root' && account !== undefined) return `arn:${partitionOf(region)}:iam::${account}:root`
  return userName ?? textOf(identity?.invokedBy) ?? textOf(identity?.principalId) ?? unknownPrincipal
}

function methodOf(eventName: string, identity: Json | undefined, record: Json): string | undefined {
  if (eventName !== 'ConsoleLogin') return methods[eventName]
  const type = textOf(identity?.type)
  // Role sessions and federated users reach the console through a federation sign-in token.
  if (
    type === 'AssumedRole' ||
    type === 'FederatedUser' ||
    type === 'SAMLUser' ||
    type === 'IdentityCenterUser'
  )
    return 'federation'
  const mfaUsed = textOf(objectOf(record.additionalEventData)?.MFAUsed)
  return mfaUsed?.toLowerCase() === 'yes' ? 'password_mfa' : 'password'
}

function mapRecord(value: unknown): AuthMapping {
  const record = objectOf(value)
  if (record === undefined) return { reason: 'not a JSON object' }
  const eventName = textOf(record.eventName)
  if (eventName === undefined) return { reason: 'not a CloudTrail record: no eventName' }
  if (!Object.hasOwn(methods, eventName))
    return { reason: `${notAuthenticationEvent}: ${eventName}`, other: true }
  const ts = isoEpochMs(record.eventTime)
  if (ts === undefined) return { reason: 'eventTime is not an ISO-8601 time with a zone' }

  const errorCode = textOf(record.errorCode)
  const errorMessage = textOf(record.errorMessage)
  let success: boolean
  if (eventName === 'ConsoleLogin') {
    const result = textOf(objectOf(record.responseElements)?.ConsoleLogin)
    if (result === 'Success') success = true
    else if (result === 'Failure' || errorCode !== undefined || errorMessage !== undefined) success = false
    else return { reason: 'ConsoleLogin without a result in responseElements.ConsoleLogin' }
  } else {
    success = errorCode === undefined
  }

  const identity = objectOf(record.userIdentity)
  const identityType = textOf(identity?.type)
  const region = textOf(record.awsRegion)
  const eventId = textOf(record.eventID)
  const mapped: Json = {
    event_id:
      eventId !== undefined && eventId.length <= 128 ? eventId : deriveEventId('cloudtrail-login', record),
    ts,
    source: 'cloudtrail',
    service:
      textOf(record.eventSource) ??
      (eventName === 'ConsoleLogin' ? 'signin.amazonaws.com' : 'sts.amazonaws.com'),
    principal: principalOf(identity, region),
    principal_type: identityType === 'AWSService' || identityType === 'WebIdentityUser' ? 'service' : 'user',
    outcome: success ? 'success' : 'failure',
    failure_kind: success ? undefined : failureKind(errorCode, errorMessage),
    reason: success ? undefined : clippedText(errorMessage ?? errorCode, 1024),
    method: methodOf(eventName, identity, record),
    client_ip: ipAddressOf(record.sourceIPAddress),
    user_agent: clippedText(record.userAgent, 1024),
  }
  return { event: mapped }
}

/** The records a delivered object or an EventBridge event carries; undefined for a bare record. */
function envelopeOf(value: unknown): unknown[] | undefined {
  const object = objectOf(value)
  if (object === undefined) return undefined
  if (Array.isArray(object.Records)) return object.Records
  const detail = objectOf(object.detail)
  if (typeof object['detail-type'] === 'string' && detail !== undefined) return [detail]
  return undefined
}

/** Parses CloudTrail ConsoleLogin and AssumeRole* records (JSON lines or delivered objects) into `auth` events. */
export const cloudtrailLoginParser: FormatParser = {
  name: 'cloudtrail-login',
  description:
    'AWS CloudTrail ConsoleLogin and AssumeRole* records ({"Records":[...]} objects, JSON lines, EventBridge) as auth events',
  kinds: ['auth'],
  options: ['skip_other_events'],
  parse(input: string, options?: ParseOptions): ParseResult {
    const others = skipOtherEvents(options)
    const result: ParseResult = { records: [], rejected: [] }
    for (const record of readJsonBody(input, envelopeOf)) {
      const mapping = record.reason === undefined ? mapRecord(record.value) : { reason: record.reason }
      addAuthMapping(result, record, mapping, others)
    }
    return result
  },
}
