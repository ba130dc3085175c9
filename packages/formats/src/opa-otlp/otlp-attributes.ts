import { type EventKind, eventSchemas } from '@palisade/schema'

// The pieces of the OTLP JSON encoding (opentelemetry-proto, docs/specification.md "JSON Protobuf
// Encoding") that logs and metrics share:
//   KeyValue  = {"key": string, "value": AnyValue}
//   AnyValue  = {"stringValue": s} | {"boolValue": b} | {"intValue": "123" | 123}
//             | {"doubleValue": n} | {"bytesValue": base64} | {"arrayValue": {"values": [AnyValue]}}
//             | {"kvlistValue": {"values": [KeyValue]}} | {} (empty)
//   fixed64 time = "1544712660300000000" (a decimal string; a number is accepted too)

/** A JSON object, or undefined when the value is anything else. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** A JSON array, or an empty one when the value is missing or anything else. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/**
 * One AnyValue as a plain JS value. 64-bit ints become numbers while they are exact; past 2^53 they
 * stay decimal strings, so that validation refuses them rather than storing a rounded number.
 */
export function otlpValue(value: unknown): unknown {
  const any = asObject(value)
  if (!any) return undefined
  if ('stringValue' in any) return any.stringValue
  if ('boolValue' in any) return any.boolValue
  if ('intValue' in any) {
    const number = Number(any.intValue)
    return Number.isSafeInteger(number) ? number : String(any.intValue)
  }
  if ('doubleValue' in any) return any.doubleValue
  if ('bytesValue' in any) return any.bytesValue
  if ('arrayValue' in any) return asArray(asObject(any.arrayValue)?.values).map(otlpValue)
  if ('kvlistValue' in any) return readOtlpAttributes(asObject(any.kvlistValue)?.values)
  return undefined
}

/** A KeyValue list (attributes, kvlist) as an object; later duplicates of a key win. */
export function readOtlpAttributes(list: unknown): Record<string, unknown> {
  const attributes: Record<string, unknown> = {}
  for (const entry of asArray(list)) {
    const pair = asObject(entry)
    if (typeof pair?.key === 'string') attributes[pair.key] = otlpValue(pair.value)
  }
  return attributes
}

/** A fixed64 Unix time in nanoseconds as epoch ms (whole ms), or undefined when unset (0). */
export function unixNanoToMs(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  const text = typeof value === 'number' ? value.toFixed(0) : value
  if (!/^\d+$/.test(text)) return undefined
  // BigInt: nanoseconds since 1970 are past 2^53, and a Number would round them.
  const ms = Number(BigInt(text) / 1_000_000n)
  return ms > 0 ? ms : undefined
}

/**
 * The attributes that name a field of `kind`'s event, copied as they are: the OTLP convention is
 * that a record carries our field names as attribute keys. Other attributes (the SDK's own, an
 * application's) are left out, since the event schemas refuse unknown fields.
 */
export function pickEventFields(
  kind: EventKind,
  attributes: Record<string, unknown>,
): Record<string, unknown> {
  const event: Record<string, unknown> = {}
  for (const field of Object.keys(eventSchemas[kind].shape)) {
    if (attributes[field] !== undefined) event[field] = attributes[field]
  }
  return event
}

/**
 * The protected service a record belongs to: its `service` attribute, else the resource's
 * `service.name` unless that is the SDK's placeholder (`unknown_service:<process>`).
 */
export function otlpService(attributes: Record<string, unknown>, resource: Record<string, unknown>): unknown {
  if (attributes.service !== undefined) return attributes.service
  const name = resource['service.name']
  return typeof name === 'string' && !name.startsWith('unknown_service') ? name : undefined
}
