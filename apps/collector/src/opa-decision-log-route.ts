import type { FormatParser } from '@palisade/formats'
import type { RequestHandler } from 'express'
import { type IngestOptions, ingestBody, quarantineBody } from './ingest-body.ts'
import { createIngestEndpoint } from './ingest-endpoint.ts'

// OPA's decision-log upload (open-policy-agent/opa v1/plugins/logs): with Palisade as the
// `decision_logs` service at `<collector>/v1/opa`, the agent POSTs to `/v1/opa/logs` a gzip JSON
// array of events, up to 32 KB a chunk, with the service's bearer token. It takes any 2xx as
// delivered and re-sends a chunk after anything else, forever, holding every later chunk back.
// So records that cannot be read or validated are quarantined and the chunk is answered 200
// (one bad record must not stop an agent's log); only a bad token (401), a body over the limit
// (413), overload (429) and a store that did not take the events (503, nothing acknowledged) are
// answered otherwise. A re-sent decision keeps its `decision_id` as event id and is stored once.

/** Valid UTF-8 as it is; anything else with U+FFFD in place of the bad bytes, for the quarantine. */
function readableUtf8(body: Buffer): Buffer {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body)
    return body
  } catch {
    // Refusing the chunk would block the agent forever; its records are kept, marked where broken.
    return Buffer.from(new TextDecoder('utf-8').decode(body))
  }
}

/** `POST /v1/opa/logs`: an OPA agent's decision-log chunk; answers `{accepted, rejected, errors}`. */
export function createOpaDecisionLogRoute(options: IngestOptions, parser: FormatParser): RequestHandler {
  return createIngestEndpoint(
    options,
    () => parser.name,
    async (request, response, body) => {
      const { rejectedRecords: _all, ...answer } = await ingestBody(options, parser, readableUtf8(body), {
        tenant: request.principal!.tenant,
      })
      response.status(200).json(answer)
    },
    // Not even gzip: answering 400 would make the agent re-send it forever and hold back every
    // later chunk. Keep the bytes in quarantine and let the log move on.
    async (request, response, error) => {
      if (!error.received) throw error
      await quarantineBody(
        options,
        { tenant: request.principal!.tenant, kind: parser.name },
        error.received,
        error.message,
      )
      response.status(200).json({ accepted: 0, rejected: 1, errors: [{ line: 1, reason: error.message }] })
    },
  )
}
