/**
 * A flow record that cannot be read or mapped. The message names the source field and what is
 * wrong with it, without the value (the raw record is kept beside the reason), so that rejections
 * group by reason. Thrown by the field readers and caught per record by `collectFlow`: it never
 * leaves a parser.
 */
export class FlowRecordUnreadableError extends Error {
  readonly code = 'FLOW_RECORD_UNREADABLE'
  /** Reading the same record again gives the same answer. */
  readonly retriable = false

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FlowRecordUnreadableError'
  }
}
