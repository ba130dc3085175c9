import type { FormatParser, ParseOptions } from '@palisade/formats'
import { sendError } from '@palisade/http-server'
import type { Request, Response } from 'express'
import { IngestRequestError } from './errors.ts'
import { type IngestOptions, ingestBody } from './ingest-body.ts'
import { createIngestEndpoint } from './ingest-endpoint.ts'

/**
 * `POST /v1/ingest/:format`: a body in one of the registered formats (our own NDJSON per kind, or
 * a wire format), plain or gzip; query parameters are the format's options. Answers
 * `{accepted, rejected, errors: [{line, reason}]}` once everything is durably on the bus.
 */
export function createIngestHandler(options: IngestOptions, parsers: ReadonlyMap<string, FormatParser>) {
  const known = [...parsers.keys()].join(', ')
  const endpoint = createIngestEndpoint(
    options,
    (request) => (parsers.has(String(request.params.format)) ? String(request.params.format) : 'unknown'),
    async (request, response, body) => {
      const parser = parsers.get(String(request.params.format))!
      const parseOptions: ParseOptions = {}
      for (const [key, value] of Object.entries(request.query)) {
        if (!parser.options?.includes(key) || typeof value !== 'string') {
          throw new IngestRequestError(400, 'UNKNOWN_OPTION', `format ${parser.name} has no option "${key}"`)
        }
        parseOptions[key] = value
      }
      const { rejectedRecords: _all, ...answer } = await ingestBody(options, parser, body, {
        tenant: request.principal!.tenant,
        parseOptions,
      })
      response.status(200).json(answer)
    },
  )
  return async (request: Request, response: Response): Promise<void> => {
    if (!parsers.has(String(request.params.format))) {
      request.resume()
      sendError(
        response,
        404,
        'UNKNOWN_FORMAT',
        `unknown format "${String(request.params.format)}"; use one of: ${known}`,
      )
      options.metrics.requests.inc({ kind: 'unknown', status: '404' })
      return
    }
    await endpoint(request, response)
  }
}
