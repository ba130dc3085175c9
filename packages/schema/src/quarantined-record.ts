/**
 * A record the collector could not read or validate, kept with its raw text and the reason, on its
 * way to the quarantine table: nothing a client sent is lost, and a fixed parser can replay it.
 */
export interface QuarantinedRecord {
  tenant: string
  /** Event kind or wire format it was sent as. */
  kind: string
  /** 1-based line (NDJSON) or element (JSON array) number in the request body. */
  line: number
  raw: string
  reason: string
  /** The request it came with, to find its siblings. */
  request_id: string
  /** Receive time, epoch ms. */
  received_at: number
}
