import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { BodyUnreadableError } from './errors.ts'

// OTLP/HTTP binary encoding: the opentelemetry-proto messages, decoded with protobufjs from the
// .proto files kept verbatim in ./otlp-proto (see its README for the release and licence), then
// turned into the OTLP JSON encoding's shape, so that one parser per signal reads both:
// lowerCamelCase names, enums as integers, 64-bit integers as decimal strings, trace and span ids
// as hex and other bytes as base64 (opentelemetry-proto docs/specification.md, "JSON Protobuf
// Encoding").

/** The OTLP signals the collector takes. */
export type OtlpSignal = 'logs' | 'metrics'

const protoDir = fileURLToPath(new URL('./otlp-proto/', import.meta.url))

const messages = {
  logs: {
    file: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    request: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
    response: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
  },
  metrics: {
    file: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
    response: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
  },
} as const

// google.rpc.Status, the body of OTLP failure answers; `details` (repeated Any) is left out, as
// the collector sends none.
const statusDescriptor = {
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
          },
        },
      },
    },
  },
}

/** Byte fields the JSON encoding writes as hex rather than base64. */
const hexFields = new Set(['traceId', 'spanId', 'parentSpanId'])

function toJsonShape(value: unknown, key: string): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString(
      hexFields.has(key) ? 'hex' : 'base64',
    )
  }
  if (Array.isArray(value)) return value.map((item) => toJsonShape(item, key))
  if (value !== null && typeof value === 'object') {
    const shaped: Record<string, unknown> = {}
    for (const [field, item] of Object.entries(value)) shaped[field] = toJsonShape(item, field)
    return shaped
  }
  return value
}

/** The OTLP protobuf messages the collector reads and writes. */
export interface OtlpProtobuf {
  /** A binary Export<Signal>ServiceRequest as the JSON encoding's object; throws BodyUnreadableError. */
  decodeRequest(signal: OtlpSignal, body: Uint8Array): Record<string, unknown>
  /** An Export<Signal>ServiceResponse (its JSON-encoding object: `{partialSuccess: {...}}`) as bytes. */
  encodeResponse(signal: OtlpSignal, response: Record<string, unknown>): Uint8Array
  /** A google.rpc.Status with this message, as bytes. */
  encodeStatus(status: { code?: number; message: string }): Uint8Array
}

/** Load the OTLP .proto files (at startup, so that a missing file fails the service at once). */
export function loadOtlpProtobuf(): OtlpProtobuf {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => `${protoDir}${target}`
  root.loadSync([messages.logs.file, messages.metrics.file])
  const types = {
    logs: {
      request: root.lookupType(messages.logs.request),
      response: root.lookupType(messages.logs.response),
    },
    metrics: {
      request: root.lookupType(messages.metrics.request),
      response: root.lookupType(messages.metrics.response),
    },
  }
  const status = protobuf.Root.fromJSON(statusDescriptor).lookupType('google.rpc.Status')
  return {
    decodeRequest(signal, body) {
      const type = types[signal].request
      let message: protobuf.Message
      try {
        message = type.decode(body)
      } catch (error) {
        throw new BodyUnreadableError(
          `body is not a protobuf ${type.name}: ${(error as Error).message}`,
          error,
        )
      }
      // longs: String keeps 64-bit values exact; json: true writes NaN and Infinity as JSON can.
      const object = type.toObject(message, { longs: String, json: true })
      return toJsonShape(object, '') as Record<string, unknown>
    },
    encodeResponse(signal, response) {
      const type = types[signal].response
      return type.encode(type.fromObject(response)).finish()
    },
    encodeStatus(message) {
      return status.encode(status.fromObject(message)).finish()
    },
  }
}
