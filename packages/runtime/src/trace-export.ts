import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'

/** Environment variables as the composition root passes them. */
export type TraceExportEnv = Record<string, string | undefined>

/** A registered trace export: `shutdown` flushes the spans still buffered and unregisters it. */
export interface TraceExport {
  /** Where spans go (OTLP/HTTP, JSON). */
  url: string
  shutdown(): Promise<void>
}

// The process's one export (the tracer provider it registers is global anyway).
let active: TraceExport | undefined

/** `k1=v1,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS), values URL-decoded as the specification says. */
function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim())
  }
  return headers
}

/**
 * Pure: where spans should go under the standard OpenTelemetry variables, or undefined when
 * tracing is off (no endpoint, `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`).
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as it is; `OTEL_EXPORTER_OTLP_ENDPOINT` gets
 * `/v1/traces` appended.
 */
export function traceExportUrl(env: TraceExportEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  if (traces) return traces
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined
}

/**
 * Register the OpenTelemetry trace SDK for this process when the standard `OTEL_*` variables ask
 * for an OTLP endpoint, so that the spans Palisade makes with `@opentelemetry/api` (collector,
 * ingester, detector) are exported there; otherwise register nothing and return undefined (the
 * API's no-op tracer costs nothing). Call it once, from a composition root, before work starts.
 */
export function startTraceExport(defaultServiceName: string, env: TraceExportEnv): TraceExport | undefined {
  const url = traceExportUrl(env)
  if (!url) return undefined
  if (active) throw new Error('trace export is already registered in this process')
  const headers = {
    ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url, headers }) })],
  })
  // Spans started inside another's callback (startActiveSpan) become its children.
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  trace.setGlobalTracerProvider(provider)
  const registered: TraceExport = {
    url,
    async shutdown() {
      if (active !== registered) return
      active = undefined
      await provider.shutdown()
      trace.disable()
      context.disable()
    },
  }
  active = registered
  return registered
}

/** Flush and unregister the process's trace export, if one was started; resolves at once otherwise. */
export async function stopTraceExport(): Promise<void> {
  await active?.shutdown()
}
